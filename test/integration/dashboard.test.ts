/** `wikireverse dashboard`: bull-board on 127.0.0.1 against a real redis-server, listing a run's queue and its jobs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ACTIVE_RUNS_KEY, QUEUE_PREFIX, queueName, startRedisServer, type EmbeddedRedis } from '../../src/queue/index.js';
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
      const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
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
      const url = await urlOf(cli);
      const page = await fetch(url);
      expect(page.status).toBe(200);
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
    } finally {
      cli.child.kill('SIGTERM');
    }
    const res = await cli.done;
    expect(res.code, res.stderr).toBe(0);
  });
});
