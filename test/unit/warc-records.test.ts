/**
 * The hand-written WARC framing (src/warc/records.ts, headers.ts) must give exactly the records warcio gives:
 * on the real samples, on generated fixtures, and on broken input (truncated record, lying Content-Length,
 * garbage between records, folded and non-ASCII headers, chunked payloads).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { framedRecords, headerNames, parseRecords, pickHeaders, warcioRecords, type ParsedRecord, type RecordDamage } from '../../src/warc/index.js';
import { generateFixtures } from '../../src/fixtures/index.js';
import { tempDir } from '../helpers/fixtures.js';

const SAMPLES = path.resolve(import.meta.dirname, '../fixtures/samples');

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

interface Seen {
  header: ParsedRecord['header'];
  offset?: number;
  payload: string;
  truncated: boolean;
}

async function collect(records: AsyncIterable<ParsedRecord> | Iterable<ParsedRecord | Promise<ParsedRecord>>, maxBytes: number, withOffsets: boolean): Promise<Seen[]> {
  const out: Seen[] = [];
  for await (const r of records) {
    const v = await r.read(maxBytes);
    if (r.readSync) {
      const { payload, ...rest } = r.readSync(maxBytes);
      expect(payload.equals(v.payload)).toBe(true);
      const { payload: _, ...expected } = v;
      expect(rest).toEqual(expected);
    }
    out.push({
      header: r.header,
      ...(withOffsets ? { offset: r.offset } : {}),
      payload: v.payload.toString('latin1'),
      truncated: v.truncated,
    });
  }
  return out;
}

/** How many `expectSame` calls the synchronous batch framer (framedRecords) took on, and how many it declined. */
const batchFramer = { took: 0, declined: 0 };

/**
 * Both readers over the same bytes, fed in chunks of `size`; results must be equal. The batch framer, given the
 * same bytes whole, must either decline them or give the same records too.
 */
async function expectSame(bytes: Buffer, size = 997, maxBytes = 1 << 20, withOffsets = true): Promise<Seen[]> {
  const fast = await collect(parseRecords(chunked(bytes, size)), maxBytes, withOffsets);
  const slow = await collect(warcioRecords(chunked(bytes, size)), maxBytes, withOffsets);
  expect(fast).toEqual(slow);
  const framed = framedRecords(bytes, 0);
  if (framed === null) batchFramer.declined++;
  else {
    batchFramer.took++;
    expect(await collect(framed, maxBytes, false)).toEqual(slow.map(({ offset: _, ...r }) => r));
  }
  return fast;
}

function record(type: string, block: string, extra = '', length?: number): string {
  const len = length ?? Buffer.byteLength(block);
  return `WARC/1.0\r\nWARC-Type: ${type}\r\nWARC-Target-URI: https://example.com/${type}\r\nWARC-Date: 2024-05-18T00:00:00Z\r\n${extra}Content-Type: application/json\r\nContent-Length: ${len}\r\n\r\n${block}\r\n\r\n`;
}

const HTML = 'HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nServer: x\r\n\r\n<a href="https://en.wikipedia.org/wiki/A">A</a>';
const response = (http = HTML, extra = ''): string =>
  `WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: <https://example.com/r>\r\nWARC-Date: 2024-05-18T00:00:00Z\r\n${extra}Content-Type: application/http; msgtype=response\r\nContent-Length: ${Buffer.byteLength(http)}\r\n\r\n${http}\r\n\r\n`;

