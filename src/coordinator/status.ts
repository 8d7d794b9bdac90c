/** A run's state as seen in Redis: its record, and how many of its files are waiting, active, done or failed. */
import { openQueue, openRedis, queueName, readRunCounts, readRunRecord, type RunCounts, type RunStatus } from '../redis/index.js';

export interface RunStatusReport extends Omit<RunCounts, 'total'> {
  readonly runId: string;
  /** `gone`: the record went while `status --watch` followed the run. */
  readonly status: RunStatus | 'unknown' | 'gone';
  readonly out: string | null;
  /** The run's files (RunCounts' `total`). */
  readonly files: number;
}

export async function getRunStatus(redisUrl: string, runId: string): Promise<RunStatusReport | null> {
  const redis = await openRedis(redisUrl, 'wikireverse-status');
  const queue = openQueue(queueName(runId), redisUrl, 'wikireverse-status-queue');
  try {
    const record = await readRunRecord(redis, runId);
    if (!record) return null;
    const { total, ...c } = await readRunCounts(redis, queue, runId, record.files);
    return { runId, status: record.status, out: record.out, files: total, waiting: c.waiting, active: c.active, done: c.done, failed: c.failed, retrying: c.retrying };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
