/**
 * An HTTP proxy on loopback that holds every request for a fixed delay before passing it on unchanged (method, path,
 * headers, body), so a local S3 server answers with the round-trip time of a real one. Counts requests by method, and
 * keeps `METHOD path` of each when asked (tests compare them with a run's own request counters).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class LatencyProxy {
  private server: http.Server | undefined;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly requests = new Map<string, number>();
  /** `METHOD /path?query` of every request, in arrival order (with `record`). */
  readonly seen: string[] = [];

  constructor(private readonly upstreamPort: number, private readonly delayMillis: number, private readonly record = false) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const key = req.method ?? 'OTHER';
      this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
      if (this.record) this.seen.push(`${key} ${req.url ?? ''}`);
      req.pause();
      setTimeout(() => {
        const up = http.request(
          { host: '127.0.0.1', port: this.upstreamPort, method: req.method, path: req.url, headers: req.headers, agent: this.agent },
          (upRes) => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            upRes.pipe(res);
          },
        );
        up.on('error', () => res.destroy());
        req.on('error', () => up.destroy());
        req.pipe(up);
        req.resume();
      }, this.delayMillis);
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.agent.destroy();
  }
}
