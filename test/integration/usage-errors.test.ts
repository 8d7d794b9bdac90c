/**
 * Everyday mistakes (issue 13): each is exit 2 and one line naming the mistake, no stack trace. Before, several exited
 * 1 with pino's or Node's own message, and a WARC file or a README given as a listing queued hundreds of "files".
 * And `run --dry-run`, for checking a command before it starts anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

const SAMPLE = path.join(ROOT, 'test/fixtures/samples/CC-MAIN-2024-22-whirlwind.warc.gz');

describe('usage errors', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['cost without --out or --redis', ['cost', 'r1'], /^error: cost needs --out DIR/],
    ['an unknown log level', ['run', '--paths', SAMPLE, '--out', '/tmp/x', '--log-level', 'loud'], /^error: --log-level "loud": expected one of trace, debug/],
    ['a glob whose directory is missing', ['run', '--paths', '/no/such/dir/*.warc.gz', '--out', '/tmp/x', '--workers', '0'], /^error: --paths \/no\/such\/dir\/\*\.warc\.gz: no such directory \/no\/such\/dir$/],
    ['a WARC file as a listing', ['run', '--paths', SAMPLE, '--out', '/tmp/x', '--workers', '0'], /^error: .*whirlwind\.warc\.gz is a WARC\/WAT\/WET file, not a listing of inputs: give its directory or a glob instead/],
    ['a listing that does not exist', ['run', '--paths', '/no/such/listing.txt', '--out', '/tmp/x'], /^error: --paths \/no\/such\/listing\.txt: no such file or directory$/],
    ['a README as a listing', ['estimate', '--paths', path.join(ROOT, 'README.md')], /^error: .*README\.md is not a listing of inputs: line \d+ is not one path or URL/],
    ['both --paths and --crawl', ['run', '--paths', 'a', '--crawl', 'CC-MAIN-2024-51', '--out', '/tmp/x'], /^error: give either --paths <listing> or --crawl <id>/],
    ['too many partitions', ['run', '--paths', 'a', '--out', '/tmp/x', '--partitions', '100000'], /^error: --partitions "100000": expected an integer from 0 to 256$/],
    ['an unknown option', ['run', '--out', '/tmp/x', '--frobnicate'], /^error: unknown option '--frobnicate'/],
    ['fleet up without --image', ['fleet', 'up', 'r1'], /^error: fleet up needs --image \(the worker container image/],
    // What the real run refuses, its --dry-run refuses (issue 26, item 9: it printed "EC2 spot, up to 2 instances").
    ['a --dry-run of a fleet without a reachable Redis', ['run', '--paths', path.dirname(SAMPLE), '--out', '/tmp/x', '--fleet', 'ec2', '--dry-run'],
      /^error: --fleet ec2 needs --redis with a Redis the instances can reach/],
    ['a --dry-run of a fleet without an image', ['run', '--paths', path.dirname(SAMPLE), '--out', '/tmp/x', '--fleet', 'ec2', '--redis', 'redis://10.0.0.5:6379', '--dry-run'],
      /^error: --fleet ec2 needs --image/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const res = await runCli(args);
      expect(res.code, res.stderr).toBe(2);
      const lines = res.stderr.trim().split('\n');
      expect(lines[0]).toMatch(message);
      // One line of error, then a pointer to --help (not the whole usage).
      expect(lines.slice(1)).toEqual(['(wikireverse <command> --help shows the usage)']);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe('a missing run or output location', () => {
  // Exit 1 and one line, in every command alike (issue 26 item 9): not "no runs" with exit 0, not a raw EEXIST.
  const cases: Array<[string, string[], RegExp]> = [
    ['runs --out a directory that does not exist', ['runs', '--out', '/no/such/out-dir'], /^error: No output directory \/no\/such\/out-dir$/],
    ['clean of a run that does not exist', ['clean', 'nope-1', '--out', ROOT], /^error: No run nope-1 in .* \(no nope-1\/manifest\.json\)$/],
    ['status of a run that does not exist', ['status', 'nope-1', '--out', ROOT], /^No run nope-1 in /],
    ['run --out a file', ['run', '--paths', path.dirname(SAMPLE), '--out', path.join(ROOT, 'README.md'), '--workers', '1', '--no-progress'], /error: The output directory .*README\.md is a file \(or under one\), not a directory/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const res = await runCli(args);
      expect(res.code, res.stderr).toBe(1);
      expect(res.stderr.trim().split('\n').at(-1)).toMatch(message);
      expect(res.stderr).not.toMatch(/EEXIST|\n\s+at /);
    });
  }
});

describe('run --dry-run', () => {
  it('prints the inputs and settings and starts, writes and queues nothing', async () => {
    const out = path.join(ROOT, 'test/output/dry-run-out');
    fs.rmSync(out, { recursive: true, force: true });
    const res = await runCli(['run', '--paths', path.join(ROOT, 'test/fixtures/samples'), '--out', out, '--files', '4', '--dry-run', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const facts = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(facts).toMatchObject({ inputs: 4, listed: 6, selection: 'first 4 files', partitions: 1, redis: 'a private redis-server' });
    expect((facts.first as string[])[0]).toMatch(/CC-MAIN-2015-18-webindex\.warc\.wat\.gz$/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('takes --partitions and WIKIREVERSE_PARTITIONS in the same range: 0 sizes the output to the run', async () => {
    const samples = path.join(ROOT, 'test/fixtures/samples');
    const sized = await runCli(['run', '--paths', samples, '--out', '/tmp/x', '--partitions', '0', '--dry-run', '--json']);
    expect(sized.code, sized.stderr).toBe(0);
    expect(JSON.parse(sized.stdout)).toMatchObject({ partitions: 1 });
    const chosen = await runCli(['run', '--paths', samples, '--out', '/tmp/x', '--dry-run', '--json'], { WIKIREVERSE_PARTITIONS: '256' });
    expect(JSON.parse(chosen.stdout)).toMatchObject({ partitions: 256 });
    const tooMany = await runCli(['run', '--paths', samples, '--out', '/tmp/x', '--dry-run'], { WIKIREVERSE_PARTITIONS: '100000' });
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/^error: WIKIREVERSE_PARTITIONS "100000": expected an integer from 0 to 256$/m);
  });
});

describe('--help', () => {
  it('never shows a secret held by a default (a Redis password, S3 keys), only the setting it comes from', async () => {
    const env = { WIKIREVERSE_REDIS_URL: 'redis://:redis-pass-42@10.1.2.3:6379', WIKIREVERSE_S3_ENDPOINT: 'http://AKID:s3-secret-42@10.1.2.4:9000' };
    const commands = ['run', 'resume', 'worker', 'status', 'runs', 'report', 'cost', 'cancel', 'clean', 'extract', 'estimate', 'dashboard', 'fleet up', 'fleet status', 'fleet down'];
    const helps = await Promise.all(commands.map(async (c) => [c, await runCli([...c.split(' '), '--help'], env)] as const));
    let namedRedis = 0;
    let namedS3 = 0;
    for (const [c, res] of helps) {
      expect(res.code, c).toBe(0);
      const text = (res.stdout + res.stderr).replace(/\s+/g, ' '); // commander wraps long lines
      expect(text, c).not.toContain('redis-pass-42');
      expect(text, c).not.toContain('s3-secret-42');
      if (/--redis <url>[^]*?\(default: from WIKIREVERSE_REDIS_URL\)/.test(text)) namedRedis++;
      if (/--s3-endpoint <url>[^]*?\(default: from WIKIREVERSE_S3_ENDPOINT\)/.test(text)) namedS3++;
    }
    // Every command with the option says where its default comes from (9 take --redis, 10 --s3-endpoint).
    expect([namedRedis, namedS3]).toEqual([
      helps.filter(([, r]) => r.stdout.includes('--redis <url>')).length, helps.filter(([, r]) => r.stdout.includes('--s3-endpoint <url>')).length,
    ]);
    expect(namedS3).toBeGreaterThanOrEqual(10);
  });
});

