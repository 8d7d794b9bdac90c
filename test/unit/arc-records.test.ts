/**
 * ARC records (src/warc/arc*.ts, format.ts, input.ts): header lines of ARC v1 and v2, the real Heritrix sample read
 * gzipped per record and plain with the same records, HTTP heads as old servers wrote them, and damage: skipped and
 * counted (a line that is not a header, an Archive-length that lies, a header line past the limit, a bad gzip member)
 * or failing the input with its offset (a record cut short); inputs that are neither WARC nor ARC name what they are.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  arcFramedRecords, describeBytes, inputRecords, parseArcLine, parseArcRecords, sniffFormat,
  type BatchRecord, type MemberDamage, type MemberFramingDamage, type ParsedRecord, type RecordDamage,
} from '../../src/warc/index.js';

const SAMPLE = path.resolve(import.meta.dirname, '../fixtures/arc/heritrix-2008-example.arc.gz');

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

interface Seen {
  readonly warcType: string;
  readonly targetUri: string;
  readonly date: string;
  readonly contentType: string;
  readonly payload: string;
  readonly truncated: boolean;
}

async function seen(records: AsyncIterable<ParsedRecord | BatchRecord> | Iterable<BatchRecord>, maxBytes = 1 << 20): Promise<Seen[]> {
  const out: Seen[] = [];
  for await (const item of records) {
    const r = item;
    const v = await r.read(maxBytes);
    expect(r.header).toEqual({ warcType: v.warcType, targetUri: v.targetUri, date: v.date, contentType: v.contentType });
    out.push({ warcType: v.warcType, targetUri: v.targetUri, date: v.date, contentType: v.contentType, payload: v.payload.toString('latin1'), truncated: v.truncated });
  }
  return out;
}

/** The records `inputRecords` gives for a file's bytes, with the damage it reported. */
async function viaInput(bytes: Buffer, maxMemberBytes = 64 << 20): Promise<{ records: Seen[]; damage: Array<MemberDamage | MemberFramingDamage | RecordDamage>; format: string | undefined }> {
  const damage: Array<MemberDamage | MemberFramingDamage | RecordDamage> = [];
  const input = await inputRecords(Readable.from(chunked(bytes, 65_536)), { maxMemberBytes, onDamage: (d) => damage.push(d), onSkipped: (d) => damage.push(d) });
  const records: Seen[] = [];
  for await (const batch of input.batches) records.push(...(await seen(batch)));
  return { records, damage, format: input.format() };
}

/** One ARC record: header line, content, LF. */
function arcRecord(url: string, content: string | Buffer, opts: { date?: string; type?: string; length?: number; v2?: boolean } = {}): Buffer {
  const body = typeof content === 'string' ? Buffer.from(content, 'latin1') : content;
  const length = opts.length ?? body.length;
  const fields = opts.v2
    ? [url, '192.0.2.1', opts.date ?? '20080430204825', opts.type ?? 'text/html', '200', '-', '-', '1234', 'x.arc', String(length)]
    : [url, '192.0.2.1', opts.date ?? '20080430204825', opts.type ?? 'text/html', String(length)];
  return Buffer.concat([Buffer.from(`${fields.join(' ')}\n`, 'latin1'), body, Buffer.from('\n', 'latin1')]);
}

const VERSION = arcRecord('filedesc://test.arc', '1 0 test\nURL IP-address Archive-date Content-type Archive-length\n', { type: 'text/plain' });
const page = (article: string, head = 'HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n'): string =>
  `${head}<a href="https://en.wikipedia.org/wiki/${article}">${article}</a>`;
const html = (article: string): string => `<a href="https://en.wikipedia.org/wiki/${article}">${article}</a>`;
const response = (article: string, date = '2008-04-30T20:48:25Z'): Seen => ({
  warcType: 'response', targetUri: `http://example.com/${article}`, date, contentType: 'text/html; charset=utf-8', payload: html(article), truncated: false,
});
const version: Seen = {
  warcType: 'warcinfo', targetUri: 'filedesc://test.arc', date: '2008-04-30T20:48:25Z', contentType: 'text/plain',
  payload: '1 0 test\nURL IP-address Archive-date Content-type Archive-length\n', truncated: false,
};

