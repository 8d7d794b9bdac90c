/**
 * Retries with jittered exponential backoff, and which failures are worth retrying: throttling (503 SlowDown, 429),
 * server errors (5xx), timeouts and connections that died. Everything else (403, 404, bad input) fails at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffOptions {
  /** Attempts in all (the first one included). */
  readonly attempts: number;
  /** Delay cap of the first retry; doubles with each retry up to `maxMillis`. */
  readonly baseMillis: number;
  readonly maxMillis: number;
}

/** An HTTP answer that is not the object. `retryable` for throttling and server errors. */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  readonly retryable: boolean;
  constructor(
    readonly status: number,
    message: string,
    /** Server-suggested delay (Retry-After), when given. */
    readonly retryAfterMillis?: number,
  ) {
    super(message);
    this.retryable = status === 408 || status === 429 || status >= 500;
  }
}

/** A response that stopped sending bytes for too long. */
export class IdleTimeoutError extends Error {
  override readonly name = 'IdleTimeoutError';
}

/** An input that delivered no byte for its whole give-up deadline, through its retries and resumes: not retried. */
export class GiveUpError extends Error {
  override readonly name = 'GiveUpError';
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENETDOWN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET', 'ERR_HTTP2_STREAM_ERROR', 'Z_BUF_ERROR',
]);
const TRANSIENT_S3 = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'RequestTimeTooSkewed', 'ThrottlingException', 'TimeoutError']);

/** Whether trying again may succeed. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof HttpStatusError) return err.retryable;
  if (err instanceof IdleTimeoutError) return true;
  const e = err as Error & { code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  if (TRANSIENT_S3.has(e.name) || e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  return /socket hang up|aborted|premature/i.test(e.message);
}

/** Delay before retry number `retry` (1-based): uniformly random in [cap/2, cap], cap = base * 2^(retry-1) <= max. */
export function backoffMillis(retry: number, o: Pick<BackoffOptions, 'baseMillis' | 'maxMillis'>): number {
  const cap = Math.min(o.maxMillis, o.baseMillis * 2 ** Math.max(0, retry - 1));
  return Math.round(cap / 2 + (Math.random() * cap) / 2);
}

export interface RetryOptions extends BackoffOptions {
  readonly retryable?: (err: unknown) => boolean;
  /** Called before each retry (for counting and logging). */
  readonly onRetry?: (err: unknown, retry: number, delayMillis: number) => void;
  /** Ends the retrying: no attempt starts and no backoff lasts past it (the error is the signal's reason). */
  readonly signal?: AbortSignal | undefined;
}

/** Calls `fn` until it succeeds, a failure is not transient, or the attempts are used up; then throws the last error. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const retryable = o.retryable ?? isTransient;
  const signal = o.signal;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (attempt >= o.attempts || !retryable(err)) throw err;
      const suggested = err instanceof HttpStatusError ? err.retryAfterMillis : undefined;
      const delay = Math.max(backoffMillis(attempt, o), Math.min(suggested ?? 0, o.maxMillis));
      o.onRetry?.(err, attempt, delay);
      await sleep(delay, undefined, signal ? { signal } : undefined).catch(() => {
        throw signal?.aborted ? signal.reason : err;
      });
    }
  }
}
