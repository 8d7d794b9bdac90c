/**
 * A loopback HTTP file server that misbehaves on purpose, standing in for data.commoncrawl.org: it serves objects
 * from memory with ETag and Range support, and a fault plan decides, per request, to answer 503 SlowDown, cut the
 * connection mid-body, stall, trickle slowly, ignore the Range header, or never answer. Every request is recorded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

export type Fault =
  | { readonly kind: 'ok' }
  | { readonly kind: 'status'; readonly status: number }
  /** Sends the headers (full Content-Length) and `afterBytes` of the body, then destroys the socket. */
  | { readonly kind: 'cut'; readonly afterBytes: number }
  /** Sends `afterBytes`, then nothing for `millis` (then the rest). */
  | { readonly kind: 'stall'; readonly afterBytes: number; readonly millis: number }
  /** Sends the body in `chunkBytes` pieces every `everyMillis`. */
  | { readonly kind: 'trickle'; readonly chunkBytes: number; readonly everyMillis: number }
  /** Answers 200 with the whole object even when a Range was asked for. */
  | { readonly kind: 'ignore-range' }
  /** Accepts the request and never answers (no status line, no headers) until the client gives up. */
  | { readonly kind: 'silent' };

export interface RequestLog {
  readonly path: string;
  readonly range: string | undefined;
  readonly status: number;
  readonly fault: Fault['kind'];
  /** When it arrived (ms since the epoch). */
  readonly at: number;
}

/** Decides the fault of a request: `n` is the 1-based count of requests for this path so far. */
export type FaultPlan = (path: string, n: number) => Fault;

export class FaultServer {
  readonly objects = new Map<string, Buffer>();
  readonly requests: RequestLog[] = [];
  plan: FaultPlan = () => ({ kind: 'ok' });
  private readonly counts = new Map<string, number>();
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private port = 0;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  requestsFor(path: string): RequestLog[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const n = (this.counts.get(path) ?? 0) + 1;
    this.counts.set(path, n);
    const body = this.objects.get(path);
    const fault = body ? this.plan(path, n) : { kind: 'ok' as const };
    const range = req.headers.range;
    const at = Date.now();
    const log = (status: number): void => void this.requests.push({ path, range, status, fault: fault.kind, at });
    if (!body) {
      log(404);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (fault.kind === 'silent') {
      log(0);
      return;
    }
    if (fault.kind === 'status') {
      log(fault.status);
      res.writeHead(fault.status, { 'content-type': 'application/xml', 'retry-after': '0' }).end('<Error><Code>SlowDown</Code></Error>');
      return;
    }
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    const m = /^bytes=(\d+)-(\d*)$/.exec(range ?? '');
    if (m && req.headers['if-match'] && req.headers['if-match'] !== etag) {
      log(412);
      res.writeHead(412).end();
      return;
    }
    let start = 0;
    let end = body.length;
    let status = 200;
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', etag, 'accept-ranges': 'bytes' };
    if (m && fault.kind !== 'ignore-range') {
      start = Number(m[1]);
      if (start >= body.length) {
        log(416);
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
      if (m[2]) end = Math.min(body.length, Number(m[2]) + 1);
      headers['content-range'] = `bytes ${start}-${end - 1}/${body.length}`;
    }
    const part = body.subarray(start, end);
    headers['content-length'] = part.length;
    log(status);
    res.writeHead(status, headers);
    switch (fault.kind) {
      case 'cut':
        res.write(part.subarray(0, fault.afterBytes), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      case 'stall': {
        res.flushHeaders();
        res.write(part.subarray(0, fault.afterBytes));
        const t = setTimeout(() => res.end(part.subarray(fault.afterBytes)), fault.millis);
        res.on('close', () => clearTimeout(t));
        return;
      }
      case 'trickle': {
        let at = 0;
        const timer = setInterval(() => {
          if (res.destroyed) return clearInterval(timer);
          const next = part.subarray(at, at + fault.chunkBytes);
          at += next.length;
          if (at >= part.length) {
            clearInterval(timer);
            res.end(next);
          } else res.write(next);
        }, fault.everyMillis);
        res.on('close', () => clearInterval(timer));
        return;
      }
      default:
        res.end(part);
    }
  }
}
