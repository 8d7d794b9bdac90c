/** `wikireverse dashboard`: bull-board on 127.0.0.1 against a real redis-server, listing a run's queue and its jobs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_FLAGS } from '../helpers/browser.js';
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
      const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{24}\/) /.exec(out);
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
      const url = await urlOf(cli); // http://127.0.0.1:<port>/<token>/
      const root = url.replace(/[A-Za-z0-9_-]{24}\/$/, '');
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('set-cookie')).toBeNull(); // no cookie: a browser would send it to every port of 127.0.0.1
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await page.text();
      expect(html).toContain('WikiReverse runs');
      expect(html).toMatch(/<script[^>]+src="[^"]*static/);

      const api = await fetch(`${url}api/queues?activeQueue=${queueName('dash-1')}&status=waiting&page=1`);
      expect(api.status).toBe(200);
      const body = (await api.json()) as { queues: Array<{ name: string; counts: Record<string, number>; jobs: Array<{ id: string }> }> };
      const q = body.queues.find((x) => x.name === queueName('dash-1'));
      expect(q, JSON.stringify(body).slice(0, 500)).toBeDefined();
      expect(q?.counts.waiting).toBe(3);
      expect(q?.jobs.map((j) => j.id).sort()).toEqual(['f1', 'f2', 'f3']);

      // Issue 12, finding 9: a web page in the operator's browser could retry or remove jobs. Now: no token, no access;
      // a cross-origin write is refused even with the token; a Host that is not this server (DNS rebinding) is refused.
      expect((await fetch(`${root}api/queues`)).status).toBe(401);
      expect((await fetch(`${root}?token=${url.slice(root.length, -1)}`)).status).toBe(401); // the old form gives nothing
      const pause = `${url}api/queues/${encodeURIComponent(queueName('dash-1'))}/pause`;
      const evil = await fetch(pause, { method: 'PUT', headers: { origin: 'http://evil.example' } });
      expect(evil.status).toBe(403);
      // fetch() cannot set Host: a raw request can, as a rebinding page's browser would send it.
      const rebound = await new Promise<number | undefined>((resolve, reject) => {
        const req = http.get(`${url}api/queues`, { headers: { host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on('error', reject);
      });
      expect(rebound).toBe(403);
      expect(await queue.isPaused()).toBe(false);
      // The dashboard's own page may.
      const own = await fetch(pause, { method: 'PUT', headers: { origin: root.replace(/\/$/, '') } });
      expect(own.status).toBe(200);
      expect(await queue.isPaused()).toBe(true);
    } finally {
      cli.child.kill('SIGTERM');
    }
    const res = await cli.done;
    expect(res.code, res.stderr).toBe(0);
  });

  it('a browser that used the dashboard sends its token to no other server on 127.0.0.1: another user\'s server on another port harvests nothing (issue 24, finding 6)', async (ctx) => {
    ctx.skip(!fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (bash scripts/setup.sh installs it)`);
    const seen: string[] = [];
    const harvester = http.createServer((req, res) => {
      seen.push(`${req.url ?? ''} cookie=${req.headers.cookie ?? ''} referer=${req.headers.referer ?? ''}`);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hello</p>');
    });
    await new Promise<void>((r) => harvester.listen(0, '127.0.0.1', () => r()));
    const harvest = `http://127.0.0.1:${(harvester.address() as AddressInfo).port}/`;
    const cli = startCli(['dashboard', '--redis', redis.url, '--port', '0']);
    const printed = urlOf(cli); // listening from the start: the line may come while the browser starts
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    try {
      const url = await printed;
      const token = url.slice(0, -1).split('/').at(-1) as string;
      const page = await browser.newPage();
      const opened = await page.goto(url);
      expect(opened?.status()).toBe(200);
      await page.waitForSelector('text=WikiReverse runs', { timeout: 30_000 });
      // The operator then follows a link to the other server (or a page makes the browser load it).
      await page.goto(`${harvest}?from=dashboard`);
      await page.evaluate(async (h) => { await fetch(`${h}api`, { credentials: 'include' }).catch(() => undefined); }, harvest);
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((l) => l.includes(token))).toEqual([]);
      expect(seen.filter((l) => /cookie=\S/.test(l))).toEqual([]);
    } finally {
      await browser.close();
      harvester.close();
      cli.child.kill('SIGTERM');
    }
    expect((await cli.done).code).toBe(0);
  }, 120_000);
});
