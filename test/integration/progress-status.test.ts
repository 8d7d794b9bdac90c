/**
 * Live progress of a real run against redis-server. `run --workers 0` waits for a standalone worker, which makes
 * "in progress" deterministic: `status` (text, --json, --watch --json) and `run --events` are checked before, while
 * and after a worker processes the run; a first Ctrl-C leaves the run resumable and says so in the events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { costKey, startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';

let redis: EmbeddedRedis;
let planted: PlantedSet;
let work: string;
// The cost ledger (src/cost) writes its total at the start and the end only, so the test's own total shows between.
const FAST = { WIKIREVERSE_POLL_MS: '200', WIKIREVERSE_COST_INTERVAL_MS: '600000' };

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('progress');
  planted = await plant(path.join(work, 'in'), [{ kind: 'wat', files: 4, pagesPerFile: 100, seed: 51, wikiLinkRate: 0.3 }]);
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

type Event = { event: string; runId: string; status?: string; text?: string; files?: { total: number; done: number }; pages?: number; links?: number; report?: string; summary?: { pages: number; links: number } };
const events = (stdout: string): Event[] => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);

describe('progress, status and events of a run in progress', () => {
  it('status shows the run waiting, then its totals; run --events ends with the summary', async () => {
    const out = path.join(work, 'out');
    const run = startCli(['run', '--paths', planted.listing, '--out', out, '--workers', '0', '--redis', redis.url, '--run-id', 'prog-1', '--events'], FAST);
    await run.waitForLine((l) => l.startsWith('files 0/4'));

    const waiting = await runCli(['status', 'prog-1', '--redis', redis.url, '--json']);
    expect(waiting.code, waiting.stderr).toBe(0);
    expect(JSON.parse(waiting.stdout)).toMatchObject({ runId: 'prog-1', status: 'running', files: 4, waiting: 4, active: 0, done: 0, failed: 0, pages: 0, links: 0, etaSeconds: null });

    const r = new Redis(redis.url);
    await r.hset(costKey('prog-1'), { totalUsd: '0.25' });
    r.disconnect();
    const text = await runCli(['status', 'prog-1', '--redis', redis.url]);
    expect(text.stdout).toContain('run prog-1 running: files 4, waiting 4, active 0, done 0, failed 0');
    expect(text.stdout).toMatch(/files 0\/4 \(failed 0, active 0, waiting 4\) .* \| pages 0, links 0, 0 pages\/s, ETA -, cost \$0\.250/);

    const watch = startCli(['status', 'prog-1', '--redis', redis.url, '--watch', '--json', '--interval-ms', '200']);
    const worker = startCli(['worker', '--redis', redis.url]);
    const res = await run.done;
    expect(res.code, res.stderr).toBe(0);
    worker.child.kill('SIGTERM');
    await worker.done;
    const watched = await watch.done;
    expect(watched.code, watched.stderr).toBe(0);

    const ev = events(res.stdout);
    expect(ev[0]).toMatchObject({ event: 'start', runId: 'prog-1', files: 4 });
    expect(ev.at(-1)).toMatchObject({ event: 'summary', runId: 'prog-1', status: 'succeeded', report: `${out}/prog-1/report.html` });
    const progress = ev.filter((e) => e.event === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const last = progress.at(-1);
    const summary = ev.at(-1)?.summary;
    expect(last?.files).toMatchObject({ total: 4, done: 4 });
    expect(last?.pages).toBe(summary?.pages);
    expect(last?.links).toBe(summary?.links);
    expect(ev.some((e) => e.event === 'message' && e.text?.includes('reducing'))).toBe(true);
    expect(res.stderr).toMatch(/files 4\/4 .*\| pages 400, links \d+, .* cost (-|\$[\d.]+) \[succeeded\]/);

    const w = events(watched.stdout);
    expect(w.length).toBeGreaterThanOrEqual(2);
    expect(w[0]).toMatchObject({ event: 'progress', runId: 'prog-1', status: 'running' });
    expect(w.at(-1)).toMatchObject({ event: 'progress', status: 'succeeded', files: { total: 4, done: 4 }, pages: 400 });

    const done = await runCli(['status', 'prog-1', '--redis', redis.url]);
    expect(done.stdout).toContain('run prog-1 succeeded: files 4, waiting 0, active 0, done 4, failed 0');
    expect(done.stdout).toContain('pages 400');
    await fsp.access(`${out}/prog-1/report.html`);
  });

  it('a first Ctrl-C shows the run stopping and leaves it resumable', async () => {
    const out = path.join(work, 'out-int');
    const run = startCli(['run', '--paths', planted.listing, '--out', out, '--workers', '0', '--redis', redis.url, '--run-id', 'prog-int', '--events'], FAST);
    await run.waitForLine((l) => l.startsWith('files 0/4'));
    run.child.kill('SIGINT');
    const res = await run.done;
    expect(res.code).toBe(130);
    const ev = events(res.stdout);
    expect(ev.some((e) => e.event === 'message' && e.text?.startsWith('interrupted: letting workers finish'))).toBe(true);
    expect(ev.at(-1)).toMatchObject({ event: 'summary', runId: 'prog-int', status: 'interrupted' });
    expect(res.stderr).toContain('wikireverse resume prog-int');
  });

  it('status --watch --out of a local run (its private redis-server) reports the end of the run from its manifest, exit 0', async () => {
    const out = path.join(work, 'out-watch');
    const run = startCli(['run', '--paths', planted.listing, '--out', out, '--run-id', 'sw1', '--workers', '1', '--rate-limit', '1', '--no-progress']);
    await run.waitForLine((l) => l.includes('files 0/4') || l.includes('files 1/4'));
    // Polls far apart: the run's end (and its redis-server's) most likely falls between two of them.
    const watch = startCli(['status', 'sw1', '--out', out, '--watch', '--interval-ms', '3000']);
    const [ran, watched] = await Promise.all([run.done, watch.done]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stderr).not.toMatch(/did not answer/);
    expect(watched.stdout.trim().split('\n').at(-1)).toMatch(/^run sw1 succeeded: files 4, (waiting 0, active 0, )?done 4, failed 0/);
    // And plain status --out, after the run, from the manifest (a stale URL file would not make it wait on a dead Redis either).
    const after = await runCli(['status', 'sw1', '--out', out]);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/^run sw1 succeeded/);
  });
});
