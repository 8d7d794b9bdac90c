/**
 * Whether the instances a fleet launched became workers: an instance counts as connected once its worker is in the
 * run's list of workers seen (redis/workers-seen.ts, by instance id). One that ends (its user-data failed and shut it
 * down, its worker died at start) or is still silent `bootMillis` after its launch without ever connecting is a failed
 * launch: the silent ones are to be terminated. Failed launches in a row back off the next top-up (doubling from
 * `backoffMillis`); `maxFailed` of them in a row fail the run. A connected instance resets the count.
 */
export interface LaunchedInstance {
  readonly instanceId: string;
  readonly state: string;
  readonly launchedAtMillis: number;
}

export interface LaunchCheckOptions {
  readonly bootMillis: number;
  readonly maxFailed: number;
  /** @default 30_000 */
  readonly backoffMillis?: number;
}

export interface LaunchReview {
  /** Instances still running that never connected within the boot time: terminate them. */
  readonly terminate: string[];
  /** Instances found failed in this review (terminated ones and those to terminate). */
  readonly failed: string[];
}

const LIVE = new Set(['pending', 'running']);
/** Longest wait between failed launches. */
const MAX_BACKOFF_MILLIS = 10 * 60_000;

export class LaunchCheck {
  private readonly connected = new Set<string>();
  private readonly judged = new Set<string>();
  /** Failed launches since the last instance that connected. */
  failedInARow = 0;
  failedTotal = 0;
  lastFailed: string | undefined;
  private retryAt = 0;

  constructor(private readonly opts: LaunchCheckOptions) {}

  /** Looks at the instances launched against the workers seen. */
  review(instances: readonly LaunchedInstance[], seen: ReadonlyMap<string, number>, now: number): LaunchReview {
    const terminate: string[] = [];
    const failed: string[] = [];
    for (const i of instances) {
      if (this.connected.has(i.instanceId) || this.judged.has(i.instanceId)) continue;
      if (seen.has(i.instanceId)) {
        this.connected.add(i.instanceId);
        this.failedInARow = 0;
        continue;
      }
      const live = LIVE.has(i.state);
      if (live && now - i.launchedAtMillis < this.opts.bootMillis) continue;
      this.judged.add(i.instanceId);
      if (live) terminate.push(i.instanceId);
      failed.push(i.instanceId);
    }
    if (failed.length > 0) {
      this.failedInARow += failed.length;
      this.failedTotal += failed.length;
      this.lastFailed = failed.at(-1);
      const backoff = Math.min(MAX_BACKOFF_MILLIS, (this.opts.backoffMillis ?? 30_000) * 2 ** Math.min(20, this.failedInARow - 1));
      this.retryAt = now + backoff;
    }
    return { terminate, failed };
  }

  /** Whether failed launches in a row reached the cap: the run cannot get workers this way. */
  get exhausted(): boolean {
    return this.failedInARow >= this.opts.maxFailed;
  }

  /** Whether a top-up may launch now (not during the back-off after a failed launch). */
  mayLaunch(now: number): boolean {
    return now >= this.retryAt;
  }

  isConnected(instanceId: string): boolean {
    return this.connected.has(instanceId);
  }
}

/** The fleet cannot get workers: launches failed in a row. Ends the run (the driver does not retry it). */
export class FleetFailedError extends Error {
  override name = 'FleetFailedError';
}
