/** `wikireverse dashboard`: bull-board on 127.0.0.1 against a real redis-server, listing a run's queue and its jobs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ACTIVE_RUNS_KEY, QUEUE_PREFIX, queueName, startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { startCli, type RunningCli } from '../helpers/cli.js';

let redis: EmbeddedRedis;
let queue: Queue;

beforeAll(async () => {
  redis = await startRedisServer();
  queue = new Queue(queueName('dash-1'), { connection: { url: redis.url }, prefix: QUEUE_PREFIX });
  await queue.addBulk([1, 2, 3].map((i) => ({ name: 'file', data: { fileId: `f${i}`, input: `/in/${i}.wat.gz` }, opts: { jobId: `f${i}` } })));
  const r = new Redis(redis.url);
  await r.sadd(ACTIVE_RUNS_KEY, 'dash-1');
  r.disconnect();
});

afterAll(async () => {
  await queue?.close();
  await redis?.stop();
});

function urlOf(cli: RunningCli): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`no dashboard URL on stdout: ${out}`)), 20_000);
    cli.child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+) /.exec(out);
      if (m?.[1]) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
  });
}

describe('dashboard', () => {
  it("serves bull-board on loopback with the run's queue and jobs", async () => {
    const cli = startCli(['dashboard', '--redis', redis.url, '--port', '0']);
    try {
      const withToken = await urlOf(cli);
      const url = withToken.replace(/\?token=.*/, '');
      const page = await fetch(withToken);
      expect(page.status).toBe(200);
      const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] as string;
      expect(cookie).toMatch(/^wikireverse_dashboard=/);
      const html = await page.text();
      expect(html).toContain('WikiReverse runs');
      expect(html).toMatch(/<script[^>]+src="[^"]*static/);

      const api = await fetch(`${url}api/queues?activeQueue=${queueName('dash-1')}&status=waiting&page=1`, { headers: { cookie } });
      expect(api.status).toBe(200);
      const body = (await api.json()) as { queues: Array<{ name: string; counts: Record<string, number>; jobs: Array<{ id: string }> }> };
      const q = body.queues.find((x) => x.name === queueName('dash-1'));
      expect(q, JSON.stringify(body).slice(0, 500)).toBeDefined();
      expect(q?.counts.waiting).toBe(3);
      expect(q?.jobs.map((j) => j.id).sort()).toEqual(['f1', 'f2', 'f3']);

      // Issue 12, finding 9: a web page in the operator's browser could retry or remove jobs. Now: no token, no access;
      // a cross-origin write is refused even with the cookie; a Host that is not this server (DNS rebinding) is refused.
      expect((await fetch(`${url}api/queues`)).status).toBe(401);
      const pause = `${url}api/queues/${encodeURIComponent(queueName('dash-1'))}/pause`;
      const evil = await fetch(pause, { method: 'PUT', headers: { cookie, origin: 'http://evil.example' } });
      expect(evil.status).toBe(403);
      // fetch() cannot set Host: a raw request can, as a rebinding page's browser would send it.
      const rebound = await new Promise<number | undefined>((resolve, reject) => {
        const req = http.get(`${url}api/queues`, { headers: { cookie, host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on('error', reject);
      });
      expect(rebound).toBe(403);
      expect(await queue.isPaused()).toBe(false);
      // The dashboard's own page may.
      const own = await fetch(pause, { method: 'PUT', headers: { cookie, origin: url.replace(/\/$/, '') } });
      expect(own.status).toBe(200);
      expect(await queue.isPaused()).toBe(true);
    } finally {
      cli.child.kill('SIGTERM');
    }
    const res = await cli.done;
    expect(res.code, res.stderr).toBe(0);
  });
});