describe('pickHeaders', () => {
  const NAMES = headerNames('content-type', 'x-a', 'empty', 'absent');
  const parse = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return pickHeaders(b, 0, b.length, NAMES);
  };
  it('reads names case-insensitively, trims values, joins repeated headers, drops empty values', () => {
    expect(parse('Content-Type:  text/html \r\nX-A: 1\r\nOther: \tx\r\nx-a: 2\r\nEmpty:   \r\n\r\n')).toEqual(['text/html', '1, 2', undefined, undefined]);
    expect(parse('CONTENT-TYPE:\tA/B\t\r\n\r\n')).toEqual(['A/B', undefined, undefined, undefined]);
  });
  it('leaves blocks over 1 MiB to warcio (a regular expression over ~8 MiB of lines overflows the stack)', async () => {
    const lines = Buffer.from('Content-Type: a\r\n' + 'a:\r\n'.repeat(2_200_000) + '\r\n');
    expect(pickHeaders(lines, 0, lines.length, NAMES)).toBeNull();
    const http = 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n' + 'a:\r\n'.repeat(400_000) + '\r\n<a href="https://en.wikipedia.org/wiki/A">A</a>';
    const framed = framedRecords(Buffer.from(response(http)), 0);
    expect(framed?.[0]).toBeInstanceOf(Promise); // warcio reads its headers
    const rec = await (framed?.[0] as Promise<ParsedRecord>);
    expect(rec.header.contentType).toBe('text/html');
    expect((await rec.read(1000)).payload.toString()).toContain('wikipedia.org');
  });
  it('equals a byte-by-byte reference reading (the rules above) on 50,000 random blocks', () => {
    // The reference: the byte loop this reader replaced, kept here as the statement of the rules.
    const tchar = (c: number): boolean => c < 128 && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(String.fromCharCode(c));
    const reference = (b: Buffer): Map<string, string> | null => {
      const out = new Map<string, string>();
      let i = 0;
      while (i < b.length) {
        if (b[i] === 0x0d && b[i + 1] === 0x0a) {
          i += 2;
          continue;
        }
        let colon = -1;
        let j = i;
        for (; j < b.length && b[j] !== 0x0d; j++) {
          const c = b[j] as number;
          if (colon === -1) {
            if (c === 0x3a) colon = j;
            else if (!tchar(c)) return null;
          } else if ((c < 0x20 && c !== 0x09) || c > 0x7e) return null;
        }
        if (colon <= i || j >= b.length || b[j + 1] !== 0x0a) return null;
        const name = b.toString('latin1', i, colon).toLowerCase();
        const value = b.toString('latin1', colon + 1, j).trim();
        if (value !== '') out.set(name, out.has(name) ? `${out.get(name)}, ${value}` : value);
        i = j + 2;
      }
      return out;
    };
    const names = headerNames('a', 'b', 'x-a', 'ab');
    let seed = 20240518;
    const random = (n: number): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
    };
    const pick = <T>(xs: readonly T[]): T => xs[random(xs.length)] as T;
    const NAMES = ['a', 'A', 'b', 'B', 'X-A', 'x-a', 'ab', 'aB', 'abc', 'z', 'a b', 'a(', '', '\xe9'];
    const VALUE = [' ', ' ', '\t', 'v', 'v', 'W', ':', '1', '\x7f', '\xff', '\x00', '\x0b'];
    const END = ['\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\n', '\r', ''];
    let parsed = 0;
    for (let t = 0; t < 50_000; t++) {
      let text = '';
      for (let lines = random(5); lines > 0; lines--) {
        if (random(10) === 0) {
          text += '\r\n';
          continue;
        }
        text += pick(NAMES) + (random(20) === 0 ? '' : ':');
        for (let k = random(7); k > 0; k--) text += pick(VALUE);
        text += pick(END);
      }
      const b = Buffer.from(text, 'latin1');
      const ref = reference(b);
      if (ref !== null) parsed++;
      expect(pickHeaders(b, 0, b.length, names), JSON.stringify(text)).toEqual(ref === null ? null : names.map((n) => ref.get(n)));
    }
    expect(parsed).toBeGreaterThan(5_000); // both outcomes were exercised
    expect(parsed).toBeLessThan(45_000);
  });
  it('checks the lines it does not pick', () => {
    expect(parse('Content-Type: a\r\nOther: caf\u00e9\r\n\r\n')).toBeNull();
    expect(parse('Content-Type: a\r\nBad[Name]: 1\r\n\r\n')).toBeNull();
  });
  it('declines folded lines, non-ASCII, bare LF and bad names', () => {
    expect(parse('A: 1\r\n  more\r\n\r\n')).toBeNull();
    expect(parse('A: caf\u00e9\r\n\r\n')).toBeNull();
    expect(parse('A: 1\nB: 2\r\n\r\n')).toBeNull();
    expect(parse('Bad Name: 1\r\n\r\n')).toBeNull();
    expect(parse('no colon\r\n\r\n')).toBeNull();
  });
});

