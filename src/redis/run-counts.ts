/**
 * A run's file counts at one instant, read one way for every display (the coordinator's progress lines, `status`, the
 * progress view and its events and timeline), and the text they read as.
 *
 * - `done`: files committed (their commit record written), each counted once, whatever its attempts: the run's live
 *   totals in Redis, which a worker adds a file to after its commit record and before its job completes, and which the
 *   coordinator tops up with the commit records it finds in the store (a resume on another Redis, a Redis lost). This
 *   is what the run counts as done at its end (the files `ok` in its report). A job that completed without a commit
 *   record is not done.
 * - `failed`: jobs failed for good (every attempt used); a job between attempts is waiting.
 * - `active`: jobs a worker holds.
 * - `waiting`: jobs queued: waiting, delayed (a retry's backoff), prioritized, waiting for children.
 * - `retrying`: files after a failed attempt: in a retry's backoff (among `waiting`) or held again by a worker (among
 *   `active`). A source that is dead or silent shows here while its attempts are used up.
 * - `total`: the run's files.
 * A file can be in none of these for a while (completed without a commit, or lost with Redis until it is queued again),
 * so done + failed + active + waiting <= total.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { duration } from '../log/index.js';
import { liveTotalsKey, readCount } from './run-record.js';

/** A run's files at one instant (see the module's comment for what each count means). */
export interface RunCounts {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly active: number;
  readonly waiting: number;
  readonly retrying: number;
}

/** The jobs of any queue by state; `waiting` sums every state of a job not yet taken. */
export interface JobStateCounts {
  readonly completed: number;
  readonly failed: number;
  readonly active: number;
  readonly waiting: number;
  /** Delayed (a retry's backoff) and active after a failed attempt (of the first ACTIVE_SCANNED active jobs). */
  readonly retrying: number;
}

/** Active jobs looked at for their attempts (a run holds as many as its workers take at once). */
const ACTIVE_SCANNED = 500;

/** One request for the jobs of `queue` by state. */
export async function readJobCounts(queue: Queue): Promise<JobStateCounts> {
  const c = await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized', 'waiting-children');
  const n = (k: string): number => c[k] ?? 0;
  const again = n('active') === 0 ? 0 : (await queue.getJobs(['active'], 0, ACTIVE_SCANNED - 1)).filter((j) => (j?.attemptsMade ?? 0) > 0).length;
  return {
    completed: n('completed'), failed: n('failed'), active: n('active'), waiting: n('waiting') + n('delayed') + n('prioritized') + n('waiting-children'),
    retrying: n('delayed') + again,
  };
}

/** The run's counts now: its file queue's jobs and its committed files in Redis, for a run of `total` files. */
export async function readRunCounts(redis: Redis, queue: Queue, runId: string, total: number): Promise<RunCounts> {
  const [jobs, committed] = await Promise.all([readJobCounts(queue), redis.hget(liveTotalsKey(runId), 'files')]);
  return { total, done: Math.min(total, readCount(committed)), failed: jobs.failed, active: jobs.active, waiting: jobs.waiting, retrying: jobs.retrying };
}

/** A run's reduce tasks now: done = tasks whose job completed (their partitions' commit records are read after the wait). */
export async function readReduceCounts(queue: Queue, total: number): Promise<RunCounts> {
  const c = await readJobCounts(queue);
  return { total, done: c.completed, failed: c.failed, active: c.active, waiting: c.waiting, retrying: c.retrying };
}

/**
 * The line every display of a run's progress starts with: `files 3/10 (failed 1, active 2, waiting 4) 12.5s`, with
 * `, retrying 2` in the parentheses while files are retried (`reduce tasks ...` for the reduce phase).
 */
export function formatCounts(label: 'files' | 'reduce tasks', c: RunCounts, elapsedMillis: number): string {
  const retrying = c.retrying > 0 ? `, retrying ${c.retrying}` : '';
  return `${label} ${c.done}/${c.total} (failed ${c.failed}, active ${c.active}, waiting ${c.waiting}${retrying}) ${duration(elapsedMillis)}`;
}
