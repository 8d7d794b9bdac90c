/** Named counters (records by type, pages, links kept/rejected by reason...), mergeable across files. */
export type CounterMap = Record<string, number>;

export class Counters {
  private readonly values = new Map<string, number>();

  add(name: string, n = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + n);
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

export function mergeCounters(into: CounterMap, from: CounterMap): CounterMap {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}
