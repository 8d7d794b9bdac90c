/**
 * CPU time per file when one process works on several files at once (`--concurrency` above 1): the process's CPU time
 * between two events (a file starting or ending) is shared equally among the files active in between, so the
 * files' figures add up to the process's CPU time instead of counting it once per file.
 */
export class CpuShare {
  /** CPU seconds so far of each file being processed, by the handle `start` gave it. */
  private readonly used = new Map<number, number>();
  private nextHandle = 1;
  private last: number;

  /** @param cpuSeconds the process's CPU time so far (user + system), in seconds. */
  constructor(private readonly cpuSeconds: () => number = processCpuSeconds) {
    this.last = cpuSeconds();
  }

  /** A file starts: its share counts from now. Returns its handle (one per call: the same file may run twice at once). */
  start(): number {
    this.settle();
    const handle = this.nextHandle++;
    this.used.set(handle, 0);
    return handle;
  }

  /** A file ends (committed, failed or handed back): its CPU seconds; 0 for a handle already ended. */
  end(handle: number): number {
    this.settle();
    const seconds = this.used.get(handle) ?? 0;
    this.used.delete(handle);
    return seconds;
  }

  private settle(): void {
    const now = this.cpuSeconds();
    const share = this.used.size > 0 ? (now - this.last) / this.used.size : 0;
    for (const [id, s] of this.used) this.used.set(id, s + share);
    this.last = now;
  }
}

function processCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
