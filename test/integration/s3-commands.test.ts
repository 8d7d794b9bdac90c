/**
 * Every command that reads a run's output store or an input takes `--s3-endpoint` (issue 16, "the storage global"):
 * a run writes to s3:// on the S3 stand-in, then `report`, `cost`, `status --out`, `runs --out`, `cancel --out`,
 * `clean`, `extract` and `estimate` run as separate processes with the endpoint (credentials in it) on their command
 * line and none in their environment. Each shows the run's real figures; without the option each fails with one line
 * that says what to do, and never shows the secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { S3_ACCESS_KEY, startS3, type TestS3 } from '../helpers/s3.js';

const SECRET = 'sekrit-3f9a7c';
const RUN = 's3-cmds-1';
const OUT = 's3://out/cmds';

/** No endpoint and no AWS credentials from the environment or from files: only what the command line gives. */
const BARE_ENV = {
  WIKIREVERSE_S3_ENDPOINT: '', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: '',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', AWS_CONFIG_FILE: '/nonexistent/config', AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '', AWS_CONTAINER_CREDENTIALS_FULL_URI: '', AWS_WEB_IDENTITY_TOKEN_FILE: '',
};

let redis: EmbeddedRedis;
let s3: TestS3;
let work: string;
let planted: PlantedSet;
let endpoint: string;
let manifest: { status: string; files: { total: number; done: number; failed: number }; summary: { pages: number; links: number }; settings: { publicInputsOnly?: boolean } };

beforeAll(async () => {
  work = await tempDir('s3-commands');
  [redis, s3] = await Promise.all([startRedisServer(), startS3(path.join(work, 's3rver'), ['out', 'in'])]);
  endpoint = `http://${S3_ACCESS_KEY}:${SECRET}@127.0.0.1:${s3.port}`;
  planted = await plant(path.join(work, 'in'), [{ kind: 'wat', files: 2, pagesPerFile: 120, seed: 77, wikiLinkRate: 0.25, prefix: 'wat' }]);
  for (const f of planted.files) await s3.put('in', `data/${path.basename(f)}`, await fsp.readFile(f));
  await s3.put('in', 'data/listing.txt', planted.files.map((f) => path.basename(f)).join('\n') + '\n');
  const run = await runCli(
    ['run', '--paths', 's3://in/data/listing.txt', '--out', OUT, '--s3-endpoint', endpoint, '--workers', '1', '--redis', redis.url, '--run-id', RUN, '--partitions', '1'],
    BARE_ENV,
  );
  expect(run.code, run.stderr).toBe(0);
  manifest = JSON.parse((await s3.get('out', `cmds/${RUN}/manifest.json`)).toString('utf8'));
}, 120_000);

