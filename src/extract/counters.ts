/** Named counters (records by type, pages, links kept/rejected by reason...), mergeable across files. */
export type CounterMap = Record<string, number>;

/** Distinct counter names kept, and their longest name: past either, counts go to `OVERFLOW` (a bounded report, whatever counts). */
export const MAX_COUNTERS = 512;
export const MAX_COUNTER_NAME = 100;
const OVERFLOW = 'counters_overflow';

export class Counters {
  private readonly values = new Map<string, number>();

  add(name: string, n = 1): void {
    const key = this.values.has(name) || (this.values.size < MAX_COUNTERS - 1 && name.length <= MAX_COUNTER_NAME) ? name : OVERFLOW;
    this.values.set(key, (this.values.get(key) ?? 0) + n);
  }

  get(name: string): number {
    return this.values.get(name) ?? 0;
  }

  merge(other: CounterMap): void {
    for (const [k, v] of Object.entries(other)) this.add(k, v);
  }

  /** Plain object with keys sorted, for JSON output. */
  toJSON(): CounterMap {
    return Object.fromEntries([...this.values.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** Adds `from` into `into` (counts read back from commit records, under the same bounds as `Counters`: they are not trusted). */
export function mergeCounters(into: CounterMap, from: CounterMap): CounterMap {
  let names = Object.keys(into).length;
  for (const [k, v] of Object.entries(from)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    let key = k;
    if (!Object.hasOwn(into, key)) {
      if (names >= MAX_COUNTERS - 1 || key.length > MAX_COUNTER_NAME) key = OVERFLOW;
      if (!Object.hasOwn(into, key)) names++;
    }
    into[key] = (into[key] ?? 0) + v;
  }
  return into;
}
