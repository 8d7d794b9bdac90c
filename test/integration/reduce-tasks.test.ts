/**
 * The aggregate runs on the engine's workers: reduce tasks are taken by standalone `worker` processes serving a
 * coordinator with `--workers 0`; a coordinator SIGKILLed during the reduce phase is resumed without redoing a committed
 * partition; a worker SIGKILLed in the middle of merging a partition has its task retried; the output equals the planted
 * set exactly each time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startCli, runCli, type RunningCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { TestRedis, freePort } from '../helpers/redis.js';

let redis: TestRedis;
let planted: PlantedSet;
let work: string;
const FAST = { WIKIREVERSE_LOCK_MS: '2000', WIKIREVERSE_STALLED_INTERVAL_MS: '1000', WIKIREVERSE_BACKOFF_MS: '200', WIKIREVERSE_POLL_MS: '100' };
const running: RunningCli[] = [];

beforeAll(async () => {
  work = await tempDir('reduce');
  redis = new TestRedis(await freePort(), work, false);
  await redis.start();
  planted = await plant(path.join(work, 'in'), [
    { kind: 'wat', files: 1, pagesPerFile: 20_000, seed: 71, wikiLinkRate: 0.5, prefix: 'big' },
    { kind: 'warc', files: 3, pagesPerFile: 150, seed: 72, wikiLinkRate: 0.2, prefix: 'small' },
  ]);
});

afterAll(async () => {
  for (const r of running) r.child.kill('SIGKILL');
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

const expectedKeys = (): string[] => planted.expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort();
const lines = (stderr: string, msg: string): Array<Record<string, unknown>> =>
  stderr.split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => JSON.parse(l) as Record<string, unknown>);

function worker(runId: string): RunningCli {
  const w = startCli(['worker', '--redis', redis.url, '--run', runId, '--log-level', 'info'], FAST);
  running.push(w);
  return w;
}

describe('reduce tasks', () => {
  it('run on standalone workers; a coordinator killed during the reduce phase is resumed without redoing a partition', async () => {
    const out = path.join(work, 'out-standalone');
    const runId = 'reduce-standalone-1';
    const w = worker(runId);
    await w.waitForLine((l) => l.includes('"msg":"worker ready"'));
    // Four partitions, one per reduce task.
    const env = { ...FAST, WIKIREVERSE_REDUCE_TASK_PARTITIONS: '1' };
    const run = startCli(['run', '--paths', planted.listing, '--out', out, '--workers', '0', '--redis', redis.url, '--run-id', runId, '--partitions', '4'], env);
    running.push(run);
    await run.waitForLine((l) => l.includes(`run ${runId}: reducing`));
    run.child.kill('SIGKILL');
    await run.done;
    const manifest = JSON.parse(await fsp.readFile(`${out}/${runId}/manifest.json`, 'utf8')) as { status: string };
    expect(manifest.status).toBe('reducing');

    const res = await runCli(['resume', runId, '--out', out, '--redis', redis.url, '--workers', '0'], env);
    expect(res.code, res.stderr.slice(-3000)).toBe(0);
    expect(res.stdout).toContain('succeeded');
    w.child.kill('SIGTERM');
    const wr = await w.done;
    // Every reduce task ran once, on the standalone worker (the coordinator never merges a row).
    const started = lines(wr.stderr, 'reduce task started');
    expect(started.map((l) => l.jobId).sort()).toEqual(['reduce-00000', 'reduce-00001', 'reduce-00002', 'reduce-00003']);
    expect(lines(wr.stderr, 'reduce task committed')).toHaveLength(4);

    const links = await readParquet(`${out}/${runId}/links/*.parquet`);
    expect(links.map(keyOf).sort()).toEqual(expectedKeys());
    const final = JSON.parse(await fsp.readFile(`${out}/${runId}/manifest.json`, 'utf8')) as { status: string; outputs: unknown[]; summary: { links: number } };
    expect(final.status).toBe('succeeded');
    // 4 partitions' links and articles, and the domains rollup's 4 buckets (one a reduce task), each run once.
    expect(final.outputs).toHaveLength(8 + 4);
    expect(lines(wr.stderr, 'rollup task committed')).toHaveLength(4);
    expect(final.summary.links).toBe(planted.expected.length);
  });

  it('a worker SIGKILLed while merging a partition: the task is retried and the output is exact', async () => {
    const out = path.join(work, 'out-kill');
    const runId = 'reduce-kill-1';
    const run = startCli(['run', '--paths', planted.listing, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', runId, '--partitions', '1', '--log-level', 'info'], FAST);
    running.push(run);
    const first = JSON.parse(await run.waitForLine((l) => l.includes('"msg":"reduce task started"'))) as { pid: number };
    // Wait until DuckDB is merging (its database is in the task's temp dir), then kill the worker before it commits.
    const deadline = Date.now() + 30_000;
    let merging = false;
    while (!merging && Date.now() < deadline) {
      const dirs = (await fsp.readdir(os.tmpdir())).filter((d) => d.startsWith(`wikireverse-reduce-${first.pid}-`));
      merging = dirs.some((d) => fs.existsSync(path.join(os.tmpdir(), d, 'reduce.duckdb')));
      if (!merging) await new Promise((r) => setTimeout(r, 2));
    }
    expect(merging).toBe(true);
    process.kill(first.pid, 'SIGKILL');
    expect(fs.existsSync(`${out}/${runId}/reduce/part-00000.commit.json`)).toBe(false);

    const res = await run.done;
    expect(res.code, res.stderr.slice(-3000)).toBe(0);
    const starts = lines(res.stderr, 'reduce task started');
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(starts.some((l) => l.pid !== first.pid)).toBe(true);
    const links = await readParquet(`${out}/${runId}/links/*.parquet`);
    expect(links.map(keyOf).sort()).toEqual(expectedKeys());
    for (const d of (await fsp.readdir(os.tmpdir())).filter((x) => x.startsWith(`wikireverse-reduce-${first.pid}-`))) {
      await fsp.rm(path.join(os.tmpdir(), d), { recursive: true, force: true });
    }
  });
});
