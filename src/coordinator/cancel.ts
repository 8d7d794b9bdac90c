/**
 * Cancelling a run: marks it cancelled in Redis (its coordinator, if alive, sees it within a poll, stops its workers
 * and writes the manifest), removes its queued files and reduce tasks, takes it off the active-runs set (standalone workers stop
 * serving it), and marks the manifest when the coordinator is gone.
 */
import { ACTIVE_RUNS_KEY, cancelRunRecord, hasFinished, isGoing, openQueue, openRedis, queueName, readRunRecord, reduceQueueName } from '../redis/index.js';
import { openStore, type IoSession } from '../storage/index.js';
import { readManifest, writeManifest } from './manifest.js';

export interface CancelResult {
  readonly removedJobs: number;
  readonly manifestUpdated: boolean;
  /** The run had ended already (succeeded, failed, cancelled): nothing was changed. */
  readonly alreadyEnded?: string;
}

/** No such run in this Redis (nor, with `--out`, in the output location). */
export class NoSuchRunError extends Error {
  override readonly name = 'NoSuchRunError';
}

/** Cancels a run in its Redis; its manifest is read and marked in `out` (or the output location Redis names) through `io`. */
export async function cancelRun(redisUrl: string, runId: string, out: string | undefined, io: IoSession): Promise<CancelResult> {
  const redis = await openRedis(redisUrl, 'wikireverse-cancel');
  const queue = openQueue(queueName(runId), redisUrl, 'wikireverse-cancel-queue');
  const reduce = openQueue(reduceQueueName(runId), redisUrl, 'wikireverse-cancel-reduce');
  try {
    const record = await readRunRecord(redis, runId);
    const outDir = out ?? record?.out ?? undefined;
    const stored = outDir ? await readManifest(openStore(outDir, io), runId) : null;
    if (!record && !stored) throw new NoSuchRunError(`No run ${runId} in this Redis${outDir ? ` nor in ${outDir}` : ''}: nothing cancelled`);
    // A run that has ended stays as it ended (a cancel racing the end of a run must not relabel a success).
    const status = record ? record.status : stored?.status;
    if (status !== undefined && hasFinished(status)) return { removedJobs: 0, manifestUpdated: false, alreadyEnded: status };
    if (record) {
      // Only while it is still running: a coordinator that finished meanwhile keeps its status.
      const set = await cancelRunRecord(redis, runId);
      if (set !== 'ok') return { removedJobs: 0, manifestUpdated: false, alreadyEnded: set };
    }
    await redis.srem(ACTIVE_RUNS_KEY, runId);
    let removedJobs = 0;
    // Queued files and queued reduce tasks alike.
    for (const q of [queue, reduce]) {
      const before = await q.getJobCounts('waiting', 'delayed', 'prioritized');
      await q.drain(true);
      removedJobs += (before.waiting ?? 0) + (before.delayed ?? 0) + (before.prioritized ?? 0);
    }
    let manifestUpdated = false;
    if (outDir) {
      const store = openStore(outDir, io);
      // Give a live coordinator a moment to write its own final manifest first.
      await new Promise((r) => setTimeout(r, 1500));
      const m = await readManifest(store, runId);
      if (m && (isGoing(m.status) || m.status === 'interrupted')) {
        m.status = 'cancelled';
        m.reason = 'cancelled with `wikireverse cancel`';
        m.finishedAt = new Date().toISOString();
        await writeManifest(store, m);
        manifestUpdated = true;
      } else if (m?.status === 'cancelled') manifestUpdated = true;
    }
    return { removedJobs, manifestUpdated };
  } finally {
    await queue.close();
    await reduce.close();
    redis.disconnect();
  }
}

/**
 * Cancelling a run no Redis can be reached for (its private redis-server went with its coordinator): only its manifest
 * is left to mark. An ended run stays as it ended; an interrupted one (or one whose coordinator died) becomes cancelled.
 */
export async function cancelStoredRun(out: string, runId: string, io: IoSession): Promise<CancelResult> {
  const store = openStore(out, io);
  const m = await readManifest(store, runId);
  if (!m) throw new NoSuchRunError(`No run ${runId} in ${store.location}: nothing cancelled`);
  if (hasFinished(m.status)) return { removedJobs: 0, manifestUpdated: false, alreadyEnded: m.status };
  m.status = 'cancelled';
  m.reason = 'cancelled with `wikireverse cancel`';
  m.finishedAt = new Date().toISOString();
  await writeManifest(store, m);
  return { removedJobs: 0, manifestUpdated: true };
}
