/**
 * Redis connections for BullMQ: `maxRetriesPerRequest: null` as BullMQ workers require; URLs never logged with secrets.
 * Every client and queue made here keeps its connection errors to itself (no ioredis stack traces on the terminal);
 * a command opens Redis with `openRedis`, which fails within a bounded time with one line naming the redacted URL.
 */
import { Redis } from 'ioredis';
import { Queue, type RedisOptions } from 'bullmq';
import { redactUrl } from '../log/index.js';
import { QUEUE_PREFIX } from './names.js';
import { UsageError } from '../exit-codes.js';

/** How long a command waits for Redis to answer before it fails. */
export const REDIS_CONNECT_MILLIS = 10_000;

/** Redis cannot be reached or refuses us: a usage error (exit 2), one line, no stack trace. */
export class RedisUnavailableError extends UsageError {
  override name = 'RedisUnavailableError';
}

/** The last connection error of each client, for the message when it does not answer. */
const lastErrors = new WeakMap<object, Error>();

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

/** A client that keeps its connection errors (it reconnects by itself; `openRedis` reports them). */
export function connect(url: string, name = 'wikireverse'): Redis {
  const client = new Redis(redisOptions(url, name));
  client.on('error', (err: Error) => lastErrors.set(client, err));
  return client;
}

/** A BullMQ queue whose connection errors are kept, not thrown at the terminal (its commands wait for Redis to return). */
export function openQueue(name: string, url: string, connectionName: string): Queue {
  const queue = new Queue(name, { connection: redisOptions(url, connectionName), prefix: QUEUE_PREFIX });
  queue.on('error', (err: Error) => lastErrors.set(queue, err));
  return queue;
}

const AUTH_ERROR = /WRONGPASS|NOAUTH|invalid password|invalid username|NOPERM/i;

/** What went wrong, in a few words and without secrets (ioredis' messages can quote the command sent). */
function cause(err: Error | undefined, url: string): string {
  if (!err) return 'no answer';
  const code = (err as NodeJS.ErrnoException).code;
  if (AUTH_ERROR.test(err.message)) return 'it refused the credentials (wrong password or user)';
  const text = code ?? err.message.split('\n')[0] ?? '';
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // not a URL: nothing to hide
  }
  return password ? text.split(password).join('***') : text;
}

/**
 * Waits until the server answers PING; fails after `timeoutMillis`, or at once when it refuses the credentials, with
 * a RedisUnavailableError naming the redacted URL and the cause.
 */
export async function waitForRedis(client: Redis, url: string, timeoutMillis = REDIS_CONNECT_MILLIS): Promise<void> {
  const label = redactUrl(url);
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      client.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const fail = (reason: string): void =>
      done(new RedisUnavailableError(`Redis at ${label} ${reason}. Check --redis (or WIKIREVERSE_REDIS_URL), or omit it to start a private redis-server.`));
    const onError = (err: Error): void => {
      if (AUTH_ERROR.test(err.message)) fail(`refused the connection: ${cause(err, url)}`);
    };
    const timer = setTimeout(() => fail(`did not answer within ${Math.round(timeoutMillis / 1000)} s (${cause(lastErrors.get(client), url)})`), timeoutMillis);
    client.on('error', onError);
    client.ping().then(() => done(), (err: Error) => fail(`refused the connection: ${cause(err, url)}`));
  });
}

/** A connected client (PING answered), or a RedisUnavailableError within `timeoutMillis`. */
export async function openRedis(url: string, name: string, timeoutMillis = REDIS_CONNECT_MILLIS): Promise<Redis> {
  const client = connect(url, name);
  try {
    await waitForRedis(client, url, timeoutMillis);
    return client;
  } catch (err) {
    client.disconnect();
    throw err;
  }
}
