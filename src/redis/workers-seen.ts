/**
 * Which workers of a run have connected, and when each was last seen: a hash per run (`workersSeenKey`), one field per
 * worker (on a fleet instance its instance id, else host:pid), the time in ms. Workers serving a run write it every
 * few seconds; the EC2 fleet reads it to tell an instance that became a worker from one that never did. Read back
 * through `readWorkersSeen` only: an id that no worker writes, a time that is not one, and entries past a bound are
 * left out.
 */
import type { Redis } from 'ioredis';
import { workersSeenKey } from './run-record.js';

/** How often a worker says it is alive. */
export const WORKER_SEEN_INTERVAL_MILLIS = 5_000;
/** Most workers read back (a fleet is at most a few hundred instances). */
export const MAX_WORKERS_SEEN = 10_000;
const WORKER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** The key is dropped a day after the last worker wrote it. */
const TTL_SECS = 86_400;

export async function recordWorkerSeen(redis: Redis, runId: string, workerId: string, at = Date.now()): Promise<void> {
  if (!WORKER_ID_RE.test(workerId)) throw new Error(`not a worker id: ${JSON.stringify(workerId.slice(0, 140))}`);
  await redis.multi().hset(workersSeenKey(runId), workerId, String(at)).expire(workersSeenKey(runId), TTL_SECS).exec();
}

/** Worker id -> when it was last seen (ms), validated. */
export async function readWorkersSeen(redis: Redis, runId: string): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(workersSeenKey(runId), cursor, 'COUNT', 1000);
    cursor = next;
    for (let i = 0; i + 1 < flat.length && seen.size < MAX_WORKERS_SEEN; i += 2) {
      const id = flat[i] as string;
      const at = Number(flat[i + 1]);
      if (WORKER_ID_RE.test(id) && Number.isSafeInteger(at) && at > 0) seen.set(id, at);
    }
  } while (cursor !== '0' && seen.size < MAX_WORKERS_SEEN);
  return seen;
}
