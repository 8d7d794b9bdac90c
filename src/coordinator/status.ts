/** A run's state as seen in Redis: how many of its files are waiting, active, done or failed. */
import { openQueue, openRedis, queueName, runKey } from '../queue/index.js';

export interface RunStatusReport {
  readonly runId: string;
  readonly status: string;
  readonly out: string | null;
  readonly files: number;
  readonly waiting: number;
  readonly active: number;
  readonly done: number;
  readonly failed: number;
}

export async function getRunStatus(redisUrl: string, runId: string): Promise<RunStatusReport | null> {
  const redis = await openRedis(redisUrl, 'wikireverse-status');
  const queue = openQueue(queueName(runId), redisUrl, 'wikireverse-status-queue');
  try {
    const meta = await redis.hgetall(runKey(runId));
    if (Object.keys(meta).length === 0) return null;
    const c = await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized', 'waiting-children');
    return {
      runId,
      status: meta.status ?? 'unknown',
      out: meta.out ?? null,
      files: Number(meta.files ?? 0),
      waiting: (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) + (c['waiting-children'] ?? 0),
      active: c.active ?? 0,
      done: c.completed ?? 0,
      failed: c.failed ?? 0,
    };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
