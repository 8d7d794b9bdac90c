/** What the coordinator needs from a set of workers, wherever they run (local processes or EC2 spot instances). */
import type { InstanceLife } from '../cost/ledger.js';
import type { Logger } from '../log/index.js';

export interface Fleet {
  readonly kind: 'local' | 'ec2';
  /** Launches the initial capacity. */
  start(): Promise<void> | void;
  /** Brings the fleet towards `target` workers: tops up (after crashes or interruptions) and shrinks. */
  resize(target: number): Promise<void>;
  /** Workers (processes or instances) believed alive. */
  readonly alive: number;
  /** Stops every worker and releases everything the fleet created. Safe to call twice. */
  stop(): Promise<void>;
  /** Machines and their lifetimes, for the cost ledger (EC2 only). */
  lifetimes?(): readonly InstanceLife[];
}

/** Workers a run needs now: one per file still to do (per `perWorker` files at once), at most `max`. */
export function targetSize(remainingFiles: number, max: number, perWorker = 1): number {
  return Math.min(max, Math.ceil(Math.max(0, remainingFiles) / Math.max(1, perWorker)));
}

/** What a fleet is made for: one run, on one Redis. */
export interface FleetRun {
  readonly runId: string;
  readonly redisUrl: string;
  readonly log: Logger;
  /** The run's workers seen in Redis (worker id -> last seen, ms): how a fleet tells its machines became workers. */
  readonly workersSeen?: () => Promise<ReadonlyMap<string, number>>;
}

/**
 * Where a run's workers come from, as the command that assembles the run chose (local processes or EC2 spot); the
 * coordinator makes the fleet from it once the run's id and Redis are known.
 */
export interface FleetPlan {
  readonly kind: Fleet['kind'];
  /** Workers at most: local processes, or EC2 instances. */
  readonly maxWorkers: number;
  create(run: FleetRun): Promise<Fleet> | Fleet;
  /** Sized to the work left at each tick (EC2); absent: a fixed size (local processes, restarted when they die). */
  readonly sizing?: { readonly filesPerWorker: number; readonly resizeIntervalMillis: number };
}
