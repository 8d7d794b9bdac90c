/**
 * Getting a run's files into the queue and waiting until each is committed or failed for good.
 * The output store decides what is committed (`partials/<fileId>.commit.json`); Redis only says what is still to do.
 */
import type { JobType, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  ACTIVE_RUNS_KEY, formatCounts, readRunCounts, readRunStatus, recordCommittedIds, restoreRunRecord, type FileJobData, type RunCounts,
} from '../redis/index.js';
import { fileIdOfPartial, partialsDir, type OutputStore } from '../storage/index.js';
import { runStart, type Manifest } from './manifest.js';
import { readRunFiles, type RunFile } from './run-files.js';

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

/** What every wait of the coordinator checks at each poll: a Ctrl-C, or `wikireverse cancel` (the run's status in Redis). */
export async function throwIfStopped(redis: Redis, runId: string, interrupted: () => boolean): Promise<void> {
  if (interrupted()) throw new InterruptedError('interrupted');
  if ((await readRunStatus(redis, runId)) === 'cancelled') throw new CancelledError('cancelled with `wikireverse cancel`');
}

/** The run cannot go on: it had local workers and none is left. */
export function throwIfWorkersDead(workersAlive: () => number | undefined): void {
  if (workersAlive() === 0) throw new Error('All local worker processes died and could not be restarted; see the log above');
}

function jobFor(manifest: Manifest, f: RunFile): { name: string; data: FileJobData; opts: Record<string, unknown> } {
  const s = manifest.settings;
  return {
    name: 'file',
    data: {
      runId: manifest.runId, fileId: f.fileId, input: f.input, out: s.out, job: s.job, partitions: s.partitions, maxRecordBytes: s.maxRecordBytes,
      ...(f.ranges ? { ranges: f.ranges } : {}), ...(s.publicInputsOnly === true ? { publicOnly: true } : {}),
    },
    opts: { jobId: f.fileId, attempts: s.attempts, backoff: { type: 'exponential', delay: s.backoffMillis }, removeOnComplete: false, removeOnFail: false },
  };
}

/** Ids of the run's files whose partials (each holding its commit record) are in the store (one listing: a request per 1,000 files on S3). */
export async function committedFiles(store: OutputStore, runId: string): Promise<Set<string>> {
  const done = new Set<string>();
  for (const listed of await store.list(partialsDir(runId))) {
    const id = fileIdOfPartial(runId, listed);
    if (id !== null) done.add(id);
  }
  return done;
}

/**
 * The run's committed files in the store, counted among its done files in Redis as well (once each, so a resume on
 * another Redis, or a Redis restarted empty, does not show them as missing).
 */
export async function syncCommitted(redis: Redis, store: OutputStore, runId: string): Promise<Set<string>> {
  const committed = await committedFiles(store, runId);
  await recordCommittedIds(redis, runId, committed);
  return committed;
}

/**
 * Which of the run's files go into the queue:
 * - `fresh`: a new run, every file;
 * - `resume`: every file not committed in the store, except one whose job is waiting or active; a job that completed
 *   without a commit, or failed (only with `retryFailed`), is removed and added again; a file that failed for good in
 *   an earlier session (its job gone with that Redis) only with `retryFailed`;
 * - `lost`: the queue is idle and Redis does not know these files (restarted empty, or flushed): files neither
 *   committed, completed nor failed (now or in an earlier session) are added again.
 */
export type EnqueueMode = 'fresh' | 'resume' | 'lost';

/**
 * Puts the run's files into the queue as `mode` says, reading the list in batches (one `addBulk` per batch).
 * `listed`: the run's committed files when the caller has listed them (else listed here, unless `fresh`).
 * Returns how many jobs were added.
 */
