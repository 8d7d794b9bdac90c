/**
 * Runs over records selected through the Common Crawl index (`run --crawl ID --where ...`): an index-shaped Parquet
 * written here (one row per WARC record, its offset and length found by walking the gzip members with node's zlib, not
 * with our reader), WARC files with planted links on the local disk and on the S3 stand-in. The output holds exactly the
 * links of the selected records; tasks are bounded; `--dry-run` counts the selection; index rows that point outside the
 * crawl and records that are not records fail, naming them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { runCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, readFileList, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

const CRAWL = 'CC-MAIN-2024-22';
let redis: EmbeddedRedis;
let s3: TestS3;
let work: string;
let planted: PlantedSet;
let index: string;
interface IndexRow { url: string; host: string; file: string; offset: number; length: number }
let rows: IndexRow[];

/** The gzip members of a file: [offset, length] each (header parsed here, deflate data measured by zlib). */
function members(buf: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let at = 0;
  while (at < buf.length) {
    expect(buf[at]).toBe(0x1f);
    const flg = buf[at + 3] as number;
    let p = at + 10;
    if (flg & 4) p += 2 + buf.readUInt16LE(p);
    if (flg & 8) p = buf.indexOf(0, p) + 1;
    if (flg & 16) p = buf.indexOf(0, p) + 1;
    if (flg & 2) p += 2;
    const { engine } = zlib.inflateRawSync(buf.subarray(p), { info: true }) as unknown as { engine: { bytesWritten: number } };
    const end = p + engine.bytesWritten + 8;
    out.push([at, end - at]);
    at = end;
  }
  return out;
}

async function writeIndex(file: string, list: IndexRow[]): Promise<void> {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  await c.run('CREATE TABLE t (url VARCHAR, url_host_name VARCHAR, url_host_tld VARCHAR, fetch_status SMALLINT, content_mime_detected VARCHAR, warc_filename VARCHAR, warc_record_offset INTEGER, warc_record_length INTEGER, subset VARCHAR)');
  const app = await c.createAppender('t');
  for (const r of list) {
    app.appendVarchar(r.url); app.appendVarchar(r.host); app.appendVarchar(r.host.split('.').pop() as string); app.appendSmallInt(200);
    app.appendVarchar('text/html'); app.appendVarchar(r.file); app.appendInteger(r.offset); app.appendInteger(r.length); app.appendVarchar('warc');
    app.endRow();
  }
  app.closeSync();
  await c.run(`COPY t TO '${file}' (FORMAT parquet)`);
  c.closeSync();
  inst.closeSync();
}

beforeAll(async () => {
  work = await tempDir('index');
  [redis, s3] = await Promise.all([startRedisServer(), startS3(path.join(work, 's3rver'), ['cc'])]);
  planted = await plant(path.join(work, 'cc'), [
    { kind: 'warc', files: 3, pagesPerFile: 60, seed: 151, wikiLinkRate: 0.3, prefix: 'idx' },
  ]);
  rows = [];
  for (const f of planted.files) {
    const buf = await fsp.readFile(f);
    for (const [offset, length] of members(buf)) {
      const head = zlib.gunzipSync(buf.subarray(offset, offset + length)).subarray(0, 4096).toString('latin1');
      if (!/^WARC-Type: response\r?$/m.test(head)) continue;
      const url = (/^WARC-Target-URI: <?([^\r\n>]+)>?\r?$/m.exec(head) as RegExpExecArray)[1] as string;
      rows.push({ url, host: new URL(url).hostname, file: path.basename(f), offset, length });
    }
    await s3.put('cc', path.basename(f), buf);
  }
  index = path.join(work, 'index.parquet');
  await writeIndex(index, rows);
  await s3.put('cc', `crawl-data/${CRAWL}/cc-index-table.paths.gz`, zlib.gzipSync('cc-index/table/part-0.parquet\n'));
  await s3.put('cc', 'cc-index/table/part-0.parquet', await fsp.readFile(index));
}, 120_000);

