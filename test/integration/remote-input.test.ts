/**
 * Remote inputs over a misbehaving loopback HTTP server: 503 SlowDown retried with backoff, a connection cut
 * mid-body resumed with `Range: bytes=<received>-`, stalls abandoned after the idle timeout and resumed, a server
 * that ignores Range, final errors that name the URL and the byte offset, bodies destroyed when the reader stops, and
 * a body read at least half as fast as a plain GET of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { IoSession, openInput, readAll, type IoSettings } from '../../src/storage/index.js';
import { FaultServer, type Fault } from '../helpers/fault-server.js';
import { testIoSettings } from '../helpers/storage.js';
import { runCli } from '../helpers/cli.js';

const FAST: IoSettings = testIoSettings({ attempts: 5, backoffMillis: 10, maxBackoffMillis: 50, resumes: 4, idleTimeoutMillis: 400 });
const OBJECT = randomBytes(3 * 1024 * 1024 + 17);
let server: FaultServer;

beforeAll(async () => {
  server = await new FaultServer().start();
});
afterAll(async () => {
  await server?.stop();
});

async function fetchWith(name: string, faults: Record<number, Fault>, settings: IoSettings = FAST): Promise<{ bytes: Buffer; io: IoSession }> {
  server.objects.set(`/${name}`, OBJECT);
  server.plan = (_p, n) => faults[n] ?? { kind: 'ok' };
  const io = new IoSession(settings);
  try {
    return { bytes: await readAll(`${server.base}${name}`, io), io };
  } finally {
    io.close();
  }
}

describe('http inputs', () => {
  it('retries 503 SlowDown with backoff and reads the whole object', async () => {
    const { bytes, io } = await fetchWith('slowdown', { 1: { kind: 'status', status: 503 }, 2: { kind: 'status', status: 503 } });
    expect(bytes.equals(OBJECT)).toBe(true);
    expect(io.counters.toJSON()).toMatchObject({ 'io.http.get': 3, 'io.http.retries': 2, 'io.http.bytes_in': OBJECT.length });
  });

  it('resumes a body cut mid-stream with a Range request from the last byte received', async () => {
    const { bytes, io } = await fetchWith('cut', { 1: { kind: 'cut', afterBytes: 1_000_000 }, 2: { kind: 'cut', afterBytes: 500_000 } });
    expect(bytes.equals(OBJECT)).toBe(true);
    const ranges = server.requestsFor('/cut').map((r) => r.range);
    expect(ranges).toHaveLength(3);
    expect(ranges[0]).toBeUndefined();
    const first = Number(/bytes=(\d+)-/.exec(ranges[1] ?? '')?.[1]);
    const second = Number(/bytes=(\d+)-/.exec(ranges[2] ?? '')?.[1]);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(1_000_000);
    expect(second).toBeGreaterThan(first);
    expect(io.counters.get('http', 'resumes')).toBe(2);
    expect(io.counters.get('http', 'bytes_in')).toBe(OBJECT.length);
  });

  it('abandons a stalled body after the idle timeout and resumes it', async () => {
    const { bytes, io } = await fetchWith('stall', { 1: { kind: 'stall', afterBytes: 700_000, millis: 5_000 } });
    expect(bytes.equals(OBJECT)).toBe(true);
    expect(io.counters.get('http', 'resumes')).toBe(1);
    expect(server.requestsFor('/stall')[1]?.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it('copes with a server that ignores the Range header on resume', async () => {
    const { bytes } = await fetchWith('norange', { 1: { kind: 'cut', afterBytes: 800_000 }, 2: { kind: 'ignore-range' } });
    expect(bytes.equals(OBJECT)).toBe(true);
    expect(server.requestsFor('/norange')[1]?.status).toBe(200);
  });

  it('gives up after the capped resumes with an error naming the URL and the byte offset', async () => {
    const cut = (n: number): Fault => ({ kind: 'cut', afterBytes: 100_000 * n });
    const err = await fetchWith('alwayscut', { 1: cut(1), 2: cut(1), 3: cut(1), 4: cut(1), 5: cut(1), 6: cut(1) }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(new RegExp(`Reading ${server.base}alwayscut failed at byte offset [1-9]\\d* after 4 resumes`));
    expect(server.requestsFor('/alwayscut')).toHaveLength(5);
  });

  it('fails at once on 404, and after the capped attempts on persistent 503, naming the URL', async () => {
    const io = new IoSession(FAST);
    try {
      await expect(readAll(`${server.base}missing.wat.gz`, io)).rejects.toThrow(/missing\.wat\.gz.*HTTP 404/);
      expect(io.counters.get('http', 'get')).toBe(1);
      server.objects.set('/busy', OBJECT);
      server.plan = () => ({ kind: 'status', status: 503 });
      await expect(readAll(`${server.base}busy`, io)).rejects.toThrow(/Cannot read input http:.*busy: GET .*busy: HTTP 503/);
      expect(io.counters.get('http', 'retries')).toBe(FAST.attempts - 1);
    } finally {
      io.close();
    }
  });

  it('gives up on a server that accepts and never answers at the give-up deadline, each request cut at the first-byte deadline', async () => {
    const settings = testIoSettings({ ...FAST, attempts: 1000, firstByteTimeoutMillis: 150, giveUpMillis: 1200 });
    const started = Date.now();
    const err = await fetchWith('silent', Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [i + 1, { kind: 'silent' }])), settings).catch((e: Error) => e);
    server.plan = () => ({ kind: 'ok' });
    const secs = (Date.now() - started) / 1000;
    expect((err as Error).message).toMatch(/silent.*no data for 1\.2 s through retries and resumes, the input's give-up deadline/);
    const tries = server.requestsFor('/silent').length;
    expect(tries).toBeGreaterThan(1); // cut at 150 ms each and retried
    expect(tries).toBeLessThan(1000); // ... but not all 1000 attempts: the deadline ended them
    expect(secs).toBeLessThan(10);
  });

  it('gives up on a body that sends its headers and then nothing, resumes included', async () => {
    const settings = testIoSettings({ ...FAST, resumes: 1000, idleTimeoutMillis: 300, giveUpMillis: 1000 });
    const err = await fetchWith('mute', Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [i + 1, { kind: 'stall', afterBytes: 0, millis: 60_000 }])), settings)
      .catch((e: Error) => e);
    server.plan = () => ({ kind: 'ok' });
    expect((err as Error).message).toMatch(/Reading .*mute failed at byte offset 0 after \d+ resumes: no data for 1 s through retries and resumes/);
    const tries = server.requestsFor('/mute').length;
    expect(tries).toBeGreaterThan(1);
    expect(tries).toBeLessThan(20);
  });

  it('keeps a body that is slow but delivering: the give-up deadline counts from the last byte', async () => {
    const settings = testIoSettings({ ...FAST, giveUpMillis: 500, idleTimeoutMillis: 400 });
    server.objects.set('/slow', OBJECT.subarray(0, 64 * 1024 * 12));
    server.plan = () => ({ kind: 'trickle', chunkBytes: 64 * 1024, everyMillis: 100 });
    const io = new IoSession(settings);
    try {
      const bytes = await readAll(`${server.base}slow`, io); // 1.2 s in all, more than the deadline
      expect(bytes.length).toBe(64 * 1024 * 12);
    } finally {
      io.close();
    }
  });

  it('destroys the response body when the reader stops early (no leaked sockets)', async () => {
    server.objects.set('/early', OBJECT);
    server.plan = () => ({ kind: 'trickle', chunkBytes: 64 * 1024, everyMillis: 5 });
    const io = new IoSession(FAST);
    const stream = await openInput(`${server.base}early`, io);
    for await (const _ of stream) break; // for-await destroys the stream on break
    const agent = io.agentFor('http:');
    await new Promise((r) => setTimeout(r, 50));
    expect(Object.values(agent.sockets).flat()).toHaveLength(0);
    io.close();
  });

  it('reads a body at least half as fast as a plain GET of the same bytes (retries, resumes and counters cost little)', async () => {
    const big = randomBytes(64 * 1024 * 1024);
    server.objects.set('/big', big);
    server.plan = () => ({ kind: 'ok' });
    const url = `${server.base}big`;
    const agent = new http.Agent({ keepAlive: true });
    const io = new IoSession(FAST);
    /** Seconds to read the whole object from `body`, checking its length. */
    const time = async (body: () => Promise<AsyncIterable<unknown>>): Promise<number> => {
      const t = process.hrtime.bigint();
      let n = 0;
      for await (const c of await body()) n += (c as Buffer).length;
      expect(n).toBe(big.length);
      return Number(process.hrtime.bigint() - t) / 1e9;
    };
    const plainGet = (): Promise<http.IncomingMessage> => new Promise((resolve, reject) => http.get(url, { agent }, resolve).on('error', reject));
    try {
      // Interleaved, best of five each: the same server, the same bytes, the same load on this machine.
      const plain: number[] = [];
      const ours: number[] = [];
      for (let i = 0; i < 5; i++) {
        plain.push(await time(plainGet));
        ours.push(await time(() => openInput(url, io)));
      }
      const mibps = (s: number): number => big.length / (1 << 20) / s;
      const ratio = mibps(Math.min(...ours)) / mibps(Math.min(...plain));
      console.log(`loopback http, 64 MiB: plain GET ${mibps(Math.min(...plain)).toFixed(0)} MiB/s, openInput ${mibps(Math.min(...ours)).toFixed(0)} MiB/s (${ratio.toFixed(2)}x)`);
      expect(ratio).toBeGreaterThan(0.5);
      expect(io.counters.get('http', 'bytes_in')).toBe(5 * big.length);
    } finally {
      io.close();
      agent.destroy();
    }
  });
});

