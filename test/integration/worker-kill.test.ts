/**
 * A worker process SIGKILLed in the middle of a file: BullMQ's stalled-job check hands the file to another
 * worker, the coordinator replaces the dead process, and the output is identical to a clean run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { startCli, runCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';

let redis: EmbeddedRedis;
let planted: PlantedSet;
let work: string;
const FAST_STALL = { WIKIREVERSE_LOCK_MS: '2000', WIKIREVERSE_STALLED_INTERVAL_MS: '1000' };

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('kill');
  planted = await plant(path.join(work, 'in'), [
    // One big file (several seconds of work) to be killed in, plus small ones.
    { kind: 'wat', files: 1, pagesPerFile: 25_000, seed: 21, prefix: 'big' },
    { kind: 'warc', files: 3, pagesPerFile: 150, seed: 22, wikiLinkRate: 0.2, prefix: 'small' },
  ]);
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('a worker killed mid-file, repeatedly', () => {
  it('still completes the run with output identical to a clean run', async () => {
    const bigFile = planted.files.find((f) => path.basename(f).startsWith('big')) as string;
    const out = path.join(work, 'out');
    const run = startCli(
      ['run', '--paths', planted.listing, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 'killed-1', '--partitions', '3', '--log-level', 'info'],
      FAST_STALL,
    );
    // Kill whoever holds the big file, twice: BullMQ's default maxStalledCount of 1 would fail it for good.
    const victims: number[] = [];
    for (let kill = 0; kill < 2; kill++) {
      const started = await run.waitForLine(
        (l) => l.includes('"msg":"file started"') && l.includes(bigFile) && !victims.includes((JSON.parse(l) as { pid: number }).pid),
      );
      const victim = (JSON.parse(started) as { pid: number }).pid;
      victims.push(victim);
      await new Promise((r) => setTimeout(r, 300));
      process.kill(victim, 'SIGKILL');
    }
    const res = await run.done;
    expect(res.code, res.stderr.slice(-3000)).toBe(0);
    expect(res.stderr.split('\n').filter((l) => l.includes('local worker exited unexpectedly'))).toHaveLength(2);
    // The big file was started three times: by each victim, then by the worker that finished it.
    const bigStarts = res.stderr.split('\n').filter((l) => l.includes('"msg":"file started"') && l.includes(bigFile));
    expect(bigStarts.length).toBeGreaterThanOrEqual(3);

    const clean = path.join(work, 'clean');
    const cleanRes = await runCli(['run', '--paths', planted.listing, '--out', clean, '--workers', '2', '--redis', redis.url, '--run-id', 'clean-1', '--partitions', '3']);
    expect(cleanRes.code).toBe(0);

    const killed = await readParquet(`${out}/killed-1/links/*.parquet`, 'lang, article, source_url');
    const cleanRows = await readParquet(`${clean}/clean-1/links/*.parquet`, 'lang, article, source_url');
    expect(killed).toEqual(cleanRows);
    expect(killed.map(keyOf).sort()).toEqual(planted.expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());
  });
});