afterAll(async () => {
  await Promise.all([redis?.stop(), s3?.stop()]);
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

/** A predicate that selects about half of the hosts, and the planted links of exactly those records. */
function selection(): { where: string; urls: Set<string>; expected: string[] } {
  const hosts = [...new Set(rows.map((r) => r.host))].sort();
  const chosen = hosts.filter((_, i) => i % 2 === 0);
  const where = `url_host_name IN (${chosen.map((h) => `'${h}'`).join(', ')}) AND fetch_status = 200`;
  const urls = new Set(rows.filter((r) => chosen.includes(r.host)).map((r) => r.url));
  const expected = planted.expected.filter((e) => urls.has(e.source_url)).map((r) => keyOf(r as unknown as Record<string, unknown>)).sort();
  return { where, urls, expected };
}

describe('run --where (records selected through the index)', () => {
  it('outputs exactly the links of the selected records, read by Range requests from local files', async () => {
    const { where, urls, expected } = selection();
    expect(urls.size).toBeGreaterThan(10);
    expect(urls.size).toBeLessThan(rows.length);
    expect(expected.length).toBeGreaterThan(5);
    expect(expected.length).toBeLessThan(planted.expected.length);
    const out = path.join(work, 'out-local');
    const res = await runCli(
      ['run', '--crawl', CRAWL, '--input-base', planted.dir, '--where', where, '--index', index, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 'idx-local'],
      { WIKIREVERSE_INDEX_TASK_RECORDS: '4' },
    );
    expect(res.stderr + res.stdout).toContain('succeeded');
    expect(res.code).toBe(0);
    const links = await readParquet(path.join(out, 'idx-local/links/*.parquet'));
    expect(links.map(keyOf).sort()).toEqual(expected);
    // Tasks: one WARC file each, at most 4 records, every selected record once, in file order.
    const tasks = await readFileList(out, 'idx-local');
    const manifest = JSON.parse(await fsp.readFile(path.join(out, 'idx-local/manifest.json'), 'utf8')) as {
      options: { selected: { records: number; tasks: number; files: number } }; counters: Record<string, number>;
    };
    expect(manifest.options.selected.records).toBe(urls.size);
    expect(manifest.options.selected.tasks).toBe(tasks.length);
    const raw = zlib.gunzipSync(await fsp.readFile(path.join(out, 'idx-local/files.jsonl.gz'))).toString('utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { input: string; ranges: Array<[number, number]>; status: string });
    expect(raw.every((t) => t.status === 'done' && t.ranges.length >= 1 && t.ranges.length <= 4)).toBe(true);
    const selectedRanges = rows.filter((r) => urls.has(r.url)).map((r) => `${path.join(planted.dir, r.file)}@${r.offset}+${r.length}`).sort();
    expect(raw.flatMap((t) => t.ranges.map(([o, l]) => `${t.input}@${o}+${l}`)).sort()).toEqual(selectedRanges);
    expect(manifest.counters.index_records).toBe(urls.size);
  }, 120_000);

  it('reads the crawl\'s own index listing and the WARC records from S3 (one ranged GET per record), and --dry-run counts the selection', async () => {
    const { where, urls, expected } = selection();
    const env = { ...s3.env };
    const dry = await runCli(['run', '--crawl', CRAWL, '--input-base', 's3://cc/', '--s3-endpoint', s3.endpoint, '--where', where, '--out', path.join(work, 'unused'), '--dry-run', '--json'], env);
    expect(dry.code, dry.stderr).toBe(0);
    const facts = JSON.parse(dry.stdout) as { records: number; bytes: number; warcFiles: number; tasks: number; indexFiles: number };
    const chosen = rows.filter((r) => urls.has(r.url));
    expect(facts).toMatchObject({ records: urls.size, bytes: chosen.reduce((n, r) => n + r.length, 0), warcFiles: new Set(chosen.map((r) => r.file)).size, indexFiles: 1 });
    expect(fs.existsSync(path.join(work, 'unused'))).toBe(false);

    const out = path.join(work, 'out-s3');
    const res = await runCli(
      ['run', '--crawl', CRAWL, '--input-base', 's3://cc/', '--s3-endpoint', s3.endpoint, '--where', where, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 'idx-s3'],
      env,
    );
    expect(res.stderr + res.stdout).toContain('succeeded');
    expect(res.code).toBe(0);
    const links = await readParquet(path.join(out, 'idx-s3/links/*.parquet'));
    expect(links.map(keyOf).map((k) => k.replace(/s3:\/\/cc\//g, `${planted.dir}/`)).sort()).toEqual(expected);
    const manifest = JSON.parse(await fsp.readFile(path.join(out, 'idx-s3/manifest.json'), 'utf8')) as { counters: Record<string, number> };
    // Every selected record is one ranged GET by a worker; the coordinator's GETs read the listing and the index file.
    expect(manifest.counters['io.s3.get']).toBeGreaterThanOrEqual(urls.size + 2);
    expect(manifest.counters['io.s3.bytes_in']).toBeGreaterThanOrEqual(facts.bytes);
    expect(manifest.counters['io.s3.bytes_in']).toBeLessThan(chosen.reduce((n, r) => n + r.length, 0) + (await fsp.stat(index)).size + 10_000);
  }, 120_000);

  it('an index listing fetched from the store obeys the listing rules: no local files, no loopback addresses, unless trusted (issue 24, finding 4)', async () => {
    // The audit: the crawl's cc-index-table.paths.gz under --input-base named a root-only local Parquet and a loopback URL.
    const crawl = 'CC-MAIN-2099-01';
    const dry = (extra: string[] = []): ReturnType<typeof runCli> => runCli(
      ['run', '--crawl', crawl, '--input-base', 's3://cc/', '--s3-endpoint', s3.endpoint, '--where', 'true', '--out', path.join(work, 'unused-listing'), '--dry-run', '--json', ...extra],
      { ...s3.env },
    );
    await s3.put('cc', `crawl-data/${crawl}/cc-index-table.paths.gz`, zlib.gzipSync(`${index}\n`));
    const local = await dry();
    expect(local.code, local.stderr).toBe(2);
    expect(local.stderr).toContain(`names ${index}, a local file: a listing fetched over the network may name only remote objects`);
    expect(local.stdout).toBe('');
    await s3.put('cc', `crawl-data/${crawl}/cc-index-table.paths.gz`, zlib.gzipSync('http://127.0.0.1:9/cc-index/part-0.parquet\n'));
    const loop = await dry();
    expect(loop.code, loop.stderr).toBe(2);
    expect(loop.stderr).toContain('names http://127.0.0.1:9/cc-index/part-0.parquet, a private or local address');
    // Trusted, the same local index is read: every row selected.
    await s3.put('cc', `crawl-data/${crawl}/cc-index-table.paths.gz`, zlib.gzipSync(`${index}\n`));
    const trusted = await dry(['--trust-listing']);
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(JSON.parse(trusted.stdout)).toMatchObject({ records: rows.length, indexFiles: 1 });
    expect(fs.existsSync(path.join(work, 'unused-listing'))).toBe(false);
  }, 120_000);

  it('refuses an index row that names a file outside the crawl, naming the row; a range that is not a record fails its task naming the file and offset', async () => {
    const bad = path.join(work, 'bad-index.parquet');
    await writeIndex(bad, [{ ...(rows[0] as IndexRow), file: '../../etc/passwd' }]);
    const res = await runCli(['run', '--crawl', CRAWL, '--input-base', planted.dir, '--where', 'true', '--index', bad, '--out', path.join(work, 'out-bad'), '--workers', '1', '--redis', redis.url]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('index row 1 of the selection');
    expect(res.stderr).toContain('not a relative path of a WARC file');

    const r = rows[1] as IndexRow;
    const shifted = path.join(work, 'shifted-index.parquet');
    await writeIndex(shifted, [{ ...r, offset: r.offset + 7 }]);
    const out = path.join(work, 'out-shifted');
    const run = await runCli(
      ['run', '--crawl', CRAWL, '--input-base', planted.dir, '--where', 'true', '--index', shifted, '--out', out, '--workers', '1', '--redis', redis.url, '--run-id', 'idx-shifted'],
      { WIKIREVERSE_ATTEMPTS: '1' },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`failed: ${path.join(planted.dir, r.file)}: Input ${path.join(planted.dir, r.file)} is unreadable at byte offset ${r.offset + 7}`);
  }, 120_000);
});
