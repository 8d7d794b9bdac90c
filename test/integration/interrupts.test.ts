/**
 * Interrupts and dead services on the operator's path (issue 13's findings, each reproduced on the earlier code):
 * - Ctrl-C as a terminal sends it (SIGINT to the coordinator's whole process group) with the private redis-server: the
 *   server died with the terminal's signal under the coordinator, which then hung printing ioredis traces;
 * - a Redis that is not there, or refuses the password: `run` ignored SIGTERM for 9+ minutes, `status` hung, a `worker`
 *   ignored SIGTERM for 10 minutes.
 * Now: exit 130 within seconds, the manifest `interrupted`, nothing left running, the run resumable; a dead Redis is one
 * line and exit 2 within the connect bound, with no password and no stack trace printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { Queue } from 'bullmq';
import { QUEUE_PREFIX, queueName, redisOptions, startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { freePort } from '../../src/redis/redis-server.js';
import { FaultServer } from '../helpers/fault-server.js';
import { CLI, runCli } from '../helpers/cli.js';
import { plant, tempDir } from '../helpers/fixtures.js';
import { Redis } from 'ioredis';

let work: string;
let redis: EmbeddedRedis;

function response(article: string): Buffer {
  const http = `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<a href="https://en.wikipedia.org/wiki/${article}">x</a>`;
  return zlib.gzipSync(`WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://example.com/${article}\r\nWARC-Date: 2024-05-18T00:00:00Z\r\n` +
    `Content-Type: application/http; msgtype=response\r\nContent-Length: ${Buffer.byteLength(http)}\r\n\r\n${http}\r\n\r\n`);
}

/** Processes whose command line contains `text` (other than this test's own). */
function processesWith(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', text], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() !== '' && !l.includes('pgrep'));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** Commit records of the run under `out` so far. */
async function committed(out: string, runId: string): Promise<number> {
  return (await fsp.readdir(path.join(out, runId, 'partials')).catch(() => [] as string[])).filter((n) => n.endsWith('.jsonl.gz')).length;
}

/** Waits (60 s at most) until `n` files of the run are committed. */
async function untilCommitted(out: string, runId: string, n: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await committed(out, runId)) < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/** `wikireverse run`, as a shell starts a foreground job: its own process group, which the terminal's Ctrl-C signals as a whole. */
function foregroundRun(args: string[], env: Record<string, string> = { WIKIREVERSE_NO_PROGRESS_SECS: '600' }): {
  child: ReturnType<typeof spawn>; stderr: () => string; exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [CLI, 'run', ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  return { child, stderr: () => stderr, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

beforeAll(async () => {
  work = await tempDir('interrupts');
  redis = await startRedisServer();
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('interrupts', () => {
  it('Ctrl-C to the process group with the private redis-server: exit 130 in seconds, manifest interrupted, nothing left, resumable', async () => {
    const server = await new FaultServer().start();
    try {
      for (let i = 0; i < 6; i++) server.objects.set(`/f${i}.warc.gz`, Buffer.concat([response(`A${i}`), response(`B${i}`)]));
      // The last two files stall (the run is mid-way when Ctrl-C comes); a resume gets them whole.
      let stalling = true;
      server.plan = (p) => (stalling && (p === '/f4.warc.gz' || p === '/f5.warc.gz') ? { kind: 'stall', afterBytes: 10, millis: 600_000 } : { kind: 'ok' });
      const listing = path.join(work, 'listing.txt');
      await fsp.writeFile(listing, Array.from({ length: 6 }, (_, i) => `${server.base}f${i}.warc.gz`).join('\n') + '\n');
      const out = path.join(work, 'out');
      const { child, stderr: errText, exited } = foregroundRun(['--paths', listing, '--out', out, '--workers', '2', '--run-id', 'ctrlc-1', '--partitions', '1', '--no-progress']);
      // Wait until the four good files are committed (two workers are then stuck on the stalled ones).
      await untilCommitted(out, 'ctrlc-1', 4);
      const manifestBefore = JSON.parse(await fsp.readFile(path.join(out, 'ctrlc-1', 'manifest.json'), 'utf8')) as { redis: string };
      const port = new URL(manifestBefore.redis).port;
      expect(manifestBefore.redis).not.toMatch(/:[0-9a-f]{20,}@/); // no password in the manifest
      expect(processesWith(`redis-server 127.0.0.1:${port}`)).toHaveLength(1);
      // Issue 12, finding 4: another local user could drive the run's workers through the private server. It has a password now.
      const stranger = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
      stranger.on('error', () => undefined);
      let refused: unknown;
      stranger.on('error', (err: Error) => (refused ??= err));
      await expect(stranger.connect().then(() => stranger.smembers('wikireverse:runs:active'))).rejects.toThrow(/NOAUTH|HELLO must be called|Connection is closed/);
      expect(String(refused)).toMatch(/NOAUTH|HELLO must be called/); // refused for want of the password, not unreachable
      stranger.disconnect();
      // No password on any command line (`ps` shows those to every user).
      for (const line of [...processesWith('redis-server'), ...processesWith('--run ctrlc-1')]) expect(line).not.toMatch(/requirepass|redis:\/\/:[^@]+@/);

      // status --out finds the live run through its private server (the URL file only this user reads).
      const live = await runCli(['status', 'ctrlc-1', '--out', out, '--json']);
      expect(live.code, live.stderr).toBe(0);
      expect(JSON.parse(live.stdout)).toMatchObject({ runId: 'ctrlc-1', status: 'running', files: 6, done: 4 });

      const sent = Date.now();
      process.kill(-(child.pid as number), 'SIGINT');
      const code = await exited;
      expect(code, errText().slice(-2000)).toBe(130);
      expect(Date.now() - sent).toBeLessThan(30_000); // a bound against hanging (it hung for 10+ minutes), not a speed figure
      expect(errText()).toContain('interrupted');
      expect(errText()).not.toMatch(/Unhandled error event|ECONNREFUSED|\n\s+at /);
      const m = JSON.parse(await fsp.readFile(path.join(out, 'ctrlc-1', 'manifest.json'), 'utf8')) as {
        status: string; reason: string; sessionsMillis: number[]; liveTotals: { pages: number; rows: number };
      };
      // What the first session did, kept for the resume (issue 26, item 8): its wall, and its pages and links.
      expect(m.sessionsMillis).toHaveLength(1);
      expect(m.liveTotals.pages).toBeGreaterThanOrEqual(8); // 4 files of 2 pages
      expect(m.liveTotals.rows).toBeGreaterThanOrEqual(8);
      expect(m.status).toBe('interrupted');
      expect(m.reason).toContain('wikireverse resume ctrlc-1');
      // With its coordinator and private server gone, status --out tells what the manifest says (it said "running ... ETA").
      const after = await runCli(['status', 'ctrlc-1', '--out', out]);
      expect(after.code, after.stderr).toBe(0);
      expect(after.stdout).toMatch(/^run ctrlc-1 interrupted: files 6, done 4, failed 0, pending 2\ninterrupted; continue with: wikireverse resume ctrlc-1/);
      await new Promise((r) => setTimeout(r, 500));
      expect(processesWith(`redis-server 127.0.0.1:${port}`)).toEqual([]);
      expect(processesWith('--run ctrlc-1')).toEqual([]);

      stalling = false;
      const resumed = await runCli(['resume', 'ctrlc-1', '--out', out, '--workers', '2', '--json', '--no-progress'], { WIKIREVERSE_POLL_MS: '100' });
      expect(resumed.code, resumed.stderr.slice(-2000)).toBe(0);
      expect(JSON.parse(resumed.stdout).summary.links).toBe(12);
      // A resumed run reads as one run: its progress starts from the first session's pages and links (it started from 0 on
      // the new private server), its elapsed time and the summary's seconds count both sessions' walls.
      const lines = resumed.stderr.split('\n').filter((l) => /^files \d+\/6 /.test(l));
      expect(lines.length, resumed.stderr.slice(-2000)).toBeGreaterThan(0);
      const first = /^files (\d+)\/6 \([^)]*\) (\d+\.\d)s \| pages (\d+), links (\d+),/.exec(lines[0] ?? '');
      expect(first, lines[0]).not.toBeNull();
      expect(Number(first?.[1])).toBeGreaterThanOrEqual(4);
      expect(Number(first?.[3])).toBeGreaterThanOrEqual(m.liveTotals.pages);
      expect(Number(first?.[4])).toBeGreaterThanOrEqual(m.liveTotals.rows);
      expect(Number(first?.[2]) * 1000).toBeGreaterThanOrEqual((m.sessionsMillis[0] ?? 0) - 100);
      const final = JSON.parse(await fsp.readFile(path.join(out, 'ctrlc-1', 'manifest.json'), 'utf8')) as { sessionsMillis: number[]; summary: { seconds: number } };
      expect(final.sessionsMillis).toHaveLength(2);
      expect(final.sessionsMillis[0]).toBe(m.sessionsMillis[0]);
      expect(final.summary.seconds * 1000).toBeGreaterThanOrEqual((final.sessionsMillis[0] ?? 0) + (final.sessionsMillis[1] ?? 0) - 1000);
      const report = await runCli(['report', 'ctrlc-1', '--out', out]);
      expect(report.stdout).toMatch(/, [\d.]+s \(2 sessions: [\d.]+s \+ [\d.]+s\)\n/);
    } finally {
      await server.stop();
    }
  });

  it('Ctrl-C on a --workers 0 run: workers started elsewhere finish what they hold and take no more; resume un-pauses (issue 26, item 7)', async () => {
    const planted = await plant(path.join(work, 'ext-in'), [{ kind: 'wat', files: 12, pagesPerFile: 20, seed: 71, wikiLinkRate: 0.3 }]);
    const out = path.join(work, 'out-ext');
    const RUN = 'ext-int-1';
    const commits = (): Promise<number> => committed(out, RUN);
    // One file a second across the run's workers (the rate limit), so a worker left taking files would add one a second.
    const { child: coordinator, stderr: errText, exited } = foregroundRun(['--paths', planted.listing, '--out', out, '--workers', '0', '--redis', redis.url, '--run-id', RUN,
      '--partitions', '1', '--rate-limit', '1', '--no-progress'], { WIKIREVERSE_POLL_MS: '100' });
    const worker = spawn(process.execPath, [CLI, 'worker', '--run', RUN], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, WIKIREVERSE_REDIS_URL: redis.url } });
    const queue = new Queue(queueName(RUN), { connection: redisOptions(redis.url), prefix: QUEUE_PREFIX });
    try {
      await untilCommitted(out, RUN, 2);
      process.kill(-(coordinator.pid as number), 'SIGINT');
      expect(await exited, errText().slice(-2000)).toBe(130);
      const atExit = await commits();
      expect(atExit).toBeLessThan(12);
      expect(await queue.isPaused()).toBe(true);
      await new Promise((r) => setTimeout(r, 5000)); // five more files at the rate limit, were the worker still taking them
      expect(await commits()).toBeLessThanOrEqual(atExit + 1); // at most the file it held
      const m = JSON.parse(await fsp.readFile(path.join(out, RUN, 'manifest.json'), 'utf8')) as { status: string };
      expect(m.status).toBe('interrupted');
      worker.kill('SIGTERM');
      const resumed = await runCli(['resume', RUN, '--out', out, '--workers', '1', '--redis', redis.url, '--json']);
      expect(resumed.code, resumed.stderr.slice(-2000)).toBe(0);
      expect(await queue.isPaused()).toBe(false);
      expect(JSON.parse(resumed.stdout).summary.links).toBe(planted.expected.length);
    } finally {
      worker.kill('SIGKILL');
      await queue.close();
    }
  });

  it('Ctrl-C twice: exit 130 within seconds, the manifest interrupted (not running), nothing left running', async () => {
    const server = await new FaultServer().start();
    try {
      for (let i = 0; i < 3; i++) server.objects.set(`/g${i}.warc.gz`, Buffer.concat([response(`G${i}`), response(`H${i}`)]));
      server.plan = (p) => (p === '/g2.warc.gz' ? { kind: 'stall', afterBytes: 10, millis: 600_000 } : { kind: 'ok' });
      const listing = path.join(work, 'twice.txt');
      await fsp.writeFile(listing, Array.from({ length: 3 }, (_, i) => `${server.base}g${i}.warc.gz`).join('\n') + '\n');
      const out = path.join(work, 'out-twice');
      const { child, stderr: errText, exited } = foregroundRun(['--paths', listing, '--out', out, '--workers', '1', '--run-id', 'twice-1', '--partitions', '1', '--no-progress']);
      await untilCommitted(out, 'twice-1', 2);
      const port = new URL((JSON.parse(await fsp.readFile(path.join(out, 'twice-1', 'manifest.json'), 'utf8')) as { redis: string }).redis).port;
      const sent = Date.now();
      process.kill(-(child.pid as number), 'SIGINT');
      await new Promise((r) => setTimeout(r, 300));
      process.kill(-(child.pid as number), 'SIGINT');
      expect(await exited, errText().slice(-2000)).toBe(130);
      expect(Date.now() - sent).toBeLessThan(15_000); // a bound against hanging, not a speed figure
      expect(errText()).toContain('exiting now; the run stays resumable');
      const m = JSON.parse(await fsp.readFile(path.join(out, 'twice-1', 'manifest.json'), 'utf8')) as { status: string; reason: string };
      expect(m.status).toBe('interrupted');
      expect(m.reason).toContain('wikireverse resume twice-1');
      await new Promise((r) => setTimeout(r, 1000));
      expect(processesWith(`redis-server 127.0.0.1:${port}`)).toEqual([]);
      expect(processesWith('--run twice-1')).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('a closed output pipe (run --events | head) is an interrupt: exit 130, manifest interrupted, nothing left running', async () => {
    const dir = path.join(work, 'pipe');
    await fsp.mkdir(dir, { recursive: true });
    for (let i = 0; i < 8; i++) await fsp.writeFile(path.join(dir, `p${i}.warc.gz`), Buffer.concat([response(`P${i}`), response(`Q${i}`)]));
    const out = path.join(work, 'out-pipe');
    const child = spawn(process.execPath, [CLI, 'run', '--paths', dir, '--out', out, '--workers', '1', '--run-id', 'pipe-1', '--events'], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WIKIREVERSE_POLL_MS: '100' },
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Read the first event line, then go away as `head -1` does.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await exited;
    expect(code, stderr.slice(-2000)).toBe(130);
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    const m = JSON.parse(await fsp.readFile(path.join(out, 'pipe-1', 'manifest.json'), 'utf8')) as { status: string; redis: string };
    expect(m.status).toBe('interrupted');
    await new Promise((r) => setTimeout(r, 500));
    expect(processesWith(`redis-server 127.0.0.1:${new URL(m.redis).port}`)).toEqual([]);
    expect(processesWith('--run pipe-1')).toEqual([]);
  });

  it('a Redis that is not there, or that refuses the password: one line, exit 2, within the connect bound, no secret printed', async () => {
    const dead = `redis://:s3cretpw@127.0.0.1:${await freePort()}`;
    const wrong = redis.url.replace(/:\/\/:[^@]+@/, '://:s3cretpw@');
    const listing = path.join(work, 'dead-listing.txt');
    await fsp.writeFile(listing, 'http://127.0.0.1:9/a.warc.gz\n');
    const cases: Array<[string[], Record<string, string>]> = [
      [['run', '--paths', listing, '--out', path.join(work, 'dead'), '--workers', '1', '--no-preflight'], { WIKIREVERSE_REDIS_URL: dead }],
      [['status', 'some-run'], { WIKIREVERSE_REDIS_URL: dead }],
      [['cancel', 'some-run'], { WIKIREVERSE_REDIS_URL: wrong }],
      [['status', 'some-run'], { WIKIREVERSE_REDIS_URL: wrong }],
      [['worker'], { WIKIREVERSE_REDIS_URL: wrong }],
    ];
    for (const [args, env] of cases) {
      const started = Date.now();
      const res = await runCli(args, env);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(2);
      expect(Date.now() - started).toBeLessThan(25_000); // the 10 s connect bound, with room for a loaded machine
      const errors = res.stderr.split('\n').filter((l) => l.startsWith('error: '));
      expect(errors, res.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(/^error: Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+ (did not answer within 10 s \(ECONNREFUSED\)|refused the connection: it refused the credentials)/);
      expect(res.stderr + res.stdout).not.toContain('s3cretpw');
      expect(res.stderr).not.toMatch(/Unhandled error event|\n\s+at /);
    }
  });
});
