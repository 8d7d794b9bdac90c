/**
 * Runs `fn` over the items of an iterable with at most `limit` calls in flight. After the first failure no new call
 * starts; it resolves or rejects (with the first error) only when every call in flight has ended.
 */
export async function forEachLimit<T>(items: Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const it = items[Symbol.iterator]();
  let error: { err: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (!error) {
      let next: IteratorResult<T>;
      try {
        next = it.next();
      } catch (err) {
        error ??= { err };
        return;
      }
      if (next.done) return;
      try {
        await fn(next.value);
      } catch (err) {
        error ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, lane));
  if (error) throw error.err;
}
