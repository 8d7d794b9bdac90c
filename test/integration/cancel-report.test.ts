/**
 * `cancel`, `report` and `resume --retry-failed` against a real redis-server: failed inputs are named with their
 * errors, the run exits non-zero and says how to retry just those, and a retry picks up the repaired input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';

let redis: EmbeddedRedis;
let work: string;
let planted: PlantedSet;
const FAST = { WIKIREVERSE_BACKOFF_MS: '100' };

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('cancel');
  planted = await plant(path.join(work, 'in'), [{ kind: 'warc', files: 3, pagesPerFile: 100, seed: 61, wikiLinkRate: 0.3 }]);
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('cancel', () => {
  it('removes queued files, ends the run with exit code 3 and marks the manifest', async () => {
    const out = path.join(work, 'out-cancel');
    const run = startCli(['run', '--paths', planted.listing, '--out', out, '--workers', '0', '--redis', redis.url, '--run-id', 'cancel-1']);
    await run.waitForLine((l) => l.includes('files 0/3'));
    // With no local workers the run says how to start one, as a command that can be pasted: the URL with its password
    // is in a file only this user reads, never on the terminal; the file goes when the run ends.
    const hint = await run.waitForLine((l) => l.includes('no local workers'));
    const urlFile = /start workers with: WIKIREVERSE_REDIS_URL_FILE=(\S+) wikireverse worker --run cancel-1$/.exec(hint)?.[1];
    expect(urlFile, hint).toBeDefined();
    expect(hint).not.toContain(redis.url.split('@')[0]);
    expect(await fsp.readFile(urlFile!, 'utf8')).toBe(redis.url);
    expect((await fsp.stat(urlFile!)).mode & 0o777).toBe(0o600);
    const c = await runCli(['cancel', 'cancel-1', '--redis', redis.url, '--out', out]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain('run cancel-1 cancelled: 3 queued tasks removed, manifest marked cancelled');
    const res = await run.done;
    expect(res.code).toBe(3);
    expect(fs.existsSync(urlFile!)).toBe(false);
    const m = JSON.parse(await fsp.readFile(`${out}/cancel-1/manifest.json`, 'utf8'));
    expect(m.status).toBe('cancelled');
    const s = await runCli(['status', 'cancel-1', '--redis', redis.url, '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ status: 'cancelled', waiting: 0 });

    // Issue 13: a cancel of a run that has ended says so and changes nothing; a run that does not exist is an error.
    const again = await runCli(['cancel', 'cancel-1', '--redis', redis.url, '--out', out]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('run cancel-1 had already ended (cancelled): nothing cancelled\n');
    const none = await runCli(['cancel', 'nope', '--redis', redis.url]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('No run nope in this Redis: nothing cancelled\n');
    const noneStored = await runCli(['cancel', 'nope', '--out', out]);
    expect(noneStored.code).toBe(1);
    expect(noneStored.stderr).toMatch(/^No run nope in .*out-cancel: nothing cancelled\n$/);
    const usage = await runCli(['cancel', 'cancel-1']);
    expect(usage.code).toBe(2);
  });

  it('a cancel of a run that succeeded leaves it succeeded (no Redis needed once its private server is gone)', async () => {
    const out = path.join(work, 'out-done');
    const run = await runCli(['run', '--paths', planted.listing, '--out', out, '--workers', '1', '--run-id', 'done-1', '--partitions', '1']);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const c = await runCli(['cancel', 'done-1', '--out', out]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toBe('run done-1 had already ended (succeeded): nothing cancelled\n');
    expect(JSON.parse(await fsp.readFile(`${out}/done-1/manifest.json`, 'utf8')).status).toBe('succeeded');

    // runs: the runs under an output location (from their manifests), and in a Redis.
    const runs = await runCli(['runs', '--out', out, '--json']);
    expect(runs.code, runs.stderr).toBe(0);
    const manifest = JSON.parse(await fsp.readFile(`${out}/done-1/manifest.json`, 'utf8')) as { summary: { links: number } };
    expect(JSON.parse(runs.stdout)).toEqual([expect.objectContaining({ runId: 'done-1', status: 'succeeded', files: 3, done: 3, failed: 0, links: manifest.summary.links })]);
    const table = await runCli(['runs', '--out', out]);
    expect(table.stdout).toMatch(/^run\s+status\s+files\s+done\s+failed\s+links\s+cost\s+age\ndone-1\s+succeeded\s+3\s+3\s+0\s+\d+/);
    const inRedis = await runCli(['runs', '--redis', redis.url, '--json']);
    // Its cost is the ledger's (issue 26, item 9: a ledger's $0.000 showed as "-", as if there were none).
    expect(JSON.parse(inRedis.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ runId: 'cancel-1', status: 'cancelled', files: 3, active: false, costUsd: expect.any(Number) })]));

    // clean: a succeeded run's partials and reduce records go (dry run first); its outputs stay readable.
    const partials = async (): Promise<string[]> => fsp.readdir(`${out}/done-1/partials`).catch(() => []);
    expect((await partials()).length).toBe(3); // one object per file, its commit record inside
    // --stale: only runs that ended at least N days ago (this one ended just now).
    const notYet = await runCli(['clean', '--stale', '--out', out, '--older-than-days', '1']);
    expect(notYet.stdout).toBe(`removed 0 objects of 0 succeeded runs older than 1 days under ${out}\n`);
    const staleDry = await runCli(['clean', '--stale', '--out', out, '--older-than-days', '0', '--dry-run']);
    // 3 under partials/; under reduce/ the partition's and the rollup bucket's records; under shuffle/ its domains rows.
    expect(staleDry.stdout).toMatch(/^would remove 7 objects of run done-1 \(succeeded /);
    const staleRedis = await runCli(['clean', '--stale', '--redis', redis.url, '--older-than-days', '0', '--dry-run']);
    expect(staleRedis.stdout).toMatch(/would remove run cancel-1 \(cancelled\) from Redis: 2 queues/);
    expect((await runCli(['clean', 'done-1', '--stale', '--out', out])).code).toBe(2);
    const dry = await runCli(['clean', 'done-1', '--out', out, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^would remove \d+ objects under .*done-1\/partials\/ and .*done-1\/reduce\//);
    expect((await partials()).length).toBe(3);
    const clean = await runCli(['clean', 'done-1', '--out', out]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(await partials()).toEqual([]);
    expect((await readParquet(`${out}/done-1/links/*.parquet`)).length).toBe(manifest.summary.links);
    // A run that did not succeed keeps what resume needs, unless forced; with --redis its queues and keys go too.
    const refused = await runCli(['clean', 'cancel-1', '--out', path.join(work, 'out-cancel')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/run cancel-1 is cancelled: its partials are what resume needs\. Add --force/);
    const forced = await runCli(['clean', 'cancel-1', '--out', path.join(work, 'out-cancel'), '--redis', redis.url, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/removed the run's 2 queues \(\d+ jobs waiting or delayed\) and [1-4] keys in Redis/);
    const after = JSON.parse((await runCli(['runs', '--redis', redis.url, '--json'])).stdout) as Array<{ runId: string }>;
    expect(after.map((r) => r.runId)).not.toContain('cancel-1');
  });
});

describe('report and resume --retry-failed', () => {
  it('names every failed input with its error, then retries just those', async () => {
    const dir = path.join(work, 'mixed');
    await fsp.mkdir(dir, { recursive: true });
    // A corrupt input: a real sample cut in half (no links in it, so it never contributes rows).
    const sample = await fsp.readFile(path.resolve('test/fixtures/samples/CC-MAIN-2020-34-resiliparse.warc.gz'));
    const corrupt = path.join(dir, 'corrupt.warc.gz');
    await fsp.writeFile(corrupt, sample.subarray(0, Math.floor(sample.length / 2)));
    // A listed input that is missing for now.
    const missing = planted.files[2] as string;
    const parked = `${missing}.parked`;
    await fsp.rename(missing, parked);
    const listing = path.join(dir, 'listing.txt');
    await fsp.writeFile(listing, [...planted.files, corrupt].join('\n') + '\n');

    const out = path.join(work, 'out-report');
    const res = await runCli(['run', '--paths', listing, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 'mixed-1', '--attempts', '2', '--no-preflight'], FAST);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('run mixed-1 failed: files 2/4 (failed 2)');
    expect(res.stdout).toContain(`failed: ${missing}: Cannot read input ${missing}: no such file`);
    expect(res.stdout).toMatch(new RegExp(`failed: ${corrupt.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: Input .* is unreadable at byte offset \\d+`));
    expect(res.stdout).toContain(`wikireverse resume mixed-1 --out ${out} --retry-failed`);

    const rep = await runCli(['report', 'mixed-1', '--out', out]);
    expect(rep.code).toBe(1);
    expect(rep.stdout).toContain('files: 4 total: 2 ok, 2 failed (1 took more than one attempt)');
    expect(rep.stdout).toContain(`${missing} (attempts 1): Cannot read input`); // not found: failed at once, not retried
    expect(rep.stdout).toMatch(/corrupt\.warc\.gz \(attempts 2\): Input .* byte offset/);
    const json = JSON.parse((await runCli(['report', 'mixed-1', '--out', out, '--json'])).stdout);
    expect(json.failed.map((f: { input: string }) => f.input).sort()).toEqual([missing, corrupt].sort());
    expect(json.skipped.pages_prefiltered).toBeGreaterThan(0);

    // Only the intact files' rows are in the output.
    const partial = await readParquet(`${out}/mixed-1/links/*.parquet`);
    const wantPartial = planted.expected.filter((r) => r.input_file !== missing).map((r) => keyOf(r as unknown as Record<string, unknown>)).sort();
    expect(partial.map(keyOf).sort()).toEqual(wantPartial);

    // Without --retry-failed, resuming a finished run does nothing.
    const noop = await runCli(['resume', 'mixed-1', '--out', out, '--redis', redis.url]);
    expect(noop.code).toBe(1);
    expect(noop.stderr).toContain('add --retry-failed');

    // Repair the missing input and retry just the failed ones.
    await fsp.rename(parked, missing);
    const retry = await runCli(['resume', 'mixed-1', '--out', out, '--redis', redis.url, '--retry-failed', '--workers', '2', '--log-level', 'info'], FAST);
    expect(retry.code).toBe(1); // the corrupt file is still corrupt
    const started = retry.stderr.split('\n').filter((l) => l.includes('"msg":"file started"')).map((l) => (JSON.parse(l) as { input: string }).input);
    expect(new Set(started)).toEqual(new Set([missing, corrupt]));
    expect(retry.stdout).toContain('files 3/4 (failed 1)');
    const full = await readParquet(`${out}/mixed-1/links/*.parquet`);
    expect(full.map(keyOf).sort()).toEqual(planted.expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());
  });
});
