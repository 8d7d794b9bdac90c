/** Inputs over http(s) (e.g. https://data.commoncrawl.org/...): GET with retries, bodies resumed by Range requests. */
import http from 'node:http';
import https from 'node:https';
import { redactUrl } from '../log/index.js';
import { checkLiteral } from './address-policy.js';
import { HttpStatusError, withRetry } from './retry.js';
import { ResumableReadable, type OpenedBody } from './resumable.js';
import type { IoSession } from './io-session.js';

function retryAfterMillis(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs)) return secs * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A request that did not get as far as it should have in time: a transient failure, retried. */
function timedOut(message: string): Error {
  return Object.assign(new Error(message), { code: 'ETIMEDOUT' });
}

/**
 * One GET from `offset`; resolves with the body once the status says it is the object. The connection must be up
 * within the connect deadline and the response headers there within the first-byte deadline; `signal` aborts it.
 */
function getOnce(url: URL, offset: number, etag: string | undefined, io: IoSession, signal: AbortSignal, end?: number): Promise<OpenedBody> {
  const shown = redactUrl(url.toString());
  const headers: Record<string, string> = { 'user-agent': 'wikireverse (+https://github.com/wikireverse)' };
  if (offset > 0 || end !== undefined) headers.range = `bytes=${offset}-${end ?? ''}`;
  if (offset > 0 && etag) headers['if-match'] = etag;
  const get = url.protocol === 'https:' ? https.get : http.get;
  io.counters.add('http', 'get');
  const { connectTimeoutMillis, firstByteTimeoutMillis } = io.settings;
  return new Promise((resolve, reject) => {
    let connectTimer: NodeJS.Timeout | undefined;
    const clearTimers = (): void => {
      clearTimeout(firstByte);
      clearTimeout(connectTimer);
      signal.removeEventListener('abort', onAbort);
    };
    const req = get(url, { headers, agent: io.agentFor(url.protocol) }, (res) => {
      clearTimers();
      const status = res.statusCode ?? 0;
      if (status === 200 || status === 206) {
        const length = Number(res.headers['content-length'] ?? NaN);
        const range = /\/(\d+)\s*$/.exec(res.headers['content-range'] ?? '');
        const etagHeader = res.headers.etag;
        resolve({
          stream: res,
          totalBytes: status === 206 && range ? Number(range[1]) : Number.isFinite(length) ? length + (status === 206 ? offset : 0) : undefined,
          etag: typeof etagHeader === 'string' ? etagHeader : undefined,
          skipBytes: status === 200 ? offset : 0,
        });
        return;
      }
      res.resume(); // consume the error body so the socket goes back to the pool
      const hint =
        status === 403 || status === 404
          ? ' (check the crawl name and the path; listings are at crawl-data/<crawl>/wat.paths.gz)'
          : status === 412 ? ' (the object changed while it was being read)' : '';
      reject(new HttpStatusError(status, `GET ${shown}: HTTP ${status} ${res.statusMessage ?? ''}${hint}`.trim(), retryAfterMillis(res.headers['retry-after'])));
    });
    const firstByte = setTimeout(() => req.destroy(timedOut(`GET ${shown}: no response within ${firstByteTimeoutMillis} ms`)), firstByteTimeoutMillis);
    req.once('socket', (socket) => {
      if (!socket.connecting) return; // a kept-alive connection
      connectTimer = setTimeout(() => req.destroy(timedOut(`GET ${shown}: could not connect within ${connectTimeoutMillis} ms`)), connectTimeoutMillis);
      socket.once('connect', () => clearTimeout(connectTimer));
    });
    const onAbort = (): void => {
      req.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => {
      clearTimers();
      reject(signal.aborted && signal.reason instanceof Error ? signal.reason : err);
    });
  });
}

/** Opens an http(s) URL (or `range` of it: [offset, length]) as a byte stream that retries and resumes transparently. */
export function openHttpInput(location: string, io: IoSession, range?: readonly [number, number]): ResumableReadable {
  const url = new URL(location);
  if (io.settings.publicAddressesOnly === true) checkLiteral(url);
  const s = io.settings;
  const backoff = { baseMillis: s.backoffMillis, maxMillis: s.maxBackoffMillis };
  return new ResumableReadable({
    describe: redactUrl(location),
    maxResumes: s.resumes,
    idleTimeoutMillis: s.idleTimeoutMillis,
    giveUpMillis: s.giveUpMillis,
    backoff,
    ...(range ? { start: range[0], length: range[1] } : {}),
    open: (offset, etag, signal) =>
      withRetry(() => getOnce(url, offset, etag, io, signal, range ? range[0] + range[1] - 1 : undefined), {
        attempts: s.attempts, ...backoff, signal, onRetry: () => io.counters.add('http', 'retries'),
      }),
    onBytes: (n) => io.counters.add('http', 'bytes_in', n),
    onResume: () => io.counters.add('http', 'resumes'),
  });
}