describe('ARC header lines', () => {
  it('reads v1 (five fields) and v2 (ten, the length last), dates as ISO 8601 UTC, URLs with spaces', () => {
    expect(parseArcLine('http://www.archive.org/ 207.241.229.39 20080430204833 text/html 1234')).toEqual({
      url: 'http://www.archive.org/', date: '2008-04-30T20:48:33Z', contentType: 'text/html', length: 1234, kind: 'http',
    });
    expect(parseArcLine('https://a.example/x 1.2.3.4 19961231235959 text/html 200 ABCDEF - 0 f.arc 17')).toMatchObject({ date: '1996-12-31T23:59:59Z', length: 17, kind: 'http' });
    expect(parseArcLine('filedesc://IAH-2008.arc 0.0.0.0 20080430204825 text/plain 1300')).toMatchObject({ kind: 'filedesc', length: 1300 });
    expect(parseArcLine('dns:www.archive.org 68.87.76.178 20080430204825 text/dns 56')).toMatchObject({ kind: 'other', length: 56 });
    expect(parseArcLine('http://example.com/a b c 1.2.3.4 20080430204825 text/html 5')).toMatchObject({ url: 'http://example.com/a b c', length: 5 });
  });

  it('is not fooled by lines that are not headers', () => {
    for (const line of [
      'http://x 1.2.3.4 2008043020482 text/html 5', // 13-digit date
      'http://x 1.2.3.4 20080430204825 text/html 5x', // length not a number
      'http://x 1.2.3.4 20080430204825 5', // four fields
      '<html> 1.2.3.4 20080430204825 text/html 5', // no scheme
      'Content-Type: text/html; charset=utf-8',
      '',
    ]) {
      expect(parseArcLine(line), line).toBeNull();
    }
  });
});

describe('the real Heritrix sample (300 records, one gzip member each)', () => {
  const gz = fs.readFileSync(SAMPLE);
  const plain = zlib.gunzipSync(gz);

  it('reads 1 version block, 38 dns records and 261 http(s) captures, 140 of them HTML; the same gzipped, plain in any chunk size, and framed at once', async () => {
    const viaGzip = await viaInput(gz);
    expect(viaGzip.damage).toEqual([]);
    expect(viaGzip.format).toBe('arc');
    const records = viaGzip.records;
    expect(records).toHaveLength(300);
    const count = (f: (r: Seen) => boolean): number => records.filter(f).length;
    expect(count((r) => r.warcType === 'warcinfo')).toBe(1);
    expect(count((r) => r.warcType === 'resource' && r.targetUri.startsWith('dns:'))).toBe(38);
    expect(count((r) => r.warcType === 'response')).toBe(261);
    expect(count((r) => r.warcType === 'response' && r.contentType.startsWith('text/html'))).toBe(140);
    const faqs = records.find((r) => r.targetUri === 'http://www.archive.org/about/faqs.php');
    expect(faqs).toMatchObject({ date: '2008-04-30T20:50:18Z', contentType: 'text/html; charset=UTF-8' });
    expect(faqs?.payload.startsWith('<html><head>')).toBe(true);
    expect(faqs?.payload).toContain('http://en.wikipedia.org/wiki/List_of_XML_and_HTML_character_entity_references');

    for (const size of [1, 4096, 1 << 20]) expect(await seen(parseArcRecords(chunked(plain, size)))).toEqual(records);
    expect((await viaInput(plain)).records).toEqual(records);
    expect(await seen(arcFramedRecords(plain, 0) ?? [])).toEqual(records);
  });
});

