/**
 * JSON-lines logging to stderr (pino). Every line carries the context it was created with
 * (run id, job id, input file). Secrets never go into log fields: URLs are redacted with `redactUrl`.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    { level, base: { pid: process.pid, ...bindings }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** Removes credentials from a URL (e.g. redis://:password@host) so it can be logged or reported. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '' || u.username !== '') {
      u.username = u.username === '' ? '' : '***';
      u.password = u.password === '' ? '' : '***';
    }
    for (const key of [...u.searchParams.keys()]) {
      if (/signature|credential|token|secret|key/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
