/**
 * Request and byte counters of the storage layer, for one file job (worker) or one coordinator session.
 * Names are `io.<protocol>.<what>`: protocol `http` (https/http inputs) or `s3` (S3 API); what is a request type
 * (`get`, `put`, `list`, `head`, `delete`, `multipart_create`, `multipart_parts`, `multipart_complete`,
 * `multipart_abort`, `other`), `retries` (requests repeated after a transient failure), `resumes` (bodies continued
 * with a Range request after the connection died), `bytes_in` or `bytes_out`. The cost model prices them.
 */
export type IoProtocol = 'http' | 's3';

/**
 * `counters` plus the one PUT about to write a record that holds them (a commit record cannot count itself once
 * written); unchanged for a store that makes no requests.
 */
export function withOwnPut(counters: Readonly<Record<string, number>>, protocol: IoProtocol | null): Record<string, number> {
  return protocol === null ? { ...counters } : plusRequests(counters, { [`io.${protocol}.put`]: 1 });
}

/** `counters` with `requests` (e.g. what writing the record that holds them costs: `OutputStore.writeRequests`) added. */
export function plusRequests(counters: Readonly<Record<string, number>>, requests: Readonly<Record<string, number>>): Record<string, number> {
  const out = { ...counters };
  for (const [k, n] of Object.entries(requests)) out[k] = (out[k] ?? 0) + n;
  return out;
}

export class IoCounters {
  private readonly values = new Map<string, number>();

  add(protocol: IoProtocol, what: string, n = 1): void {
    if (n === 0) return;
    const key = `io.${protocol}.${what}`;
    this.values.set(key, (this.values.get(key) ?? 0) + n);
  }

  get(protocol: IoProtocol, what: string): number {
    return this.values.get(`io.${protocol}.${what}`) ?? 0;
  }

  /** Plain object with sorted keys (merged into a file's or the manifest's counters). */
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.values.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
