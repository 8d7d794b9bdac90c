/**
 * The fleet of one run, driven by its coordinator: made once the run's id and Redis are known, launched, kept sized to
 * the work left when its plan says so (EC2: tops up after interruptions, shrinks at the end), and stopped when the run
 * ends, however it ends (succeeded, failed, cancelled, budget reached, interrupted, error).
 */
import type { Logger } from '../log/index.js';
import { targetSize, type Fleet, type FleetPlan, type FleetRun } from './fleet.js';
import { FleetFailedError } from './launch-check.js';

/** The part of a progress snapshot the fleet needs. */
export interface FleetTick {
  readonly active: number;
  readonly waiting: number;
}

export class FleetDriver {
  private lastResize = 0;
  private stopped = false;
  fleet: Fleet | undefined;

  constructor(private readonly plan: FleetPlan, private readonly log: Logger) {}

  async start(run: FleetRun): Promise<Fleet> {
    this.fleet = await this.plan.create(run);
    await this.fleet.start();
    this.lastResize = Date.now();
    return this.fleet;
  }

  /**
   * Resizes a fleet whose plan has `sizing`, at most once per its interval; a failed resize is retried at a later tick,
   * but a fleet that cannot get workers (FleetFailedError) ends the run.
   */
  async tick(s: FleetTick): Promise<void> {
    const sizing = this.plan.sizing;
    if (!sizing || !this.fleet || this.stopped || Date.now() - this.lastResize < sizing.resizeIntervalMillis) return;
    this.lastResize = Date.now();
    const target = targetSize(s.waiting + s.active, this.plan.maxWorkers, sizing.filesPerWorker);
    try {
      await this.fleet.resize(target);
    } catch (err) {
      if (err instanceof FleetFailedError) throw err;
      this.log.warn({ err: (err as Error).message, target }, 'fleet resize failed; retrying at the next tick');
    }
  }

  /**
   * Workers alive in a fleet the run cannot go on without when all are gone (local processes, which are restarted
   * until their restarts run out); undefined for a fleet that relaunches by itself (EC2) or none.
   */
  aliveLocal(): number | undefined {
    return this.fleet?.kind === 'local' && !this.stopped ? this.fleet.alive : undefined;
  }

  /** Stops the fleet; safe to call twice. A failed teardown is logged with how to finish it by hand. */
  async stop(): Promise<void> {
    if (this.stopped || !this.fleet) return;
    this.stopped = true;
    try {
      await this.fleet.stop();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, `fleet teardown failed: run \`wikireverse fleet down\` with the run id to finish it`);
    }
  }
}
