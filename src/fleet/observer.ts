/**
 * Drives a fleet from a run's life (a coordinator RunObserver): launches it when the run starts, keeps it sized to the
 * work left at each tick (tops up after interruptions), and tears it down when the run ends, however it ends
 * (succeeded, failed, cancelled, budget reached, interrupted, error).
 */
import type { Logger } from '../log/index.js';
import { targetSize, type Fleet } from './fleet.js';

export interface FleetObserverOptions {
  /** Workers at most. */
  readonly maxWorkers: number;
  /** Files one worker takes at once. @default 1 */
  readonly filesPerWorker?: number;
  /** Minimum time between two resizes. @default 30000 */
  readonly resizeIntervalMillis?: number;
  readonly log: Logger;
}

/** The part of a progress snapshot the fleet needs. */
export interface FleetTick {
  readonly active: number;
  readonly waiting: number;
}

export class FleetObserver {
  private lastResize = 0;
  private stopped = false;
  fleet: Fleet | undefined;

  /** `create` makes the fleet once the run id is known (at the start of the run). */
  constructor(private readonly create: (runId: string) => Promise<Fleet> | Fleet, private readonly opts: FleetObserverOptions) {}

  async onStart(run: { readonly manifest: { readonly runId: string } }): Promise<void> {
    this.fleet = await this.create(run.manifest.runId);
    await this.fleet.start();
    this.lastResize = Date.now();
  }

  async onTick(s: FleetTick): Promise<void> {
    if (!this.fleet || this.stopped || Date.now() - this.lastResize < (this.opts.resizeIntervalMillis ?? 30_000)) return;
    this.lastResize = Date.now();
    const target = targetSize(s.waiting + s.active, this.opts.maxWorkers, this.opts.filesPerWorker);
    try {
      await this.fleet.resize(target);
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message, target }, 'fleet resize failed; retrying at the next tick');
    }
  }

  async onFinish(): Promise<void> {
    if (this.stopped || !this.fleet) return;
    this.stopped = true;
    try {
      await this.fleet.stop();
    } catch (err) {
      this.opts.log.error({ err: (err as Error).message }, `fleet teardown failed: run \`wikireverse fleet down\` with the run id to finish it`);
    }
  }
}
