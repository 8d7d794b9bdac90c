/**
 * `wikireverse run --crawl` against a fake Common Crawl on loopback (`--input-base http://127.0.0.1:PORT/`) that
 * throttles (503 SlowDown), cuts a connection mid-body, stalls and trickles. The run must output exactly the planted
 * links, and the manifest's counters must show the retries and the Range resumes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { selectEntries } from '../../src/coordinator/crawl.js';
import type { ExpectedRow } from '../../src/fixtures/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, readFileList, tempDir } from '../helpers/fixtures.js';
import { FaultServer, type Fault } from '../helpers/fault-server.js';

const CRAWL = 'CC-MAIN-2099-01';
const SEGMENTS = ['1733066035857.0', '1733066035857.1'];
const LISTING = `/crawl-data/${CRAWL}/wat.paths.gz`;
const ENV = { WIKIREVERSE_IO_BACKOFF_MS: '20', WIKIREVERSE_IO_MAX_BACKOFF_MS: '100', WIKIREVERSE_IO_IDLE_TIMEOUT_MS: '800' };

let redis: EmbeddedRedis;
let server: FaultServer;
let work: string;
/** Listing entries (paths relative to the crawl base), in listing order. */
let entries: string[];
/** Planted rows by listing entry, with input_file as the URL the run reads. */
const rowsByEntry = new Map<string, ExpectedRow[]>();
const sizes = new Map<string, number>();

beforeAll(async () => {
  [redis, server, work] = await Promise.all([startRedisServer(), new FaultServer().start(), tempDir('crawl')]);
  const planted = await plant(path.join(work, 'in'), [{ kind: 'wat', files: 4, pagesPerFile: 150, seed: 31, wikiLinkRate: 0.2, prefix: 'CC-MAIN-20990101' }]);
  entries = [];
  for (const [i, file] of planted.files.entries()) {
    const entry = `crawl-data/${CRAWL}/segments/${SEGMENTS[Math.floor(i / 2)]}/wat/${path.basename(file)}`;
    const bytes = await fsp.readFile(file);
    entries.push(entry);
    server.objects.set(`/${entry}`, bytes);
    sizes.set(`/${entry}`, bytes.length);
    const url = `${server.base}${entry}`;
    rowsByEntry.set(entry, planted.expected.filter((r) => r.input_file === file).map((r) => ({ ...r, input_file: url })));
  }
  server.objects.set(LISTING, zlib.gzipSync(entries.join('\n') + '\n'));
});

