/**
 * A spot interruption notice from a fake instance-metadata service (IMDSv2) on loopback: the worker in the middle of a
 * file hands it back to the queue at once (no stall timeout: the lock is 30 s), exits, and the run finishes on another
 * worker with output identical to a clean run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { startCli, runCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';

let redis: EmbeddedRedis;
let planted: PlantedSet;
let work: string;
let imds: http.Server;
let imdsUrl = '';
let notice = false;
const requests: string[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('spot');
  planted = await plant(path.join(work, 'in'), [
    { kind: 'wat', files: 1, pagesPerFile: 12_000, seed: 31, prefix: 'big' },
    { kind: 'warc', files: 3, pagesPerFile: 150, seed: 32, wikiLinkRate: 0.2, prefix: 'small' },
  ]);
  imds = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      if (!req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return void res.writeHead(400).end();
      return void res.writeHead(200).end('TOKEN-1');
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== 'TOKEN-1') return void res.writeHead(401).end();
    if (req.url === '/latest/meta-data/spot/instance-action' && notice) {
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(JSON.stringify({ action: 'terminate', time: new Date(Date.now() + 120_000).toISOString() }));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => imds.listen(0, '127.0.0.1', () => r()));
  imdsUrl = `http://127.0.0.1:${(imds.address() as AddressInfo).port}`;
});

afterAll(async () => {
  imds?.close();
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('a spot interruption notice', () => {
  it('hands the file back at once, the worker exits, and another worker finishes the run with the output of a clean run', async () => {
    const bigFile = planted.files.find((f) => path.basename(f).startsWith('big')) as string;
    const out = path.join(work, 'out');
    const env = { WIKIREVERSE_IMDS_POLL_MS: '200', WIKIREVERSE_LOCK_MS: '30000' };
    const run = startCli(['run', '--paths', planted.listing, '--out', out, '--workers', '0', '--redis', redis.url, '--run-id', 'spot-1', '--partitions', '3'], env);
    const a = startCli(['worker', '--redis', redis.url, '--run', 'spot-1', '--imds-url', imdsUrl, '--log-level', 'info'], env);
    await a.waitForLine((l) => l.includes('"msg":"file started"') && l.includes(bigFile));
    await new Promise((r) => setTimeout(r, 300));
    const noticeAt = Date.now();
    notice = true;
    const handed = JSON.parse(await a.waitForLine((l) => l.includes('"msg":"files handed back"'), 20_000)) as { handedBack: number; millis: number };
    const handedBackMillis = Date.now() - noticeAt;
    const ra = await a.done;
    const exitMillis = Date.now() - noticeAt;
    expect(ra.code, ra.stderr.slice(-2000)).toBe(0);
    expect(handed.handedBack).toBe(1);
    expect(ra.stderr).toContain('spot interruption notice');
    expect(requests).toContain('PUT /latest/api/token');
    // The file is waiting again (not active under a 30 s lock) before anyone else looked at it.
    const status = JSON.parse((await runCli(['status', 'spot-1', '--redis', redis.url, '--json'])).stdout) as { active: number; waiting: number };
    expect(status.active).toBe(0);
    expect(status.waiting).toBeGreaterThanOrEqual(1);

    const takeoverStart = Date.now();
    const b = startCli(['worker', '--redis', redis.url, '--run', 'spot-1', '--log-level', 'info'], env);
    await b.waitForLine((l) => l.includes('"msg":"file started"') && l.includes(bigFile));
    const takeoverMillis = Date.now() - takeoverStart;
    const res = await run.done;
    b.child.kill('SIGTERM');
    await b.done;
    expect(res.code, res.stderr.slice(-3000)).toBe(0);
    console.log(`spot notice -> file handed back ${handedBackMillis} ms (worker: ${handed.millis} ms), worker exited ${exitMillis} ms after the notice, new worker started the file ${takeoverMillis} ms after its start`);
    expect(exitMillis).toBeLessThan(10_000);

    // The rows a clean run outputs (the planted truth), no more, no fewer.
    const got = await readParquet(`${out}/spot-1/links/*.parquet`, 'lang, article, source_url');
    expect(got.map(keyOf).sort()).toEqual(planted.expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());
  });
});
