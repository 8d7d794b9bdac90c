/** A real worker process answers /healthz and /metrics, and its metrics count the files it processed. */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { startCli } from '../helpers/cli.js';
import { freePort } from '../helpers/redis.js';
import { plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';

let redis: EmbeddedRedis;
let planted: PlantedSet;
let work: string;

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('health');
  planted = await plant(path.join(work, 'in'), [{ kind: 'warc', files: 3, pagesPerFile: 100, seed: 41, wikiLinkRate: 0.3 }]);
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.split(' ').pop()) : NaN;
}

describe('worker /healthz and /metrics', () => {
  it('serves a heartbeat and Prometheus metrics that follow the work', async () => {
    const port = await freePort();
    const w = startCli(['worker', '--redis', redis.url, '--run', 'health-1', '--health-port', String(port), '--log-level', 'info']);
    try {
      await w.waitForLine((l) => l.includes('serving /healthz and /metrics'));
      // It names what inflates its inputs (the addon npm ci built), in its start-up log and in /metrics.
      expect(await w.waitForLine((l) => l.includes('worker ready'))).toMatch(/"inflate":"libdeflate \d+\.\d+/);
      // It listens on loopback only (issue 12, finding 9): the kernel's table of listening sockets names 127.0.0.1.
      const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
      const listening = fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').map((l) => l.trim().split(/\s+/))
        .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A').map((f) => f[1]);
      expect(listening).toEqual([`0100007F:${hexPort}`]);
      const h = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(h.status).toBe(200);
      const body = (await h.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 'ok', redis: true, runs: ['health-1'], activeFiles: 0, leaving: null });
      expect(Date.parse(String(body.lastProgressAt))).toBeGreaterThan(0);

      const run = startCli(['run', '--paths', planted.listing, '--out', path.join(work, 'out'), '--workers', '0', '--redis', redis.url, '--run-id', 'health-1']);
      const res = await run.done;
      expect(res.code, res.stderr.slice(-2000)).toBe(0);
      const m = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(m.status).toBe(200);
      expect(m.headers.get('content-type')).toContain('text/plain');
      const text = await m.text();
      expect(metric(text, 'wikireverse_files_total{outcome="committed"}')).toBe(3);
      expect(metric(text, 'wikireverse_links_total')).toBe(planted.expected.length);
      expect(metric(text, 'wikireverse_pages_total')).toBe(300);
      expect(metric(text, 'wikireverse_records_total')).toBeGreaterThan(300);
      expect(metric(text, 'wikireverse_input_bytes_total')).toBeGreaterThan(0);
      expect(metric(text, 'wikireverse_file_duration_seconds_count{outcome="committed"}')).toBe(3);
      expect(metric(text, 'wikireverse_active_files')).toBe(0);
      expect(text).toContain('# TYPE wikireverse_errors_total counter');
      expect(text).toMatch(/^wikireverse_inflate_info\{engine="libdeflate \d+\.\d+"\} 1$/m);
      expect(text).toContain('wikireverse_worker_process_cpu_seconds_total');
      expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
    } finally {
      w.child.kill('SIGTERM');
      await w.done;
    }
  });
});