afterAll(async () => {
  await Promise.all([redis?.stop(), server?.stop()]);
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

const expectedKeys = (picked: string[]): string[] =>
  picked.flatMap((e) => rowsByEntry.get(e) ?? []).map((r) => keyOf(r as unknown as Record<string, unknown>)).sort();

describe('run --crawl over a faulty https source', () => {
  it('completes with exactly the planted links despite 503s, a cut connection, a stall and a trickle', async () => {
    const [e0, e1, e2, e3] = entries.map((e) => `/${e}`);
    server.plan = (p, n): Fault => {
      if (p === LISTING && n === 1) return { kind: 'status', status: 503 };
      if (p === e0 && n <= 2) return { kind: 'status', status: 503 };
      if (p === e1 && n === 1) return { kind: 'cut', afterBytes: Math.floor((sizes.get(p) ?? 0) * 0.4) };
      if (p === e2 && n === 1) return { kind: 'stall', afterBytes: Math.floor((sizes.get(p) ?? 0) * 0.3), millis: 5_000 };
      if (p === e3) return { kind: 'trickle', chunkBytes: 16 * 1024, everyMillis: 2 };
      return { kind: 'ok' };
    };
    const out = path.join(work, 'out');
    const res = await runCli(
      // --no-preflight: the faults are planned by request number, for the workers' first requests (not the probes').
      ['run', '--crawl', CRAWL, '--input-base', server.base, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 'crawl-1', '--partitions', '2', '--no-preflight'],
      ENV,
    );
    expect(res.stderr + res.stdout).toContain('succeeded');
    expect(res.code).toBe(0);

    const links = await readParquet(`${out}/crawl-1/links/*.parquet`);
    expect(links.length).toBeGreaterThan(20);
    expect(links.map(keyOf).sort()).toEqual(expectedKeys(entries));

    const manifest = JSON.parse(await fsp.readFile(`${out}/crawl-1/manifest.json`, 'utf8'));
    expect(manifest.options).toMatchObject({ crawl: CRAWL, input: 'wat', source: 'input-base', listed: 4, selection: { kind: 'all' } });
    expect(manifest.options.listing).toBe(`${server.base}${LISTING.slice(1)}`);
    expect((await readFileList(out, 'crawl-1')).map((f) => f.input)).toEqual(entries.map((e) => `${server.base}${e}`));
    const c = manifest.counters as Record<string, number>;
    expect(c['io.http.retries']).toBeGreaterThanOrEqual(3); // listing once, first file twice
    expect(c['io.http.resumes']).toBeGreaterThanOrEqual(2); // the cut and the stall
    expect(c['io.http.get']).toBeGreaterThanOrEqual(1 + 4 + 3 + 2);
    expect(c['io.http.bytes_in']).toBeGreaterThanOrEqual([...sizes.values()].reduce((a, b) => a + b, 0));
    // The resumes asked for the rest of the body, not the whole of it again.
    for (const p of [e1, e2]) {
      const resumed = server.requestsFor(p ?? '').filter((r) => r.range);
      expect(resumed.length).toBeGreaterThanOrEqual(1);
      expect(Number(/bytes=(\d+)-/.exec(resumed[0]?.range ?? '')?.[1])).toBeGreaterThan(0);
    }
    console.log('crawl run counters:', JSON.stringify(Object.fromEntries(Object.entries(c).filter(([k]) => k.startsWith('io.')))));
  });

  it("a resumed run keeps the first coordinator's listing request in its counters", async () => {
    // The last file trickles (first request only), so the coordinator can be killed while it waits.
    const last = `/${entries[3]}`;
    const base = server.requestsFor(last).length;
    server.plan = (p, n): Fault => (p === last && n <= base + 1 ? { kind: 'trickle', chunkBytes: 8192, everyMillis: 50 } : { kind: 'ok' });
    const listed = server.requestsFor(LISTING).length;
    const out = path.join(work, 'out-resume');
    const env = { ...ENV, WIKIREVERSE_LOCK_MS: '2000', WIKIREVERSE_STALLED_INTERVAL_MS: '1000', WIKIREVERSE_BACKOFF_MS: '200' };
    const args = ['--out', out, '--redis', redis.url, '--workers', '1'];
    const run = startCli(['run', '--crawl', CRAWL, '--input-base', server.base, '--run-id', 'crawl-resume', '--partitions', '1', '--log-level', 'info', ...args], env);
    await run.waitForLine((l) => l.includes('"msg":"file committed"'));
    run.child.kill('SIGKILL');
    await run.done;
    expect(server.requestsFor(LISTING).length - listed).toBe(1);

    const res = await runCli(['resume', 'crawl-resume', ...args], env);
    expect(res.code, res.stderr.slice(-2000)).toBe(0);
    expect(server.requestsFor(LISTING).length - listed).toBe(1); // the resume read the file list from the manifest
    const manifest = JSON.parse(await fsp.readFile(`${out}/crawl-resume/manifest.json`, 'utf8'));
    expect(manifest.sessions).toBe(2);
    expect(manifest.coordinatorIo['io.http.get']).toBe(1 + Math.min(5, entries.length)); // the listing and the pre-flight's probes, by the first coordinator
    expect(manifest.counters['io.http.get']).toBeGreaterThanOrEqual(1 + entries.length);
    const links = await readParquet(`${out}/crawl-resume/links/*.parquet`);
    expect(links.map(keyOf).sort()).toEqual(expectedKeys(entries));
  });

  it('--segments 1-1 reads only that segment; --sample N --seed S the documented files; --rate-limit spaces the GETs', async () => {
    server.plan = () => ({ kind: 'ok' });
    const out = path.join(work, 'out-slices');
    const seg = await runCli(
      ['run', '--crawl', CRAWL, '--input-base', server.base, '--segments', '1-1', '--rate-limit', '5', '--out', out, '--workers', '1', '--redis', redis.url, '--run-id', 'seg-1', '--partitions', '1'],
      ENV,
    );
    expect(seg.code).toBe(0);
    const picked = entries.filter((e) => e.includes(`/segments/${SEGMENTS[1]}/`));
    const links = await readParquet(`${out}/seg-1/links/*.parquet`);
    expect(links.map(keyOf).sort()).toEqual(expectedKeys(picked));
    const m1 = JSON.parse(await fsp.readFile(`${out}/seg-1/manifest.json`, 'utf8'));
    expect(m1.options).toMatchObject({ selection: { kind: 'segments', from: 1, to: 1 }, rateLimit: 5, listed: 4 });

    const sample = await runCli(
      ['run', '--crawl', CRAWL, '--input-base', server.base, '--sample', '2', '--seed', '7', '--rate-limit', '1', '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 'sample-1', '--partitions', '1', '--json'],
      ENV,
    );
    expect(sample.code).toBe(0);
    const m2 = JSON.parse(await fsp.readFile(`${out}/sample-1/manifest.json`, 'utf8'));
    const want = selectEntries(entries, { kind: 'sample', count: 2, seed: 7 });
    expect((await readFileList(out, 'sample-1')).map((f) => f.input)).toEqual(want.map((e) => `${server.base}${e}`));
    expect(m2.summary.links).toBe(expectedKeys(want).length);
    // One file per second across both workers: the two GETs are about a second apart.
    const starts = want.map((e) => server.requestsFor(`/${e}`).at(-1)?.at ?? 0).sort((a, b) => a - b);
    expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it("estimate --crawl projects the named crawl from its listing and its files' real sizes, on the cheapest launchable type (issue 25)", async () => {
    server.plan = () => ({ kind: 'ok' });
    const before = server.requests.length;
    const res = await runCli(['estimate', '--crawl', CRAWL, '--input-base', server.base, '--prices-from', 'table', '--instances', '2', '--json'], ENV);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as {
      sizes: { bytesPerFile: number; source: string };
      sample: { files: string[]; seconds: number; bytes: number };
      projection: { filesTotal: number; bytesTotal: number; secondsPerFile: number; instanceType: string; arch: string; candidates: Array<{ instanceType: string; arch: string; usdPerFile: number; launchable: boolean; bound: string }> };
    };
    const all = [...sizes.values()];
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    // The pre-flight read every file's size with its one-byte Range request (16 at most), the sample file was read whole.
    const sized = server.requests.slice(before).filter((r) => r.range === 'bytes=0-0');
    expect(sized.map((r) => r.path).sort()).toEqual(entries.map((e) => `/${e}`).sort());
    expect(sized.every((r) => r.status === 206)).toBe(true);
    expect(out.sizes).toEqual({ bytesPerFile: mean, source: `mean size of 4 of the 4 files` });
    expect(out.projection.filesTotal).toBe(4);
    expect(out.projection.bytesTotal).toBe(Math.round(mean * 4));
    // The sample's seconds per byte, scaled to the crawl's mean file.
    expect(out.projection.secondsPerFile).toBeCloseTo((out.sample.seconds / out.sample.bytes) * mean, 9);
    // Every type of the price table is a candidate, cheapest per file first; the image is x86_64 (the default), so an
    // arm64 type is listed and not projected.
    const c = out.projection.candidates;
    expect(c.length).toBeGreaterThan(15);
    expect(c.map((x) => x.usdPerFile)).toEqual([...c.map((x) => x.usdPerFile)].sort((a, b) => a - b));
    expect(c.filter((x) => x.arch === 'arm64').every((x) => !x.launchable)).toBe(true);
    expect(out.projection.arch).toBe('x86_64');
    expect(out.projection.instanceType).toBe(c.find((x) => x.launchable)?.instanceType);
    const arm = await runCli(['estimate', '--crawl', CRAWL, '--input-base', server.base, '--prices-from', 'table', '--json'], { ...ENV, WIKIREVERSE_IMAGE_ARCHS: 'x86_64,arm64' });
    expect(arm.code, arm.stderr).toBe(0);
    const armOut = JSON.parse(arm.stdout) as typeof out;
    expect(armOut.projection.instanceType).toBe(armOut.projection.candidates[0]?.instanceType);
  });

  it('--crawl A,B reads both crawls\' listings, one after another, each row keeping its crawl (issue 28, item 3)', async () => {
    server.plan = () => ({ kind: 'ok' });
    // The second crawl holds two of the first's files again (the same pages captured twice), under its own paths.
    const other = 'CC-MAIN-2099-05';
    const again = entries.slice(0, 2).map((e) => e.replace(CRAWL, other));
    for (const [i, e] of again.entries()) server.objects.set(`/${e}`, server.objects.get(`/${entries[i] as string}`) as Buffer);
    server.objects.set(`/crawl-data/${other}/wat.paths.gz`, zlib.gzipSync(again.join('\n') + '\n'));
    const out = path.join(work, 'out-two');
    const res = await runCli(['run', '--crawl', `${CRAWL},${other}`, '--input-base', server.base, '--out', out, '--workers', '1', '--redis', redis.url,
      '--run-id', 'crawl-two', '--partitions', '2', '--no-progress'], ENV);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/files 6\/6 \(failed 0\)/);
    const links = await readParquet(`${out}/crawl-two/links/*.parquet`);
    const want = [...entries, ...again].flatMap((e, i) => (rowsByEntry.get(i < entries.length ? e : (entries[i - entries.length] as string)) ?? [])
      .map((r) => ({ ...r, input_file: `${server.base}${e}` })));
    expect(links.map(keyOf).sort()).toEqual(want.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());
    const byCrawl = new Map<unknown, number>();
    for (const l of links) byCrawl.set(l.crawl, (byCrawl.get(l.crawl) ?? 0) + 1);
    expect(byCrawl.get(other)).toBe(again.flatMap((e, i) => rowsByEntry.get(entries[i] as string) ?? []).length);
    expect(byCrawl.get(CRAWL)).toBe(entries.flatMap((e) => rowsByEntry.get(e) ?? []).length);
    const manifest = JSON.parse(await fsp.readFile(`${out}/crawl-two/manifest.json`, 'utf8'));
    expect(manifest.options).toMatchObject({ crawl: `${CRAWL},${other}`, listing: `${server.base}crawl-data/${CRAWL}/wat.paths.gz + ${server.base}crawl-data/${other}/wat.paths.gz` });
    const bad = await runCli(['run', '--crawl', `${CRAWL},,${other}`, '--input-base', server.base, '--out', out, '--dry-run']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('give crawl ids separated by commas');
  });

  it('rejects conflicting or missing input options with exit code 2', async () => {
    const out = path.join(work, 'out-usage');
    const both = await runCli(['run', '--crawl', CRAWL, '--paths', 'x.txt', '--out', out]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --paths <listing> or --crawl <id>/);
    const two = await runCli(['run', '--crawl', CRAWL, '--files', '2', '--sample', '1', '--out', out]);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/--files and --sample cannot be combined/);
  });
});
