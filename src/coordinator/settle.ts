/**
 * Getting a run's files into the queue and waiting until each is committed or failed for good.
 * The output store decides what is committed (`partials/<fileId>.commit.json`); Redis only says what is still to do.
 */
import type { JobType, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ACTIVE_RUNS_KEY, runKey, type FileJobData } from '../queue/index.js';
import { fileIdOfCommit, partialsDir, type OutputStore } from '../storage/index.js';
import type { Manifest, ManifestFile } from './manifest.js';

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

/** What every wait of the coordinator checks at each poll: a Ctrl-C, or `wikireverse cancel` (the run's status in Redis). */
export async function throwIfStopped(redis: Redis, runId: string, interrupted: () => boolean): Promise<void> {
  if (interrupted()) throw new InterruptedError('interrupted');
  if ((await redis.hget(runKey(runId), 'status')) === 'cancelled') throw new CancelledError('cancelled with `wikireverse cancel`');
}

/** The run cannot go on: it had local workers and none is left. */
export function throwIfWorkersDead(workersAlive: () => number | undefined): void {
  if (workersAlive() === 0) throw new Error('All local worker processes died and could not be restarted; see the log above');
}

function jobFor(manifest: Manifest, f: ManifestFile): { name: string; data: FileJobData; opts: Record<string, unknown> } {
  const s = manifest.settings;
  return {
    name: 'file',
    data: { runId: manifest.runId, fileId: f.fileId, input: f.input, out: s.out, job: s.job, partitions: s.partitions, maxRecordBytes: s.maxRecordBytes },
    opts: { jobId: f.fileId, attempts: s.attempts, backoff: { type: 'exponential', delay: s.backoffMillis }, removeOnComplete: false, removeOnFail: false },
  };
}

/** Ids of the given files whose commit records are in the store (one listing: a request per 1,000 files on S3). */
export async function committedFiles(store: OutputStore, runId: string, files: readonly ManifestFile[]): Promise<Set<string>> {
  const wanted = new Set(files.map((f) => f.fileId));
  const done = new Set<string>();
  for (const listed of await store.list(partialsDir(runId))) {
    const id = fileIdOfCommit(runId, listed);
    if (id !== null && wanted.has(id)) done.add(id);
  }
  return done;
}

/**
 * Puts files into the queue. A fresh run adds them all. On resume, a file whose job is waiting or active is left alone;
 * one whose job completed without a commit in the store, or is missing (Redis lost), is added again; a failed one
 * is added again only with `retryFailed`. Returns how many jobs were added.
 */
export async function ensureQueued(queue: Queue, manifest: Manifest, todo: readonly ManifestFile[], resuming: boolean, retryFailed = true): Promise<number> {
  const add: ManifestFile[] = [];
  if (!resuming) add.push(...todo);
  else {
    // Job ids by state, one request per state (linear in the files; a job-by-job state lookup scans the wait list).
    const live = await jobIds(queue, ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);
    const completed = await jobIds(queue, ['completed']);
    const failed = await jobIds(queue, ['failed']);
    for (const f of todo) {
      if (live.has(f.fileId)) continue;
      if (completed.has(f.fileId) || (failed.has(f.fileId) && retryFailed)) {
        await queue.remove(f.fileId);
        add.push(f);
      } else if (!failed.has(f.fileId) && (f.status !== 'failed' || retryFailed)) {
        // Missing (Redis lost it). Failed for good in an earlier session (its job gone with that Redis): only `--retry-failed` retries it.
        add.push(f);
      }
    }
  }
  const BATCH = 1000;
  for (let i = 0; i < add.length; i += BATCH) await queue.addBulk(add.slice(i, i + BATCH).map((f) => jobFor(manifest, f)));
  return add.length;
}

/** What a run looks like at one poll of the coordinator. */
export interface ProgressSnapshot {
  readonly runId: string;
  readonly total: number;
  /** Files finished (committed or completed), failed for good, being processed, waiting (incl. retry backoff). */
  readonly done: number;
  readonly failed: number;
  readonly active: number;
  readonly waiting: number;
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
  readonly progress: (line: string) => void;
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
  const total = manifest.files.length;
  let lastLine = '';
  let lastPrint = 0;
  for (;;) {
    await throwIfStopped(redis, manifest.runId, o.interrupted);
    const c = await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized', 'waiting-children');
    const pending = (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0);
    const failed = c.failed ?? 0;
    const line = `files ${total - pending - failed}/${total} (failed ${failed}, active ${c.active ?? 0}, waiting ${pending - (c.active ?? 0)})`;
    const now = Date.now();
    await o.onTick?.({
      runId: manifest.runId, total, done: total - pending - failed, failed, active: c.active ?? 0,
      waiting: pending - (c.active ?? 0), elapsedMillis: now - o.started,
    });
    if (!o.progressDisplay && line !== lastLine && now - lastPrint > 1000) {
      o.progress(`${line} ${((now - o.started) / 1000).toFixed(1)}s`);
      lastLine = line;
      lastPrint = now;
    }
    if (pending === 0) {
      const known = await jobIds(queue, ['completed', 'failed']);
      const unknown = manifest.files.filter((f) => !known.has(f.fileId));
      const committed = await committedFiles(o.store, manifest.runId, unknown);
      const lost = unknown.filter((f) => !committed.has(f.fileId) && f.status !== 'failed');
      if (lost.length === 0) return;
      // Redis lost these jobs (restarted empty, or flushed): put the run back on the map and enqueue them again.
      o.progress(`${lost.length} files missing from Redis (restarted or flushed?): enqueueing them again`);
      manifest.counters.files_requeued = (manifest.counters.files_requeued ?? 0) + lost.length;
      await redis.hset(runKey(manifest.runId), { out: manifest.settings.out, job: manifest.settings.job, files: String(total), createdAt: manifest.createdAt, status: 'running' });
      await redis.sadd(ACTIVE_RUNS_KEY, manifest.runId);
      await ensureQueued(queue, manifest, lost, true, false);
    }
    throwIfWorkersDead(o.workersAlive);
    await new Promise((r) => setTimeout(r, o.pollMillis));
  }
}
