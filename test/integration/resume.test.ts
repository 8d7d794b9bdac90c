/**
 * Nothing lost: a coordinator SIGKILLed mid-run is resumed from the output store (with Redis alive, and with Redis
 * replaced by a fresh empty server); resuming a finished run does nothing; the output equals the planted set exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { WORKER_NODE_FLAGS } from '../../src/config/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { TestRedis, freePort } from '../helpers/redis.js';

let planted: PlantedSet;
let work: string;
const FAST = { WIKIREVERSE_LOCK_MS: '2000', WIKIREVERSE_STALLED_INTERVAL_MS: '1000', WIKIREVERSE_BACKOFF_MS: '200' };

beforeAll(async () => {
  work = await tempDir('resume');
  planted = await plant(path.join(work, 'in'), [
    { kind: 'warc', files: 4, pagesPerFile: 120, seed: 41, wikiLinkRate: 0.2, prefix: 'small' },
    { kind: 'wat', files: 1, pagesPerFile: 25_000, seed: 42, prefix: 'big' },
    { kind: 'wat', files: 2, pagesPerFile: 150, seed: 43, wikiLinkRate: 0.2, prefix: 'late' },
  ]);
});

afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

const expectedKeys = (): string[] => planted.expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a run, waits until at least one file is committed, SIGKILLs the coordinator; returns its worker pids. */
async function killCoordinatorMidRun(redisUrl: string, out: string, runId: string): Promise<number[]> {
  const run = startCli(['run', '--paths', planted.listing, '--out', out, '--workers', '2', '--redis', redisUrl, '--run-id', runId, '--partitions', '3', '--log-level', 'info'], FAST);
  await run.waitForLine((l) => l.includes('"msg":"file committed"'));
  const started = (): number[] =>
    run.stderr()
      .split('\n')
      .filter((l) => l.includes('"msg":"local worker started"'))
      .map((l) => (JSON.parse(l) as { workerPid: number }).workerPid);
  // Local workers run with the node flags of the container's worker (WORKER_NODE_FLAGS).
  for (const pid of started()) {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(argv.slice(1, 1 + WORKER_NODE_FLAGS.length)).toEqual(WORKER_NODE_FLAGS);
  }
  run.child.kill('SIGKILL');
  await run.done;
  return started();
}

describe('resume', () => {
  it('continues a run whose coordinator was SIGKILLed; its orphaned workers stop; output is exact', async () => {
    const redis = new TestRedis(await freePort(), work, false);
    await redis.start();
    try {
      const out = path.join(work, 'out-a');
      const pids = await killCoordinatorMidRun(redis.url, out, 'crash-1');
      expect(pids.length).toBeGreaterThanOrEqual(2);
      // The workers notice their coordinator is gone and stop instead of running on as orphans.
      const deadline = Date.now() + 10_000;
      while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(pids.filter(alive)).toEqual([]);

      const before = JSON.parse(await fsp.readFile(`${out}/crash-1/manifest.json`, 'utf8'));
      expect(before.status).toBe('running');

      const res = await runCli(['resume', 'crash-1', '--out', out, '--redis', redis.url, '--workers', '2'], FAST);
      expect(res.code, res.stderr.slice(-2000)).toBe(0);
      const links = await readParquet(`${out}/crash-1/links/*.parquet`);
      expect(links.map(keyOf).sort()).toEqual(expectedKeys());
      const manifest = JSON.parse(await fsp.readFile(`${out}/crash-1/manifest.json`, 'utf8'));
      expect(manifest.status).toBe('succeeded');
      expect(manifest.sessions).toBe(2);

      // Resuming a finished run does nothing.
      const again = await runCli(['resume', 'crash-1', '--out', out, '--redis', redis.url]);
      expect(again.code).toBe(0);
      expect(again.stderr).toContain('already finished');
      const after = JSON.parse(await fsp.readFile(`${out}/crash-1/manifest.json`, 'utf8'));
      expect(after).toEqual(manifest);
    } finally {
      await redis.stop();
    }
  });

  it('rebuilds from the output store when Redis is lost entirely (a fresh empty server)', async () => {
    const first = new TestRedis(await freePort(), work, false);
    await first.start();
    const out = path.join(work, 'out-b');
    await killCoordinatorMidRun(first.url, out, 'lost-redis-1');
    await first.stop();
    const committedBefore = (await fsp.readdir(`${out}/lost-redis-1/partials`).catch(() => [] as string[])).filter((d) => d.endsWith('.jsonl.gz')).length;
    expect(committedBefore).toBeGreaterThan(0);

    const fresh = new TestRedis(await freePort(), work, false);
    await fresh.start();
    try {
      const res = await runCli(['resume', 'lost-redis-1', '--out', out, '--redis', fresh.url, '--workers', '2', '--log-level', 'info', '--events'], FAST);
      expect(res.code, res.stderr.slice(-2000)).toBe(0);
      // Counts agree (issue 13): the last progress event of the resumed run says what its summary says, though the
      // fresh Redis's live totals only know the files redone.
      const events = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; links?: number; pages?: number; summary?: { links: number; pages: number } });
      const summary = events.at(-1)?.summary;
      const lastProgress = events.filter((e) => e.event === 'progress').at(-1);
      expect(summary?.links).toBeGreaterThan(0);
      expect(lastProgress?.links).toBe(summary?.links);
      expect(lastProgress?.pages).toBe(summary?.pages);
      // Files committed before the crash were not redone.
      const redone = res.stderr.split('\n').filter((l) => l.includes('"msg":"file started"')).length;
      expect(redone).toBeLessThan(planted.files.length);
      const links = await readParquet(`${out}/lost-redis-1/links/*.parquet`);
      expect(links.map(keyOf).sort()).toEqual(expectedKeys());
    } finally {
      await fresh.stop();
    }
  });
});
