/**
 * Getting a run's files into the queue and waiting until each is committed or failed for good.
 * The output store decides what is committed (`_SUCCESS.json`); Redis only says what is still to do.
 */
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ACTIVE_RUNS_KEY, runKey, type FileJobData, type FileResult } from '../queue/index.js';
import { successPath, type OutputStore } from '../storage/index.js';
import { mergeCounters } from '../extract/index.js';
import type { Manifest, ManifestFile } from './manifest.js';

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

function jobFor(manifest: Manifest, f: ManifestFile): { name: string; data: FileJobData; opts: Record<string, unknown> } {
  const s = manifest.settings;
  return {
    name: 'file',
    data: { runId: manifest.runId, fileId: f.fileId, input: f.input, out: s.out, job: s.job, partitions: s.partitions, maxRecordBytes: s.maxRecordBytes },
    opts: { jobId: f.fileId, attempts: s.attempts, backoff: { type: 'exponential', delay: s.backoffMillis }, removeOnComplete: false, removeOnFail: false },
  };
}

/** Ids of files whose partials are committed in the store. */
export async function committedFiles(store: OutputStore, runId: string, files: readonly ManifestFile[]): Promise<Set<string>> {
  const done = new Set<string>();
  const BATCH = 32;
  for (let i = 0; i < files.length; i += BATCH) {
    const batch = files.slice(i, i + BATCH);
    const found = await Promise.all(batch.map(async (f) => ((await store.get(successPath(runId, f.fileId))) ? f.fileId : null)));
    for (const id of found) if (id) done.add(id);
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
    for (const f of todo) {
      const job = await queue.getJob(f.fileId);
      if (!job) {
        // Failed for good in an earlier session (its job gone with that Redis): only `--retry-failed` retries it.
        if (f.status !== 'failed' || retryFailed) add.push(f);
        continue;
      }
      const state = await job.getState();
      if (state === 'completed' || (state === 'failed' && retryFailed)) {
        await job.remove();
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

async function jobIds(queue: Queue, state: 'completed' | 'failed'): Promise<Set<string>> {
  const ids = new Set<string>();
  const PAGE = 1000;
  for (let start = 0; ; start += PAGE) {
    const jobs = await queue.getJobs([state], start, start + PAGE - 1, true);
    for (const j of jobs) if (j?.id) ids.add(j.id);
    if (jobs.length < PAGE) return ids;
  }
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
    if (o.interrupted()) throw new InterruptedError('interrupted');
    const status = await redis.hget(runKey(manifest.runId), 'status');
    if (status === 'cancelled') throw new CancelledError('cancelled with `wikireverse cancel`');
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
      const known = new Set([...(await jobIds(queue, 'completed')), ...(await jobIds(queue, 'failed'))]);
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
    const alive = o.workersAlive();
    if (alive === 0) throw new Error('All local worker processes died and could not be restarted; see the log above');
    await new Promise((r) => setTimeout(r, o.pollMillis));
  }
}

/** Reads each file's commit marker (the store is the source of truth) and fills in the manifest's files and counters. */
export async function collectResults(store: OutputStore, queue: Queue, manifest: Manifest): Promise<FileResult[]> {
  const results: FileResult[] = [];
  const requeued = manifest.counters.files_requeued;
  manifest.counters = requeued ? { files_requeued: requeued } : {};
  for (const entry of manifest.files) {
    const marker = await store.get(successPath(manifest.runId, entry.fileId));
    const job = (await queue.getJob(entry.fileId)) as Job<FileJobData, FileResult> | undefined;
    if (marker) {
      const r = JSON.parse(marker.toString('utf8')) as FileResult;
      results.push(r);
      mergeCounters(manifest.counters, r.counters);
      Object.assign(entry, { status: 'done', rows: r.rows, kind: r.kind, seconds: r.seconds, attempts: Math.max(r.attempt, job?.attemptsMade ?? 0) });
      delete entry.error;
    } else {
      entry.status = 'failed';
      entry.attempts = job?.attemptsMade ?? entry.attempts ?? 0;
      entry.error = job?.failedReason || entry.error || 'not committed';
    }
  }
  return results;
}
