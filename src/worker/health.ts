/**
 * The worker's HTTP endpoints: `GET /healthz` (a heartbeat: alive, Redis connected, files in progress, last progress
 * time, spot notice; 200 when healthy, 503 when Redis is not connected or the worker is leaving) and `GET /metrics`
 * (Prometheus text format).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerMetrics } from './metrics.js';

export interface HealthSource {
  redisReady(): Promise<boolean>;
  readonly activeFiles: number;
  readonly lastProgressAt: number;
  readonly runs: string[];
}

export interface HealthServerOptions {
  readonly port: number;
  /** @default '0.0.0.0' (a container's port is published from there) */
  readonly host?: string;
  readonly source: HealthSource;
  readonly metrics: WorkerMetrics;
  /** Set when the worker is leaving (spot notice, drain). */
  readonly leaving?: () => string | null;
}

export interface HealthReport {
  readonly status: 'ok' | 'unhealthy' | 'leaving';
  readonly redis: boolean;
  readonly runs: string[];
  readonly activeFiles: number;
  readonly lastProgressAt: string;
  readonly uptimeSeconds: number;
  readonly leaving: string | null;
  readonly pid: number;
}

export class HealthServer {
  private server: http.Server | undefined;
  private readonly started = Date.now();

  constructor(private readonly opts: HealthServerOptions) {}

  async report(): Promise<HealthReport> {
    const { source } = this.opts;
    const redis = await Promise.race([source.redisReady(), new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())]);
    const leaving = this.opts.leaving?.() ?? null;
    return {
      status: leaving ? 'leaving' : redis ? 'ok' : 'unhealthy', redis, runs: source.runs, activeFiles: source.activeFiles,
      lastProgressAt: new Date(source.lastProgressAt).toISOString(), uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
      leaving, pid: process.pid,
    };
  }

  /** Starts listening; resolves with the port (useful with port 0 in tests). */
  async start(): Promise<number> {
    const server = http.createServer((req, res) => {
      void this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`error: ${(err as Error).message}\n`);
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`Cannot serve /healthz on port ${this.opts.port}: ${err.message}; choose another --health-port`)));
      server.listen(this.opts.port, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      const r = await this.report();
      res.writeHead(r.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r) + '\n');
    } else if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': this.opts.metrics.contentType }).end(await this.opts.metrics.text());
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
    }
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    s?.closeAllConnections();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