afterAll(async () => {
  await Promise.all([redis?.stop(), s3?.stop()]);
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

/** The command with the endpoint on its command line, and without it; neither ever shows the secret. */
async function both(args: string[]): Promise<{ with: CliResult; without: CliResult }> {
  const [withOption, without] = await Promise.all([runCli([...args, '--s3-endpoint', endpoint], BARE_ENV), runCli(args, BARE_ENV)]);
  for (const r of [withOption, without]) expect(r.stdout + r.stderr, args.join(' ')).not.toContain(SECRET);
  return { with: withOption, without };
}

/** Without an endpoint the store is AWS, with no credentials: one line that says how to give them, exit 1. */
function expectCredentialsLine(r: CliResult, action: string): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error: S3 ${action} s3://out/cmds/.* failed: .*No AWS credentials were found: .*put KEY:SECRET@ in --s3-endpoint\\.$`));
}

describe('commands on a run in S3, with --s3-endpoint and without', () => {
  it('the run wrote its manifest to the stand-in', () => {
    expect(manifest.status).toBe('succeeded');
    expect(manifest.files).toMatchObject({ total: 2, done: 2, failed: 0 });
    expect(manifest.summary.links).toBe(planted.expected.length);
    // Its inputs came from a listing fetched over the network: its tasks read from public addresses only (issue 24, finding 4).
    expect(manifest.settings.publicInputsOnly).toBe(true);
  });

  it('report', async () => {
    const r = await both(['report', RUN, '--out', OUT, '--json']);
    expect(r.with.code, r.with.stderr).toBe(0);
    const report = JSON.parse(r.with.stdout) as { status: string; files: { total: number; ok: number; failed: number }; links: number };
    expect(report).toMatchObject({ status: 'succeeded', files: { total: 2, failed: 0 } });
    expect(r.with.stdout).toContain(`"links": ${manifest.summary.links}`);
    expectCredentialsLine(r.without, 'GetObject');
  });

  it('cost', async () => {
    const r = await both(['cost', RUN, '--out', OUT, '--json']);
    expect(r.with.code, r.with.stderr).toBe(0);
    const stored = JSON.parse((await s3.get('out', `cmds/${RUN}/cost.json`)).toString('utf8')) as { totalUsd: number };
    expect(JSON.parse(r.with.stdout)).toMatchObject({ runId: RUN, totalUsd: stored.totalUsd, status: 'succeeded' });
    expectCredentialsLine(r.without, 'GetObject');
  });

  it('status --out', async () => {
    const r = await both(['status', RUN, '--out', OUT]);
    expect(r.with.code, r.with.stderr).toBe(0);
    expect(r.with.stdout).toBe(`run ${RUN} succeeded: files 2, done 2, failed 0, pending 0, pages ${manifest.summary.pages}, links ${manifest.summary.links}\n`);
    expectCredentialsLine(r.without, 'GetObject');
  });

  it('runs --out', async () => {
    const r = await both(['runs', '--out', OUT, '--json']);
    expect(r.with.code, r.with.stderr).toBe(0);
    expect(JSON.parse(r.with.stdout)).toMatchObject([{ runId: RUN, status: 'succeeded', files: 2, done: 2, failed: 0, links: manifest.summary.links }]);
    expectCredentialsLine(r.without, 'ListObjectsV2');
  });

  it('extract and estimate read s3:// inputs', async () => {
    const input = `s3://in/data/${path.basename(planted.files[0] as string)}`;
    const x = await both(['extract', input]);
    expect(x.with.code, x.with.stderr).toBe(0);
    const rows = x.with.stdout.trimEnd().split('\n');
    expect(rows.length).toBe(planted.expected.filter((e) => path.basename(e.input_file) === path.basename(input)).length);
    expect(x.without.code).toBe(1);
    expect(x.without.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(x.without.stderr).toMatch(/^error: Cannot read input s3:\/\/in\/data\/.*No AWS credentials were found/);

    const e = await both(['estimate', '--paths', 's3://in/data/listing.txt', '--prices-from', 'table', '--json']);
    expect(e.with.code, e.with.stderr).toBe(0);
    expect(JSON.parse(e.with.stdout)).toMatchObject({ sample: { files: [input] }, projection: { filesTotal: 2 } });
    expect(e.without.code).toBe(1);
    expect(e.without.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(e.without.stderr).toMatch(/^error: .*s3:\/\/in\/data\/listing\.txt.*No AWS credentials were found/);
  });

  it('cancel --out, then clean', async () => {
    const c = await both(['cancel', RUN, '--out', OUT]);
    expect(c.with.code, c.with.stderr).toBe(0);
    expect(c.with.stdout).toBe(`run ${RUN} had already ended (succeeded): nothing cancelled\n`);
    expectCredentialsLine(c.without, 'GetObject');

    const partials = (await s3.list('out', `cmds/${RUN}/partials/`)).length + (await s3.list('out', `cmds/${RUN}/reduce/`)).length +
      (await s3.list('out', `cmds/${RUN}/shuffle/`)).length;
    expect(partials).toBeGreaterThan(0);
    const without = await runCli(['clean', RUN, '--out', OUT], BARE_ENV);
    expectCredentialsLine(without, 'GetObject');
    const cleaned = await runCli(['clean', RUN, '--out', OUT, '--s3-endpoint', endpoint], BARE_ENV);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(cleaned.stdout + cleaned.stderr).not.toContain(SECRET);
    expect(cleaned.stdout).toBe(`removed ${partials} objects under ${OUT}/${RUN}/partials/ and ${OUT}/${RUN}/reduce/ and ${OUT}/${RUN}/shuffle/ (outputs, manifest, reports and cost.json stay)\n`);
    expect(await s3.list('out', `cmds/${RUN}/partials/`)).toEqual([]);
    expect(await s3.list('out', `cmds/${RUN}/`)).toContain(`cmds/${RUN}/manifest.json`);
  });
});