describe('HTTP heads in ARC records', () => {
  it('LF-only heads, no status line, heads with no body: the body (or all of the content) is the payload', async () => {
    const bytes = Buffer.concat([
      VERSION,
      arcRecord('http://example.com/lf', page('Lf', 'HTTP/1.0 200 OK\nServer: old\nContent-type: text/html; charset=utf-8\n\n')),
      arcRecord('http://example.com/none', html('None'), { type: 'text/html' }),
      arcRecord('http://example.com/head', 'HTTP/1.0 302 Found\r\nLocation: /x\r\n'),
    ]);
    expect((await viaInput(bytes)).records).toEqual([
      version,
      { ...response('Lf'), targetUri: 'http://example.com/lf' },
      { ...response('None'), targetUri: 'http://example.com/none', contentType: 'text/html' },
      { ...response(''), targetUri: 'http://example.com/head', contentType: '', payload: '' },
    ]);
  });

  it('chunked and gzip-encoded bodies are decoded (by warcio, from the record alone)', async () => {
    const body = html('Chunked');
    const chunkedBody = `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const gzipped = zlib.gzipSync(html('Gzipped'));
    const bytes = Buffer.concat([
      arcRecord('http://example.com/Chunked', `HTTP/1.1 200 OK\nContent-Type: text/html; charset=utf-8\nTransfer-Encoding: chunked\n\n${chunkedBody}`),
      arcRecord('http://example.com/Gzipped', Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n\r\n'), gzipped])),
      arcRecord('http://example.com/After', page('After')),
    ]);
    for (const size of [7, 1 << 20]) {
      expect(await seen(parseArcRecords(chunked(bytes, size)))).toEqual([response('Chunked'), response('Gzipped'), response('After')]);
    }
  });

  it('cuts payloads at the byte limit and says so', async () => {
    const [r] = await seen(parseArcRecords(chunked(arcRecord('http://example.com/Long', page('Long')), 100)), 10);
    expect(r).toMatchObject({ payload: html('Long').slice(0, 10), truncated: true });
  });
});

describe('damage in plain ARC (skipped to the next header line, or the input fails naming the offset)', () => {
  const parse = async (bytes: Buffer, size = 997): Promise<{ records: Seen[]; skipped: RecordDamage[]; misframed: Array<[number, number]> }> => {
    const skipped: RecordDamage[] = [];
    const misframed: Array<[number, number]> = [];
    const records = await seen(parseArcRecords(chunked(bytes, size), { onSkipped: (d) => skipped.push(d), onMisframed: (o, n) => misframed.push([o, n]) }));
    return { records, skipped, misframed };
  };
  const a = arcRecord('http://example.com/A', page('A'));
  const b = arcRecord('http://example.com/B', page('B'));

  it('lines that are not headers between records: skipped, counted, the next record read', async () => {
    const junk = Buffer.from('this is not a header\nhttp://looks.like/a header but is not\n\n', 'latin1');
    const r = await parse(Buffer.concat([a, junk, b]));
    expect(r.records).toEqual([response('A'), response('B')]);
    expect(r.misframed).toEqual([[a.length - 1, junk.toString('latin1').replace(/\n/g, '').length]]);
  });

  it('an Archive-length too small: the rest of the content is skipped and counted; too large: the next record is swallowed, not invented', async () => {
    const aBody = page('A');
    const short = arcRecord('http://example.com/A', aBody, { length: aBody.length - 5 });
    const r = await parse(Buffer.concat([VERSION, short, b]));
    expect(r.records).toEqual([version, { ...response('A'), payload: html('A').slice(0, -5) }, response('B')]);
    expect(r.misframed).toEqual([[VERSION.length + short.length - 5 - 1, 5]]);

    const long = arcRecord('http://example.com/A', aBody, { length: aBody.length + 1 + b.length - 3 });
    const c = arcRecord('http://example.com/C', page('C'));
    const r2 = await parse(Buffer.concat([long, b, c]));
    expect(r2.records.map((x) => x.targetUri)).toEqual(['http://example.com/A', 'http://example.com/C']);
    expect(r2.misframed).toHaveLength(1);
  });

  it('a record cut short, or a header line cut short, fails the stream naming the offset after the complete records', async () => {
    const cut = Buffer.concat([a, b.subarray(0, b.length - 20)]);
    const records: string[] = [];
    await expect(async () => {
      for await (const r of parseArcRecords(chunked(cut, 100))) records.push(r.header.targetUri);
    }).rejects.toThrow(`the ARC record at uncompressed offset ${a.length} is truncated: Archive-length ${page('B').length}`);
    expect(records).toEqual(['http://example.com/A']);
    await expect(parse(Buffer.concat([a, Buffer.from('http://example.com/B 192.0.2.1 2008')]))).rejects.toThrow(
      `the ARC record at uncompressed offset ${a.length} is truncated: the input ends inside its header line`,
    );
  });

  it('an unterminated 80 MiB line first (header_too_long) or between two records (misframed): skipped in bounded memory, the records after it read', async () => {
    const huge = Buffer.alloc(80 << 20, 0x61);
    const newline = Buffer.from('\n');
    const rssBefore = process.memoryUsage().rss;
    const first = await parse(Buffer.concat([huge, newline, a, b]), 1 << 20);
    expect(first.records).toEqual([response('A'), response('B')]);
    expect(first.skipped).toEqual([{ kind: 'header_too_long', offset: 0, bytes: 80 << 20 }]);
    const between = await parse(Buffer.concat([a, huge, newline, b]), 1 << 20);
    expect(between.records).toEqual([response('A'), response('B')]);
    expect(between.misframed).toEqual([[a.length - 1, 80 << 20]]);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(400 << 20); // the inputs themselves are 2 x 80 MiB
  });

  it('a record over 64 MiB is streamed (not held): its payload cut at the limit, the next record read', async () => {
    const big = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n'), Buffer.alloc(70 << 20, 0x62)]);
    const bytes = Buffer.concat([arcRecord('http://example.com/Big', big), b]);
    const r = await parse(bytes, 1 << 20);
    expect(r.records.map((x) => [x.targetUri, x.payload.length, x.truncated])).toEqual([
      ['http://example.com/Big', 1 << 20, true],
      ['http://example.com/B', html('B').length, false],
    ]);
  });
});

describe('gzipped ARC with damaged members', () => {
  const members = (...records: Buffer[]): Buffer[] => records.map((r) => zlib.gzipSync(r));
  const a = arcRecord('http://example.com/A', page('A'));
  const b = arcRecord('http://example.com/B', page('B'));
  const c = arcRecord('http://example.com/C', page('C'));

  it('a member with a bad CRC, a member whose Archive-length lies, a member that is not ARC: each skipped and counted, the others read', async () => {
    const [m0, m1, m2, m3] = members(VERSION, a, b, c);
    const badCrc = Buffer.from(m1 as Buffer);
    badCrc.writeUInt32LE((badCrc.readUInt32LE(badCrc.length - 8) ^ 1) >>> 0, badCrc.length - 8);
    const lying = zlib.gzipSync(arcRecord('http://example.com/L', page('L'), { length: page('L').length + 40 }));
    const notArc = zlib.gzipSync('<html>not a record</html>\n');
    const r = await viaInput(Buffer.concat([m0 as Buffer, badCrc, lying, m2 as Buffer, notArc, m3 as Buffer]));
    expect(r.records).toEqual([version, response('B'), response('C')]);
    expect(r.damage.map((d) => d.kind)).toEqual(['gzip_member', 'bad_length', 'not_arc']);
  });

  it('the format is decided by the first member that is either: a damaged first member does not make an ARC file unreadable', async () => {
    const [m0, m1] = members(VERSION, a);
    const broken = Buffer.from(m0 as Buffer);
    broken[2] = 7; // compression method 7: not deflate
    const r = await viaInput(Buffer.concat([broken, m1 as Buffer]));
    expect(r.format).toBe('arc');
    expect(r.records).toEqual([response('A')]);
    expect(r.damage.map((d) => d.kind)).toEqual(['gzip_member']);
  });

  it('a header-shaped line over 64 MiB (a URL of 65 MiB), alone in its member or with the next record in it: skipped and counted, no intact record dropped', async () => {
    const hugeUrl = `http://example.com/${'a'.repeat(65 << 20)}`;
    const hostile = arcRecord(hugeUrl, page('H'));
    const [m0, mb, mc] = members(VERSION, b, c);
    const alone = await viaInput(Buffer.concat([m0 as Buffer, zlib.gzipSync(hostile, { level: 1 }), mb as Buffer, mc as Buffer]));
    expect(alone.records).toEqual([version, response('B'), response('C')]);
    expect(alone.damage.map((d) => d.kind)).toEqual(['header_too_long']);
    const shared = await viaInput(Buffer.concat([m0 as Buffer, zlib.gzipSync(Buffer.concat([hostile, b]), { level: 1 }), mc as Buffer]));
    expect(shared.records).toEqual([version, response('B'), response('C')]);
    expect(shared.damage.map((d) => d.kind)).toEqual(['header_too_long']);
  });

  it('a whole ARC file gzipped as one member too large to hold is streamed, with the same records', async () => {
    const plain = Buffer.concat([VERSION, a, b, c]);
    expect((await viaInput(zlib.gzipSync(plain), 64)).records).toEqual((await viaInput(plain)).records);
  });
});