export async function enqueueFiles(
  queue: Queue, store: OutputStore, manifest: Manifest, mode: EnqueueMode, retryFailed = false, listed?: ReadonlySet<string>,
): Promise<number> {
  let committed: ReadonlySet<string> = new Set<string>();
  let live = new Set<string>();
  let completed = new Set<string>();
  let failed = new Set<string>();
  if (mode !== 'fresh') {
    // Job ids by state, one request per state (linear in the files; a job-by-job state lookup scans the wait list).
    committed = listed ?? (await committedFiles(store, manifest.runId));
    live = await jobIds(queue, ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);
    completed = await jobIds(queue, ['completed']);
    failed = await jobIds(queue, ['failed']);
  }
  let added = 0;
  for await (const batch of readRunFiles(store, manifest.runId)) {
    const add: RunFile[] = [];
    for (const f of batch) {
      if (mode === 'fresh') add.push(f);
      else if (committed.has(f.fileId) || live.has(f.fileId)) continue;
      else if (mode === 'resume' && (completed.has(f.fileId) || (failed.has(f.fileId) && retryFailed))) {
        await queue.remove(f.fileId);
        add.push(f);
      } else if (!completed.has(f.fileId) && !failed.has(f.fileId) && (f.status !== 'failed' || retryFailed)) add.push(f);
    }
    if (add.length > 0) await queue.addBulk(add.map((f) => jobFor(manifest, f)));
    added += add.length;
  }
  return added;
}

/** What a run looks like at one poll of the coordinator: its counts (src/redis/run-counts.ts) and its time so far. */
export interface ProgressSnapshot extends RunCounts {
  readonly runId: string;
  readonly elapsedMillis: number;
}

export interface SettleOptions {
  /** Called at every poll; a throw aborts the run (a CancelledError cancels it, e.g. on a budget cap). */
  readonly onTick?: (s: ProgressSnapshot) => Promise<void> | void;
  readonly queue: Queue;
  readonly redis: Redis;
  readonly store: OutputStore;
  readonly manifest: Manifest;
  readonly pollMillis: number;
  readonly started: number;
  readonly say: (line: string) => void;
  /** An observer draws progress itself: no periodic `files ...` lines. */
  readonly progressDisplay?: boolean | undefined;
  /** Live local worker processes, or undefined when the run has none. */
  readonly workersAlive: () => number | undefined;
  readonly interrupted: () => boolean;
}

/** The ids of the queue's jobs in the given states (ids only, one request). */
async function jobIds(queue: Queue, states: JobType[]): Promise<Set<string>> {
  return new Set(await queue.getRanges(states, 0, -1));
}

/**
 * Polls until nothing of the run is waiting or active. When the queue looks idle, files that are neither committed,
 * completed nor failed (their jobs were lost with Redis) are enqueued again, so a Redis loss costs time, not data.
 */
export async function waitUntilSettled(o: SettleOptions): Promise<void> {
  const { queue, redis, manifest } = o;
  const total = manifest.files.total;
  let lastCounts = '';
  let lastPrint = 0;
  for (;;) {
    await throwIfStopped(redis, manifest.runId, o.interrupted);
    const counts = await readRunCounts(redis, queue, manifest.runId, total);
    const now = Date.now();
    await o.onTick?.({ runId: manifest.runId, ...counts, elapsedMillis: now - o.started });
    const shown = JSON.stringify(counts);
    if (!o.progressDisplay && shown !== lastCounts && now - lastPrint > 1000) {
      o.say(formatCounts('files', counts, now - o.started));
      lastCounts = shown;
      lastPrint = now;
    }
    if (counts.waiting + counts.active === 0) {
      // Files Redis does not know (restarted empty, or flushed) that are not committed: put the run back on the map and enqueue them again.
      await restoreRunRecord(redis, manifest.runId, runStart(manifest));
      const committed = await syncCommitted(redis, o.store, manifest.runId);
      const lost = await enqueueFiles(queue, o.store, manifest, 'lost', false, committed);
      if (lost === 0) return;
      o.say(`${lost} files missing from Redis (restarted or flushed?): enqueueing them again`);
      manifest.counters.files_requeued = (manifest.counters.files_requeued ?? 0) + lost;
      await redis.sadd(ACTIVE_RUNS_KEY, manifest.runId);
    }
    throwIfWorkersDead(o.workersAlive);
    await new Promise((r) => setTimeout(r, o.pollMillis));
  }
}
