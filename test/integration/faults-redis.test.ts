/**
 * Redis trouble mid-run: worker connections dropped (CLIENT KILL) and restored; redis-server restarted with
 * persistence on; two runs at once on the same Redis and output root. Each run's output equals its planted set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { startCli, runCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { TestRedis, freePort } from '../helpers/redis.js';
import { QUEUE_PREFIX, queueName } from '../../src/redis/index.js';

let work: string;
let planted: PlantedSet;
const FAST = { WIKIREVERSE_LOCK_MS: '2000', WIKIREVERSE_STALLED_INTERVAL_MS: '1000', WIKIREVERSE_BACKOFF_MS: '200' };
const keys = (p: PlantedSet): string[] => p.expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort();

/** Resolves once `cond` holds (checked every 50 ms); fails after `timeoutMillis`, showing `context()`. */
async function until(cond: () => Promise<boolean>, timeoutMillis: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMillis} ms; context:\n${context()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  work = await tempDir('faults-redis');
  planted = await plant(path.join(work, 'in'), [
    { kind: 'wat', files: 2, pagesPerFile: 12_000, seed: 51, prefix: 'big' },
    { kind: 'warc', files: 4, pagesPerFile: 120, seed: 52, wikiLinkRate: 0.2, prefix: 'small' },
  ]);
});

afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('redis faults', () => {
  it('survives every client connection being killed mid-run', async () => {
    const redis = new TestRedis(await freePort(), path.join(work), false);
    await redis.start();
    try {
      const out = path.join(work, 'out-kill-conn');
      const run = startCli(['run', '--paths', planted.listing, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 'conn-1', '--log-level', 'info'], FAST);
      await run.waitForLine((l) => l.includes('"msg":"file started"'));
      const admin = redis.client();
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 400));
        const killed = await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
        expect(Number(killed)).toBeGreaterThan(0);
      }
      admin.disconnect();
      const res = await run.done;
      expect(res.code, res.stderr.slice(-2000)).toBe(0);
      const links = await readParquet(`${out}/conn-1/links/*.parquet`);
      expect(links.map(keyOf).sort()).toEqual(keys(planted));
    } finally {
      await redis.stop();
    }
  });

  it('survives redis-server restarting while files are in flight (persistence on)', async () => {
    const dir = path.join(work, 'redis-data');
    await fsp.mkdir(dir, { recursive: true });
    const redis = new TestRedis(await freePort(), dir, true);
    await redis.start();
    const runId = 'restart-1';
    const admin = redis.client();
    try {
      const out = path.join(work, 'out-restart');
      const run = startCli(['run', '--paths', planted.listing, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', runId, '--log-level', 'info'], FAST);
      // Files in flight: taken by a worker (BullMQ's active list). Writes paused from here on, none of them can complete
      // before the server stops: they are in flight when it goes.
      const activeKey = `${QUEUE_PREFIX}:${queueName(runId)}:active`;
      await until(async () => (await admin.llen(activeKey)) > 0, 60_000, () => run.stderr().slice(-2000));
      await admin.call('CLIENT', 'PAUSE', '30000', 'WRITE');
      const inFlight = await admin.lrange(activeKey, 0, -1);
      admin.disconnect();
      expect(inFlight.length).toBeGreaterThan(0);
      const stoppedAt = run.stderr().length;
      await redis.stop();
      // The run meets the outage (a worker's or the coordinator's Redis error) before the server is back.
      await until(async () => /ECONNREFUSED|Connection is closed/.test(run.stderr().slice(stoppedAt)), 30_000, () => run.stderr().slice(stoppedAt));
      const restartedAt = Date.now();
      await redis.start();
      const res = await run.done;
      expect(res.code, res.stderr.slice(-2000)).toBe(0);
      const links = await readParquet(`${out}/${runId}/links/*.parquet`);
      expect(links.map(keyOf).sort()).toEqual(keys(planted));
      // Every file in flight at the stop was completed after the restart (the Redis state survived it).
      const after = redis.client();
      try {
        for (const id of inFlight) {
          const finishedOn = Number(await after.hget(`${QUEUE_PREFIX}:${queueName(runId)}:${id}`, 'finishedOn'));
          expect(finishedOn, `file ${id}`).toBeGreaterThan(restartedAt);
        }
      } finally {
        after.disconnect();
      }
      console.log(`redis restart: ${inFlight.length} files in flight; the run saw: ${res.stderr.slice(stoppedAt).split('\n').find((l) => /ECONNREFUSED|Connection is closed/.test(l))?.slice(0, 300)}`);
    } finally {
      admin.disconnect();
      await redis.stop();
    }
  });

  it('keeps two concurrent runs on the same Redis and output root apart', async () => {
    const other = await plant(path.join(work, 'in-other'), [{ kind: 'wat', files: 3, pagesPerFile: 150, seed: 53, wikiLinkRate: 0.3, prefix: 'other' }]);
    const redis = new TestRedis(await freePort(), work, false);
    await redis.start();
    try {
      const out = path.join(work, 'out-shared');
      const [a, b] = await Promise.all([
        runCli(['run', '--paths', planted.listing, '--out', out, '--workers', '1', '--redis', redis.url, '--run-id', 'twin-a'], FAST),
        runCli(['run', '--paths', other.listing, '--out', out, '--workers', '1', '--redis', redis.url, '--run-id', 'twin-b'], FAST),
      ]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      expect((await readParquet(`${out}/twin-a/links/*.parquet`)).map(keyOf).sort()).toEqual(keys(planted));
      expect((await readParquet(`${out}/twin-b/links/*.parquet`)).map(keyOf).sort()).toEqual(keys(other));
      const ma = JSON.parse(await fsp.readFile(`${out}/twin-a/manifest.json`, 'utf8'));
      expect(ma.files).toMatchObject({ total: planted.files.length, done: planted.files.length });
    } finally {
      await redis.stop();
    }
  });
});