describe('inputs that are neither WARC nor ARC', () => {
  it('are told apart by their first bytes, and named', () => {
    expect(sniffFormat(Buffer.from('WARC/1.0\r\n'))).toBe('warc');
    expect(sniffFormat(Buffer.from('\r\nfiledesc://x.arc 0.0.0.0 2008'))).toBe('arc');
    expect(sniffFormat(Buffer.from('http://a.b/ 1.2.3.4 20080430204825 text/html 5\nhello\n'))).toBe('arc');
    expect(sniffFormat(Buffer.from('<!DOCTYPE html>\n<html>'))).toBeNull();
    expect(describeBytes(Buffer.from('<!DOCTYPE html>\n<html>'))).toBe('HTML');
    expect(describeBytes(Buffer.from('PK\x03\x04rest', 'latin1'))).toBe('a ZIP archive');
    expect(describeBytes(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]))).toBe('zstd data');
    expect(describeBytes(Buffer.from('{"a":1}'))).toBe('JSON (or other text)');
    expect(describeBytes(Buffer.from('hello world\n'))).toBe('text beginning "hello world\\n"');
    expect(describeBytes(Buffer.from([0, 1, 2, 0xff]))).toBe('binary data beginning 00 01 02 ff');
  });

  it('plain: fail at offset 0 naming what they are; gzip: every member counted, no record', async () => {
    await expect(viaInput(Buffer.from('PK\x03\x04 a zip file', 'latin1'))).rejects.toMatchObject({
      name: 'InputFramingError', offset: 0, message: 'neither a WARC/WAT/WET nor an ARC file (nor gzip): it starts with a ZIP archive',
    });
    const r = await viaInput(Buffer.concat([zlib.gzipSync('{"not": "a record"}\n'), zlib.gzipSync('{"nor": "this"}\n')]));
    expect(r.records).toEqual([]);
    expect(r.format).toBeUndefined();
    expect(r.damage.map((d) => d.kind)).toEqual(['not_warc', 'not_warc']);
  });

  it('an empty input, or one of blank lines only, has no records and does not fail', async () => {
    expect((await viaInput(Buffer.alloc(0))).records).toEqual([]);
    expect((await viaInput(Buffer.from('\r\n\n'))).records).toEqual([]);
  });
});
