/**
 * Broken inputs, through a real run: record-level damage (a truncated or bad gzip member, garbage between members,
 * Content-Lengths that lie, invalid WAT JSON, a 50 MB page, non-UTF-8 bytes, an empty file) is counted and skipped
 * and the file completes with exactly the rows of its intact records; file-level damage (a file cut short, a file that
 * is not a WARC at all, a missing file) fails that file with an error naming it and the byte offset; the rest of the
 * run is unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { generateFixtures, type ExpectedRow } from '../../src/fixtures/index.js';
import {
  badHeaderMember, garbage, gzipMember, responseRecord, splitRecords, truncatedMember, withBrokenBlock, withLyingLength, type RawRecord,
} from '../../src/fixtures/corrupt.js';
import { runCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, readFileList, tempDir, type ListedFile } from '../helpers/fixtures.js';

let redis: EmbeddedRedis;
let work: string;
const expected: ExpectedRow[] = [];
const files: Record<string, string> = {};
const FAST = { WIKIREVERSE_BACKOFF_MS: '100' };

/** Records that carry planted links (so that losing them is visible in the output). */
function linked(records: RawRecord[], rows: ExpectedRow[], type: string): RawRecord[] {
  const urls = new Set(rows.map((r) => r.source_url));
  return records.filter((r) => r.warcType === type && urls.has(r.targetUri));
}

