/** What the coordinator needs from a set of workers, wherever they run (local processes or EC2 spot instances). */
import type { InstanceLife } from '../cost/ledger.js';

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
