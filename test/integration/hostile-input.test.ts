/**
 * Hostile input through a real run (issue 12's findings, each reproduced on the earlier code): a 75-byte file that
 * spun warcio forever, an unterminated 80 MiB header line that took GBs and lost the record after it, WARC-Types that
 * named counters, and an input that stops sending. Each either fails its file by a deadline with a message naming the
 * file and the offset, or is counted and skipped; the run ends, and every good record is in the output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { FaultServer } from '../helpers/fault-server.js';
import { runCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { readFileList, tempDir } from '../helpers/fixtures.js';

let redis: EmbeddedRedis;
let work: string;

const page = (article: string): string => `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<a href="https://en.wikipedia.org/wiki/${article}">x</a>`;
function response(article: string, extra = ''): string {
  const http = page(article);
  return `WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://example.com/${article}\r\nWARC-Date: 2024-05-18T00:00:00Z\r\n${extra}` +
    `Content-Type: application/http; msgtype=response\r\nContent-Length: ${Buffer.byteLength(http)}\r\n\r\n${http}\r\n\r\n`;
}


beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('hostile');
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('hostile input', () => {
  it('a looping record, an 80 MiB header line and input-named counters: the run ends, damage is counted, nothing good is lost', async () => {
    const files: Record<string, Buffer> = {
      // Finding 1: warcio's skip looped forever here (a non-ASCII header sends the record to warcio, and the input ends early).
      'loop.warc': Buffer.from('WARC/1.0\r\nWARC-Type: resource\r\nX-Note: caf\xc3\xa9\r\nContent-Length: 1000\r\n\r\nshort', 'latin1'),
      // Finding 2: one member holding an unterminated header line of 80 MiB, between two good records.
      'header.warc.gz': Buffer.concat([
        zlib.gzipSync(response('Before')),
        zlib.gzipSync(Buffer.concat([Buffer.from('WARC/1.0\r\nWARC-Type: response\r\nX: '), Buffer.alloc(80 << 20)])),
        zlib.gzipSync(response('After')),
      ]),
      // Finding 3: every distinct WARC-Type became a counter (500 records x 1 MB types gave a 100 MB _SUCCESS.json).
      'types.warc.gz': Buffer.concat([
        ...Array.from({ length: 300 }, (_, i) => zlib.gzipSync(response(`T${i}`).replace('WARC-Type: response', `WARC-Type: ${'x'.repeat(10_000)}${i}`))),
        zlib.gzipSync(response('Typed')),
        zlib.gzipSync(response('NonAscii', 'X-Note: caf\u00e9\r\n')),
      ]),
      // warc_date is a TIMESTAMP column: a WARC-Date that is not a real UTC instant becomes null (it must not fail the merge).
      'dates.warc.gz': Buffer.concat([
        zlib.gzipSync(response('BadDate').replace('WARC-Date: 2024-05-18T00:00:00Z', 'WARC-Date: yesterday')),
        zlib.gzipSync(response('NoSuchDay').replace('WARC-Date: 2024-05-18T00:00:00Z', 'WARC-Date: 2024-02-30T00:00:00Z')),
      ]),
    };
    for (const [name, bytes] of Object.entries(files)) await fsp.writeFile(path.join(work, name), bytes);
    // Finding 10: a gzipped ARC file "succeeded" with 0 rows (300 damaged members counted). ARC is read now (arc-input.test.ts);
    // a gzipped file none of whose members is a WARC or ARC record fails, naming what it holds.
    await fsp.writeFile(path.join(work, 'pages.warc.gz'), Buffer.concat(Array.from({ length: 30 }, (_, i) => zlib.gzipSync(`<!DOCTYPE html><title>${i}</title><a href="https://en.wikipedia.org/wiki/Html">x</a>`))));
    const out = path.join(work, 'out');
    const res = await runCli(['run', '--paths', work, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 'hostile-1', '--attempts', '2'],
      { WIKIREVERSE_BACKOFF_MS: '100' });
    expect(res.code, res.stderr.slice(-3000)).toBe(1);

    const manifestText = await fsp.readFile(`${out}/hostile-1/manifest.json`, 'utf8');
    const m = JSON.parse(manifestText) as { counters: Record<string, number> };
    const byName = Object.fromEntries((await readFileList(out, 'hostile-1')).map((f) => [path.basename(f.input), f]));
    expect(byName['loop.warc']?.status).toBe('failed');
    expect(byName['loop.warc']?.error).toMatch(/loop\.warc is unreadable at byte offset 75: the WARC record at uncompressed offset 0 is truncated/);
    expect(byName['header.warc.gz']?.status).toBe('done');
    expect(byName['pages.warc.gz']?.status).toBe('failed');
    expect(byName['pages.warc.gz']?.error).toMatch(
      /pages\.warc\.gz is unreadable at byte offset 0: neither a WARC\/WAT\/WET nor an ARC file: none of its 30 gzip members holds a WARC or ARC record; the first holds HTML/,
    );
    expect(byName['types.warc.gz']?.status).toBe('done');

    const links = await readParquet(`${out}/hostile-1/links/*.parquet`);
    expect(links.map((r) => r.article).sort()).toEqual(['After', 'BadDate', 'Before', 'NoSuchDay', 'NonAscii', 'Typed']);
    const dateOf = Object.fromEntries(links.map((r) => [r.article, r.warc_date]));
    expect(dateOf).toMatchObject({ Before: '2024-05-18T00:00:00Z', BadDate: null, NoSuchDay: null });
    expect(m.counters.warc_date_invalid).toBe(2);
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const types = (await conn.runAndReadAll(`DESCRIBE SELECT warc_date FROM read_parquet('${out}/hostile-1/links/*.parquet')`)).getRowObjectsJS();
    conn.closeSync();
    db.closeSync();
    expect(types[0]?.column_type).toBe('TIMESTAMP');
    expect(m.counters['input_damage.header_too_long']).toBe(1);
    expect(m.counters['records.other']).toBe(300);
    expect(Object.keys(m.counters).every((k) => k.length <= 100)).toBe(true);
    expect(manifestText.length).toBeLessThan(64 * 1024);
  });

  it('an input that stops sending fails its attempts by the no-progress deadline, naming the file and the offset', async () => {
    const server = await new FaultServer().start();
    try {
      const good = Buffer.concat([zlib.gzipSync(response('Kept')), zlib.gzipSync(response('Kept2'))]);
      server.objects.set('/good.warc.gz', good);
      server.objects.set('/stall.warc.gz', Buffer.concat([good, good, good]));
      // Sends the first member, then nothing for 10 minutes.
      server.plan = (p) => (p === '/stall.warc.gz' ? { kind: 'stall', afterBytes: good.length / 2, millis: 600_000 } : { kind: 'ok' });
      const listing = path.join(work, 'remote.txt');
      await fsp.writeFile(listing, `${server.base}good.warc.gz\n${server.base}stall.warc.gz\n`);
      const out = path.join(work, 'out-stall');
      const started = Date.now();
      const res = await runCli(['run', '--paths', listing, '--out', out, '--workers', '1', '--redis', redis.url, '--run-id', 'stall-1', '--attempts', '2'],
        { WIKIREVERSE_BACKOFF_MS: '100', WIKIREVERSE_NO_PROGRESS_SECS: '3', WIKIREVERSE_IO_IDLE_TIMEOUT_MS: '600000' });
      expect(res.code, res.stderr.slice(-3000)).toBe(1);
      expect(Date.now() - started).toBeLessThan(60_000);
      const files = await readFileList(out, 'stall-1');
      const stalled = files.find((f) => f.input.endsWith('stall.warc.gz'));
      expect(stalled?.status).toBe('failed');
      expect(stalled?.error).toMatch(/stall\.warc\.gz made no progress for 3 s at byte offset \d+: no input bytes arrived and no record was read/);
      // Retried: a stalled source is not final (the pre-flight's one-byte probe aside).
      expect(server.requestsFor('/stall.warc.gz').filter((r) => r.range !== 'bytes=0-0').length).toBe(2);
      expect(files.find((f) => f.input.endsWith('good.warc.gz'))?.status).toBe('done');
    } finally {
      await server.stop();
    }
  });
});
