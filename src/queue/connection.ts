/** Redis connections for BullMQ: `maxRetriesPerRequest: null` as BullMQ workers require; URLs never logged with secrets. */
import { Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import type { RedisOptions } from 'bullmq';

/** ioredis options from a `redis://[user:password@]host[:port][/db]` or `rediss://` URL. */
export function redisOptions(url: string, name = 'wikireverse'): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`Invalid Redis URL: expected redis://host:port or rediss://host:port`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`Invalid Redis URL scheme "${u.protocol}": expected redis:// or rediss://`);
  }
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: Number.isInteger(db) ? db : 0,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: name,
    retryStrategy: (times: number) => Math.min(200 * times, 5000),
  };
}

export function connect(url: string, name = 'wikireverse'): Redis {
  return new Redis(redisOptions(url, name) as IORedisOptions);
}

/** Waits until the server answers PING, with a clear error naming the (redacted) URL. */
export async function waitForRedis(client: Redis, label: string, timeoutMillis = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await client.ping();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const reason = lastError instanceof Error ? lastError.message : 'no answer';
  throw new Error(`Redis at ${label} did not answer within ${timeoutMillis} ms (${reason}). Check --redis, or omit it to start a private redis-server.`);
}
