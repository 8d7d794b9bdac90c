/**
 * `run --workers 0` leaves the work to standalone `wikireverse worker` processes (as on a fleet);
 * `status` reports the run's files from Redis while it waits and after it finishes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';

let redis: EmbeddedRedis;
let planted: PlantedSet;
let work: string;

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('status');
  planted = await plant(path.join(work, 'in'), [{ kind: 'wat', files: 4, pagesPerFile: 100, seed: 31, wikiLinkRate: 0.3 }]);
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('standalone worker and status', () => {
  it('a run without local workers waits; a standalone worker finds it and finishes it', async () => {
    const out = path.join(work, 'out');
    const run = startCli(['run', '--paths', planted.listing, '--out', out, '--workers', '0', '--redis', redis.url, '--run-id', 'ext-1']);
    await run.waitForLine((l) => l.includes('files 0/4'));

    const waiting = await runCli(['status', 'ext-1', '--redis', redis.url, '--json']);
    expect(waiting.code).toBe(0);
    expect(JSON.parse(waiting.stdout)).toMatchObject({ runId: 'ext-1', status: 'running', files: 4, waiting: 4, active: 0, done: 0, failed: 0 });

    const worker = startCli(['worker', '--redis', redis.url]);
    const res = await run.done;
    expect(res.code, res.stderr).toBe(0);
    worker.child.kill('SIGTERM');
    const w = await worker.done;
    expect(w.code).toBe(0);
    expect(w.stderr).toContain('"msg":"serving run"');

    const done = await runCli(['status', 'ext-1', '--redis', redis.url]);
    expect(done.stdout).toContain('run ext-1 succeeded: files 4, waiting 0, active 0, done 4, failed 0');
    const links = await readParquet(`${out}/ext-1/links/*.parquet`);
    expect(links).toHaveLength(planted.expected.length);
  });

  it('status of an unknown run exits 1 with a message', async () => {
    const res = await runCli(['status', 'nope', '--redis', redis.url]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('No run nope');
  });
});
