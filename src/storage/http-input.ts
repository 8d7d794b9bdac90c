/** Inputs over http(s) (e.g. https://data.commoncrawl.org/...): GET with retries, bodies resumed by Range requests. */
import http from 'node:http';
import https from 'node:https';
import { redactUrl } from '../log/index.js';
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

/** One GET from `offset`; resolves with the body once the status says it is the object. */
function getOnce(url: URL, offset: number, etag: string | undefined, io: IoSession, end?: number): Promise<OpenedBody> {
  const shown = redactUrl(url.toString());
  const headers: Record<string, string> = { 'user-agent': 'wikireverse (+https://github.com/wikireverse)' };
  if (offset > 0 || end !== undefined) headers.range = `bytes=${offset}-${end ?? ''}`;
  if (offset > 0 && etag) headers['if-match'] = etag;
  const get = url.protocol === 'https:' ? https.get : http.get;
  io.counters.add('http', 'get');
  return new Promise((resolve, reject) => {
    const req = get(url, { headers, agent: io.agentFor(url.protocol) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status === 200 || status === 206) {
        req.setTimeout(0);
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
    req.setTimeout(io.settings.idleTimeoutMillis, () => req.destroy(Object.assign(new Error(`GET ${shown}: no response for ${io.settings.idleTimeoutMillis} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

/** Opens an http(s) URL (or `range` of it: [offset, length]) as a byte stream that retries and resumes transparently. */
export function openHttpInput(location: string, io: IoSession, range?: readonly [number, number]): ResumableReadable {
  const url = new URL(location);
  const s = io.settings;
  const backoff = { baseMillis: s.backoffMillis, maxMillis: s.maxBackoffMillis };
  return new ResumableReadable({
    describe: redactUrl(location),
    maxResumes: s.resumes,
    idleTimeoutMillis: s.idleTimeoutMillis,
    backoff,
    ...(range ? { start: range[0], length: range[1] } : {}),
    open: (offset, etag) =>
      withRetry(() => getOnce(url, offset, etag, io, range ? range[0] + range[1] - 1 : undefined), { attempts: s.attempts, ...backoff, onRetry: () => io.counters.add('http', 'retries') }),
    onBytes: (n) => io.counters.add('http', 'bytes_in', n),
    onResume: () => io.counters.add('http', 'resumes'),
  });
}
