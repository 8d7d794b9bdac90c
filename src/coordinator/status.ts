/** A run's state as seen in Redis: its record, and how many of its files are waiting, active, done or failed. */
import { openQueue, openRedis, queueName, readRunRecord, type RunStatus } from '../queue/index.js';

export interface RunStatusReport {
  readonly runId: string;
  /** `gone`: the record went while `status --watch` followed the run. */
  readonly status: RunStatus | 'unknown' | 'gone';
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
    const record = await readRunRecord(redis, runId);
    if (!record) return null;
    const c = await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized', 'waiting-children');
    return {
      runId,
      status: record.status,
      out: record.out,
      files: record.files,
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