/** Writes `members` as a file; keeps the expected rows of every page not in `lost`, re-pointed at the new file. */
async function write(name: string, members: Buffer[], rows: ExpectedRow[], lost: string[], extra: Omit<ExpectedRow, 'input_file'>[] = []): Promise<void> {
  const file = path.join(work, name);
  await fsp.writeFile(file, Buffer.concat(members));
  files[name] = file;
  const gone = new Set(lost);
  for (const r of rows) if (!gone.has(r.source_url)) expected.push({ ...r, input_file: file });
  for (const r of extra) expected.push({ ...r, input_file: file });
}

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('corrupt');
  // Each damaged file has pages of its own (the reducer keeps one row per (lang, article, source_url) across files).
  const base = async (kind: 'warc' | 'wat', seed: number): Promise<{ records: RawRecord[]; rows: ExpectedRow[] }> => {
    const set = await generateFixtures({ outDir: path.join(work, 'base'), kind, files: 1, pagesPerFile: 40, seed, wikiLinkRate: 0.5, gzip: false, prefix: `${kind}-${seed}` });
    return { records: splitRecords(await fsp.readFile(set.files[0] as string)), rows: set.expected };
  };
  const four = (b: { records: RawRecord[]; rows: ExpectedRow[] }): RawRecord[] => {
    const l = linked(b.records, b.rows, 'response').slice(0, 4);
    if (l.length < 4) throw new Error('fixture has too few linked pages');
    return l;
  };

  // 1. A truncated member and a member with a bad header in the middle of a WARC file, garbage between two members.
  const m1 = await base('warc', 71);
  const [a, b, c] = four(m1);
  await write('members.warc.gz', m1.records.map((r) => {
    if (r === a) return truncatedMember(r.bytes);
    if (r === b) return badHeaderMember(r.bytes);
    if (r === c) return Buffer.concat([gzipMember(r.bytes), garbage(3000)]);
    return gzipMember(r.bytes);
  }), m1.rows, [a!.targetUri, b!.targetUri]);

  // 2. Content-Lengths that lie (too long, too short): those records are skipped, their neighbours are not.
  const m2 = await base('warc', 73);
  const [, e, , f] = four(m2);
  await write('lengths.warc.gz', m2.records.map((r) => gzipMember(r === e ? withLyingLength(r, 700) : r === f ? withLyingLength(r, -700) : r.bytes)), m2.rows, [e!.targetUri, f!.targetUri]);
  const whole = Buffer.concat(m2.records.map((r) => gzipMember(r.bytes)));

  // 3. Invalid JSON in a WAT record.
  const m3 = await base('wat', 72);
  const [w] = linked(m3.records, m3.rows, 'metadata').filter((r) => r.bytes.includes('"HTML-Metadata"'));
  if (!w) throw new Error('no linked WAT record');
  await write('json.wat.gz', m3.records.map((r) => gzipMember(r === w ? withBrokenBlock(r, 0, 0x58) : r.bytes)), m3.rows, [w.targetUri]);

  // 4. A 50 MB page (its link near the top), a Latin-1 page, and a UTF-8 page with invalid bytes.
  const date = '2024-05-18T00:00:00Z';
  const huge = Buffer.concat([Buffer.from('<html><body><a href="https://en.wikipedia.org/wiki/Huge_page">huge</a><p>'), Buffer.alloc(50 * 1024 * 1024, 'lorem ipsum '), Buffer.from('</p></body></html>')]);
  const latin1 = Buffer.from('<html><head><title>Caf\xe9</title></head><body><a href="https://fr.wikipedia.org/wiki/Caf%C3%A9">caf\xe9 cr\xe8me</a></body></html>', 'latin1');
  const broken = Buffer.concat([Buffer.from('<html><body><p>'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('</p><a href="https://de.wikipedia.org/wiki/Kaffee">Kaffee</a></body></html>')]);
  await write('payloads.warc.gz', [
    gzipMember(responseRecord('https://big.example.com/huge', date, 'text/html', huge)),
    gzipMember(responseRecord('https://latin.example.fr/cafe', date, 'text/html; charset=iso-8859-1', latin1)),
    gzipMember(responseRecord('https://bytes.example.de/kaffee', date, 'text/html; charset=utf-8', broken)),
  ], [], [], [
    { lang: 'en', article: 'Huge_page', source_url: 'https://big.example.com/huge', source_host: 'big.example.com', source_title: null, anchor_text: 'huge', warc_date: date },
    { lang: 'fr', article: 'Café', source_url: 'https://latin.example.fr/cafe', source_host: 'latin.example.fr', source_title: 'Café', anchor_text: 'café crème', warc_date: date },
    { lang: 'de', article: 'Kaffee', source_url: 'https://bytes.example.de/kaffee', source_host: 'bytes.example.de', source_title: null, anchor_text: 'Kaffee', warc_date: date },
  ]);

  // 5. An empty file.
  await write('empty.warc.gz', [], [], []);

  // File-level damage: a file cut short at its end, a file that is not a WARC at all, a missing file.
  await fsp.writeFile(path.join(work, 'cut.warc.gz'), whole.subarray(0, whole.length - 200));
  await fsp.writeFile(path.join(work, 'notwarc.warc.gz'), garbage(5000, 9));
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('corrupt inputs', () => {
  it('skips record-level damage, fails file-level damage naming file and offset, and loses nothing else', async () => {
    const listing = path.join(work, 'listing.txt');
    const fileLevel = ['cut.warc.gz', 'notwarc.warc.gz', 'missing.warc.gz'];
    await fsp.writeFile(listing, [...Object.keys(files), ...fileLevel].join('\n') + '\n');
    const out = path.join(work, 'out');
    const res = await runCli(['run', '--paths', listing, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 'corrupt-1', '--attempts', '2', '--no-preflight'], FAST);
    expect(res.code, res.stderr.slice(-3000)).toBe(1);

    const m = JSON.parse(await fsp.readFile(`${out}/corrupt-1/manifest.json`, 'utf8'));
    const status: Record<string, ListedFile> = Object.fromEntries((await readFileList(out, 'corrupt-1')).map((f) => [path.basename(f.input), f]));
    for (const name of Object.keys(files)) expect(status[name]?.status, `${name}: ${status[name]?.error}`).toBe('done');
    for (const name of fileLevel) expect(status[name]?.status).toBe('failed');
    expect(status['cut.warc.gz']?.error).toMatch(/cut\.warc\.gz is unreadable at byte offset \d+/);
    expect(status['notwarc.warc.gz']?.error).toMatch(/notwarc\.warc\.gz is unreadable at byte offset 0/);
    expect(status['missing.warc.gz']?.error).toMatch(/no such file/);

    // Exactly the rows of the intact records.
    const links = await readParquet(`${out}/corrupt-1/links/*.parquet`);
    expect(links.map(keyOf).sort()).toEqual(expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());

    // The damage is counted, by kind.
    expect(m.counters['input_damage.gzip_member']).toBe(2);
    expect(m.counters['input_damage.garbage_bytes']).toBe(3000);
    expect(m.counters['input_damage.bad_length']).toBe(2);
    expect(m.counters.records_invalid_json).toBe(1);
    expect(m.counters.records_truncated).toBe(1);

    const rep = await runCli(['report', 'corrupt-1', '--out', out]);
    for (const name of fileLevel) expect(rep.stdout).toContain(name);
    expect(rep.stdout).toContain('input_damage.gzip_member: 2');
  });
});