describe('s3 inputs', () => {
  it('extract against an S3 endpoint that accepts and never answers fails at the give-up deadline, naming the object', async () => {
    server.objects.set('/bucket/never.warc.gz', OBJECT);
    server.plan = (p) => (p === '/bucket/never.warc.gz' ? { kind: 'silent' } : { kind: 'ok' });
    try {
      const res = await runCli(['extract', 's3://bucket/never.warc.gz', '--s3-endpoint', server.base.replace(/\/$/, '')], {
        AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test-secret', AWS_REGION: 'us-east-1',
        WIKIREVERSE_IO_FIRST_BYTE_TIMEOUT_MS: '200', WIKIREVERSE_IO_GIVE_UP_MS: '1500', WIKIREVERSE_IO_BACKOFF_MS: '10', WIKIREVERSE_IO_MAX_BACKOFF_MS: '50',
      });
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/s3:\/\/bucket\/never\.warc\.gz.*no data for 1\.5 s through retries and resumes/);
      expect(res.stderr).not.toContain('test-secret');
      const tries = server.requestsFor('/bucket/never.warc.gz').length;
      expect(tries).toBeGreaterThan(1); // each GetObject attempt cut at the first-byte deadline and retried by the SDK
    } finally {
      server.plan = () => ({ kind: 'ok' });
    }
  });
});
