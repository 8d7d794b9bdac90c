/**
 * Cancelling a run: marks it cancelled in Redis (its coordinator, if alive, sees it within a poll, stops its workers
 * and writes the manifest), removes its queued files and reduce tasks, takes it off the active-runs set (standalone workers stop
 * serving it), and marks the manifest when the coordinator is gone.
 */
import { ACTIVE_RUNS_KEY, openQueue, openRedis, queueName, reduceQueueName, runKey } from '../queue/index.js';
import { openStore } from '../storage/index.js';
import { readManifest, writeManifest } from './manifest.js';

export interface CancelResult {
  readonly removedJobs: number;
  readonly manifestUpdated: boolean;
}

export async function cancelRun(redisUrl: string, runId: string, out: string | undefined): Promise<CancelResult> {
  const redis = await openRedis(redisUrl, 'wikireverse-cancel');
  const queue = openQueue(queueName(runId), redisUrl, 'wikireverse-cancel-queue');
  const reduce = openQueue(reduceQueueName(runId), redisUrl, 'wikireverse-cancel-reduce');
  try {
    const meta = await redis.hgetall(runKey(runId));
    const outDir = out ?? meta.out;
    if (Object.keys(meta).length > 0) await redis.hset(runKey(runId), { status: 'cancelled' });
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
      const store = openStore(outDir);
      // Give a live coordinator a moment to write its own final manifest first.
      await new Promise((r) => setTimeout(r, 1500));
      const m = await readManifest(store, runId);
      if (m && (m.status === 'running' || m.status === 'reducing' || m.status === 'interrupted')) {
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