describe('parseRecords equals warcio', () => {
  it('on every bundled Common Crawl sample, in several chunk sizes', async () => {
    for (const name of fs.readdirSync(SAMPLES)) {
      const bytes = zlib.gunzipSync(fs.readFileSync(path.join(SAMPLES, name)));
      for (const size of [1 << 20, 4096, 333]) await expectSame(bytes, size, 1 << 24, false);
      await expectSame(bytes, 65536, 1000, false); // payloads cut at maxBytes
    }
  });

  it('on generated WAT and WARC fixtures', async () => {
    const dir = await tempDir('warc-records');
    for (const kind of ['wat', 'warc'] as const) {
      const set = await generateFixtures({ outDir: dir, kind, files: 1, pagesPerFile: 40, seed: 7, prefix: kind });
      const bytes = zlib.gunzipSync(fs.readFileSync(set.files[0] as string));
      const records = await expectSame(bytes, 8192);
      expect(records.length).toBe(1 + 3 * 40);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails a truncated last record naming its offset, after yielding the complete ones (warcio never returns here)', async () => {
    const first = record('metadata', '{"a":1}');
    const bytes = Buffer.from(first + record('metadata', '{"b":2}'));
    for (const cut of [8, 40, bytes.length - first.length - 30]) {
      const seen: string[] = [];
      const reading = (async () => {
        for await (const r of parseRecords(chunked(bytes.subarray(0, bytes.length - cut), 64))) seen.push((await r.read(100)).payload.toString());
      })();
      await expect(reading).rejects.toThrow(new RegExp(`record at uncompressed offset ${Buffer.byteLength(first)} is truncated`));
      expect(seen).toEqual(['{"a":1}']);
    }
  });

  it('on a Content-Length that is too small (garbage before the next record), counting it', async () => {
    const bytes = Buffer.from(record('metadata', '{"a":1} trailing junk', '', 7) + record('metadata', '{"b":2}'));
    const records = await expectSame(bytes);
    expect(records.map((r) => r.payload)).toEqual(['{"a":1}', '{"b":2}']);
    const skipped: number[] = [];
    for await (const r of parseRecords(chunked(bytes, 50), { onMisframed: (_o, n) => skipped.push(n) })) void r;
    expect(skipped).toEqual([' trailing junk'.length]);
  });

  it('on extra blank lines between records', async () => {
    await expectSame(Buffer.from(record('metadata', '{"a":1}') + '\r\n\r\n\r\n' + record('metadata', '{"b":2}')));
  });
});

/** What parseRecords reads, and what it skips, where warcio's reading is not the reference (damage). */
async function readDamaged(bytes: Buffer, size = 997): Promise<{ records: Array<[number, string, string]>; skipped: unknown[] }> {
  const records: Array<[number, string, string]> = [];
  const skipped: unknown[] = [];
  const opts = { onSkipped: (d: RecordDamage) => skipped.push(d), onMisframed: (offset: number, bytes: number) => skipped.push({ kind: 'misframed', offset, bytes }) };
  for await (const r of parseRecords(chunked(bytes, size), opts)) records.push([r.offset, r.header.warcType, (await r.read(100)).payload.toString()]);
  return { records, skipped };
}

describe('parseRecords on damage (skipped to the next record and reported; warcio reads garbage records or never returns here)', () => {
  const a = record('metadata', '{"a":1}');

  it('a Content-Length that is too large: the block runs into the next record, which is lost; the bytes past it are skipped', async () => {
    const bytes = Buffer.from(record('metadata', '{"a":1}', '', 30) + record('metadata', '{"b":2}'));
    const { records, skipped } = await readDamaged(bytes);
    expect(records).toEqual([[0, 'metadata', '{"a":1}\r\n\r\nWARC/1.0\r\nWARC-Type']]);
    expect(skipped).toEqual([{ kind: 'misframed', offset: 195, bytes: 140 }]);
  });

  it('garbage lines between records: skipped, the next record read at its own offset', async () => {
    const { records, skipped } = await readDamaged(Buffer.from(a + 'garbage line\r\n\r\n' + record('metadata', '{"b":2}')));
    expect(records).toEqual([[0, 'metadata', '{"a":1}'], [a.length + 16, 'metadata', '{"b":2}']]);
    expect(skipped).toEqual([{ kind: 'misframed', offset: a.length - 4, bytes: 'garbage line'.length }]);
  });

  it('a missing or non-numeric Content-Length: that record is skipped, the next one read', async () => {
    for (const bad of [record('metadata', '{"b":2}').replace(/Content-Length: \d+/, 'Content-Length: x'), record('metadata', '{"b":2}').replace(/Content-Length: \d+\r\n/, '')]) {
      const { records, skipped } = await readDamaged(Buffer.from(a + bad + a));
      expect(records).toEqual([[0, 'metadata', '{"a":1}'], [a.length + bad.length, 'metadata', '{"a":1}']]);
      expect(skipped).toEqual([{ kind: 'bad_length', offset: a.length, bytes: expect.any(Number) as number }]);
    }
  });

  it('a stream that is not WARC at all gives no record; an empty one nothing', async () => {
    expect(await readDamaged(Buffer.from('this is not a warc file\r\n\r\nat all\r\n'))).toEqual({ records: [], skipped: [{ kind: 'not_warc', offset: 0, bytes: 29 }] });
    expect(await readDamaged(Buffer.alloc(0))).toEqual({ records: [], skipped: [] });
  });

  it('a non-ASCII header on a record cut short fails the stream (warcio spins forever on it, starving the event loop)', async () => {
    const bytes = Buffer.from('WARC/1.0\r\nWARC-Type: resource\r\nX-Note: caf\xc3\xa9\r\nContent-Length: 1000\r\n\r\nshort', 'latin1');
    expect(bytes.length).toBe(75);
    for (const size of [1, 7, 75]) {
      await expect(readDamaged(bytes, size)).rejects.toThrow(/record at uncompressed offset 0 is truncated: Content-Length 1000, but the input ends 5 bytes into its block/);
    }
    // warcio alone on the same bytes now fails instead of looping (its source refuses endless reads past the end).
    await expect((async () => {
      for await (const r of warcioRecords(chunked(bytes, 16))) await r.read(10);
    })()).rejects.toThrow(/past the end of the input/);
  });

  it('an unterminated header line of 80 MiB between two records: skipped in bounded memory, the record after it read', async () => {
    const bad = Buffer.concat([Buffer.from('WARC/1.0\r\nWARC-Type: response\r\nX: '), Buffer.alloc(80 << 20)]);
    async function* stream(): AsyncGenerator<Buffer> {
      yield Buffer.from(a);
      for (let i = 0; i < bad.length; i += 1 << 16) yield bad.subarray(i, i + (1 << 16));
      yield Buffer.from('\r\n\r\n' + record('metadata', '{"b":2}'));
    }
    const before = process.memoryUsage();
    const records: string[] = [];
    const skipped: RecordDamage[] = [];
    for await (const r of parseRecords(stream(), { onSkipped: (d) => skipped.push(d) })) records.push((await r.read(100)).payload.toString());
    const after = process.memoryUsage();
    expect(records).toEqual(['{"a":1}', '{"b":2}']);
    expect(skipped.map((d) => [d.kind, d.offset])).toEqual([['header_too_long', a.length]]);
    expect(skipped[0]?.bytes).toBeGreaterThan(80 << 20);
    // The reader holds a header's worth (1 MiB) at a time: the heap does not grow with the line (it grew by GBs before).
    expect(after.heapUsed - before.heapUsed).toBeLessThan(64 << 20);
  });

  it('a record over 64 MiB is streamed through warcio (not held), its payload cut at the limit, and the next record read', async () => {
    const big = 70 << 20;
    const head = Buffer.from(`WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: https://example.com/big\r\nX-Note: caf\xc3\xa9\r\nContent-Type: text/plain\r\nContent-Length: ${big}\r\n\r\n`, 'latin1');
    async function* stream(): AsyncGenerator<Buffer> {
      yield head;
      const block = Buffer.alloc(1 << 20, 0x61);
      for (let i = 0; i < big; i += block.length) yield block;
      yield Buffer.from('\r\n\r\n' + a);
    }
    const seen: Array<[number, string, number]> = [];
    for await (const r of parseRecords(stream())) seen.push([r.offset, r.header.targetUri, (await r.read(1000)).payload.length]);
    expect(seen).toEqual([[0, 'https://example.com/big', 1000], [head.length + big + 4, 'https://example.com/metadata', 7]]);
    // Cut short: it fails naming the record.
    async function* cut(): AsyncGenerator<Buffer> {
      yield head;
      yield Buffer.alloc(1 << 20);
    }
    await expect((async () => {
      for await (const r of parseRecords(cut())) await r.read(10);
    })()).rejects.toThrow(/record at uncompressed offset 0 is truncated/);
  });

  it('headers that run past the record\'s block are read by warcio from that record alone: the next record is intact', async () => {
    const bytes = Buffer.from(response() + response('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n') + response());
    const { records, skipped } = await readDamaged(bytes);
    expect(records.map((r) => r[1])).toEqual(['response', 'response', 'response']);
    expect(records[2]?.[2]).toContain('wikipedia.org');
    expect(skipped).toEqual([]);
  });

  it('on folded and non-ASCII WARC headers', async () => {
    const a = record('metadata', '{"a":1}');
    await expectSame(Buffer.from(a + record('metadata', '{"b":2}', 'X-Folded: one\r\n  two\r\n') + a));
    await expectSame(Buffer.from(a + record('metadata', '{"b":2}', 'X-Note: caf\u00e9 \u4e2d\r\n') + a));
  });

  it('on HTTP responses: plain, chunked, unusual headers, headers running past the block', async () => {
    const chunkedBody = 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
    const records = await expectSame(Buffer.from(response() + response(chunkedBody) + response()));
    expect(records[1]?.payload).toBe('hello world');
    expect(records[0]?.header).toEqual({
      warcType: 'response', targetUri: 'https://example.com/r', date: '2024-05-18T00:00:00Z', contentType: 'text/html; charset=utf-8',
    });
    await expectSame(Buffer.from(response() + response(HTML.replace('Server: x', 'Server: caf\u00e9')) + response()));
    await expectSame(Buffer.from(response() + response(HTML.replace('Server: x', 'Server: x\r\n  folded')) + response()));
    await expectSame(Buffer.from(response() + response('\r\n<html>') + response()));
  });

  it('the batch framer reads exactly framed bytes (samples, fixtures, HTTP records warcio must read) and declines the rest', async () => {
    for (const name of fs.readdirSync(SAMPLES)) {
      expect(framedRecords(zlib.gunzipSync(fs.readFileSync(path.join(SAMPLES, name))), 0), name).not.toBeNull();
    }
    const nonAsciiHttp = response(HTML.replace('Server: x', 'Server: caf\u00e9'));
    const chunkedHttp = response('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n');
    const framed = framedRecords(Buffer.from(response() + nonAsciiHttp + chunkedHttp), 42);
    expect(framed).toHaveLength(3);
    const [plain, deferred, encoded] = framed as [ParsedRecord, Promise<ParsedRecord>, ParsedRecord];
    expect(plain.readSync?.(100).payload.toString()).toContain('wikipedia.org');
    expect(deferred).toBeInstanceOf(Promise); // its header comes from HTTP headers only warcio reads
    expect((await deferred).header.contentType).toBe('text/html; charset=utf-8');
    expect(encoded.readSync).toBeUndefined();
    expect((await encoded.read(100)).payload.toString()).toBe('hi');
    expect(framed?.map((r) => (r instanceof Promise ? 42 : r.offset))).toEqual([42, 42, 42]);
    // Anything but records back to back, each block followed by exactly CRLF CRLF:
    const a = record('metadata', '{"a":1}');
    expect(framedRecords(Buffer.from(a + a), 0)).toHaveLength(2);
    expect(framedRecords(Buffer.from(a + '\r\n' + a), 0)).toBeNull();
    expect(framedRecords(Buffer.from(record('metadata', '{"a":1}', '', 6) + a), 0)).toBeNull();
    expect(framedRecords(Buffer.from(a + record('metadata', '{"b":2}', 'X-Folded: one\r\n  two\r\n')), 0)).toBeNull();
    expect(framedRecords(Buffer.from(a.slice(0, -1)), 0)).toBeNull();
    expect(framedRecords(Buffer.alloc(0), 0)).toBeNull();
    expect(batchFramer.took).toBeGreaterThan(10);
    expect(batchFramer.declined).toBeGreaterThan(2);
  });
});
