/**
 * The output store failing writes transiently: a proxy in front of the S3 test server answers 503 SlowDown to the first
 * attempt of some PUTs and resets the connection on others. Writes are retried, and the reducer never reads a partial
 * or torn output: the final Parquet equals the planted set exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { runCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

let redis: EmbeddedRedis;
let s3: TestS3;
let work: string;
let planted: PlantedSet;
let proxy: http.Server;
let proxyUrl: string;
const faults = { slowDown: 0, reset: 0 };

/** Forwards to s3rver; the first PUT/POST of every 2nd object gets a 503, of every 3rd a connection reset. */
function startProxy(target: number): Promise<void> {
  const seen = new Map<string, number>();
  let objects = 0;
  proxy = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const key = url.split('?')[0] ?? url;
    const write = req.method === 'PUT' || req.method === 'POST';
    let fault: 'slowdown' | 'reset' | null = null;
    if (write) {
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (n === 1) {
        objects++;
        if (objects % 2 === 0) fault = 'slowdown';
        else if (objects % 3 === 0) fault = 'reset';
      }
    }
    if (fault) {
      req.resume();
      req.on('end', () => {
        if (fault === 'slowdown') {
          faults.slowDown++;
          res.writeHead(503, { 'content-type': 'application/xml' });
          res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
        } else {
          faults.reset++;
          req.socket.destroy();
        }
      });
      return;
    }
    const up = http.request({ host: '127.0.0.1', port: target, method: req.method, path: url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => {
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    resolve();
  }));
}

beforeAll(async () => {
  work = await tempDir('store-faults');
  [redis, s3] = await Promise.all([startRedisServer(), startS3(path.join(work, 's3rver'), ['out'])]);
  await startProxy(s3.port);
  planted = await plant(path.join(work, 'in'), [{ kind: 'wat', files: 4, pagesPerFile: 150, seed: 81, wikiLinkRate: 0.3 }]);
});

afterAll(async () => {
  proxy?.close();
  await Promise.all([redis?.stop(), s3?.stop()]);
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('output store write faults', () => {
  it('retries failed PUTs and never reads a torn output', async () => {
    const res = await runCli(
      ['run', '--paths', planted.listing, '--out', 's3://out/faulty', '--s3-endpoint', proxyUrl, '--workers', '2', '--redis', redis.url, '--run-id', 'faulty-1', '--partitions', '2'],
      { ...s3.env, WIKIREVERSE_IO_BACKOFF_MS: '50' },
    );
    expect(res.code, res.stderr.slice(-2000)).toBe(0);
    expect(faults.slowDown).toBeGreaterThan(3);
    expect(faults.reset).toBeGreaterThan(1);

    const local = path.join(work, 'download');
    await s3.download('out', 'faulty/faulty-1/', local);
    const dir = path.join(local, 'faulty/faulty-1');
    const links = await readParquet(`${dir}/links/*.parquet`);
    expect(links.map(keyOf).sort()).toEqual(planted.expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());
    const manifest = JSON.parse(await fsp.readFile(`${dir}/manifest.json`, 'utf8'));
    expect(manifest.status).toBe('succeeded');
    expect(manifest.counters['io.s3.retries']).toBeGreaterThan(0);
  });
});
