/**
 * ARC input through a real run (dist/cli.js, redis-server, 2 worker processes, Parquet read back with DuckDB): generated
 * ARC files with planted links, gzipped per record and plain, and the real Heritrix sample give exactly their links;
 * damaged ARC records (a truncated or bad gzip member, an Archive-length that lies, a member that is not ARC, garbage
 * between members or between plain records) are counted and skipped, losing only themselves; a file that is neither
 * WARC nor ARC fails, naming what it holds, the file and the offset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { generateFixtures, type ExpectedRow } from '../../src/fixtures/index.js';
import { badHeaderMember, garbage, gzipMember, splitArcRecords, truncatedMember, withLyingArcLength, type RawArcRecord } from '../../src/fixtures/corrupt.js';
import { runCli } from '../helpers/cli.js';
import { readParquet } from '../helpers/parquet.js';
import { keyOf, plant, readFileList, tempDir } from '../helpers/fixtures.js';

let redis: EmbeddedRedis;
let work: string;
let listing: string;
/** Lines of junk written between the plain damaged file's records. */
let junkLines = 0;
const expected: ExpectedRow[] = [];
const SAMPLE = path.resolve(import.meta.dirname, '../fixtures/arc/heritrix-2008-example.arc.gz');

/** The sample's two links to Wikipedia (found by hand: faqs.php links its article twice, about.php once). */
const sampleRows = (input: string): ExpectedRow[] => [
  {
    lang: 'en', article: 'Library_of_Alexandria', source_url: 'http://www.archive.org/about/about.php', source_host: 'www.archive.org',
    source_title: 'Internet Archive: About IA', anchor_text: 'Library of Alexandria', warc_date: '2008-04-30T20:52:14Z', input_file: input,
  },
  {
    lang: 'en', article: 'List_of_XML_and_HTML_character_entity_references', source_url: 'http://www.archive.org/about/faqs.php',
    source_host: 'www.archive.org', source_title: 'Internet Archive Frequently Asked Questions', anchor_text: 'wikipedia',
    warc_date: '2008-04-30T20:50:18Z', input_file: input,
  },
];

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('arc');
  const dir = path.join(work, 'in');
  // Generated ARC files with planted links: two gzipped per record, one plain.
  const planted = await plant(dir, [
    { kind: 'arc', files: 2, pagesPerFile: 150, seed: 21, wikiLinkRate: 0.2, prefix: 'arcgz' },
    { kind: 'arc', files: 1, pagesPerFile: 100, seed: 22, wikiLinkRate: 0.2, prefix: 'arcplain', gzip: false },
  ]);
  expected.push(...planted.expected);
  const names = planted.files.map((f) => path.basename(f));

  // The real sample.
  const sample = path.join(dir, 'heritrix-2008-example.arc.gz');
  await fsp.copyFile(SAMPLE, sample);
  expected.push(...sampleRows(sample));
  names.push(path.basename(sample));

  // Damaged ARC, gzipped per record: from a plain generated file, four linked pages' records broken four ways.
  const base = await generateFixtures({ outDir: path.join(work, 'base'), kind: 'arc', files: 1, pagesPerFile: 60, seed: 23, wikiLinkRate: 0.5, gzip: false, prefix: 'base' });
  const records = splitArcRecords(await fsp.readFile(base.files[0] as string));
  const linkedUrls = new Set(base.expected.map((r) => r.source_url));
  const linked = records.filter((r) => linkedUrls.has(r.url));
  const [a, b, c, d] = linked as [RawArcRecord, RawArcRecord, RawArcRecord, RawArcRecord];
  if (linked.length < 4) throw new Error('fixture has too few linked pages');
  const damaged = path.join(dir, 'damaged.arc.gz');
  await fsp.writeFile(damaged, Buffer.concat(records.flatMap((r) => {
    if (r === a) return [truncatedMember(r.bytes)];
    if (r === b) return [badHeaderMember(r.bytes)];
    if (r === c) return [gzipMember(withLyingArcLength(r, 300))];
    if (r === d) return [gzipMember(r.bytes), garbage(2000, 5), gzipMember(Buffer.from('<html>not an ARC record</html>\n'))];
    return [gzipMember(r.bytes)];
  })));
  const lost = new Set([a.url, b.url, c.url]);
  expected.push(...base.expected.filter((r) => !lost.has(r.source_url)).map((r) => ({ ...r, input_file: damaged })));
  names.push(path.basename(damaged));

  // Damaged plain ARC: lines that are not records between records (after every tenth record): counted, nothing lost.
  const plainBase = await generateFixtures({ outDir: path.join(work, 'base2'), kind: 'arc', files: 1, pagesPerFile: 60, seed: 24, wikiLinkRate: 0.5, gzip: false, prefix: 'base2' });
  const plainRecords = splitArcRecords(await fsp.readFile(plainBase.files[0] as string));
  const junky = path.join(dir, 'junk-between.arc');
  await fsp.writeFile(junky, Buffer.concat(plainRecords.flatMap((r, i) => (i % 10 === 5 ? [r.bytes, Buffer.from('these bytes are not a record\n')] : [r.bytes]))));
  junkLines = plainRecords.filter((_, i) => i % 10 === 5).length;
  expected.push(...plainBase.expected.map((r) => ({ ...r, input_file: junky })));
  names.push(path.basename(junky));

  // Neither WARC nor ARC.
  await fsp.writeFile(path.join(dir, 'page.arc'), '<!DOCTYPE html>\n<html><a href="https://en.wikipedia.org/wiki/Nope">no</a></html>\n');
  await fsp.writeFile(path.join(dir, 'json.arc.gz'), zlib.gzipSync('{"url": "https://example.com/"}\n'));
  names.push('page.arc', 'json.arc.gz');

  listing = path.join(dir, 'listing.txt');
  await fsp.writeFile(listing, names.join('\n') + '\n');
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('ARC input', () => {
  it('run gives exactly the planted and the sample links, counts and skips damaged records, and fails files that are neither WARC nor ARC', async () => {
    const out = path.join(work, 'out');
    const res = await runCli(['run', '--paths', listing, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', 'arc-1', '--partitions', '2', '--attempts', '1']);
    expect(res.code, res.stderr.slice(-3000)).toBe(1);

    const files = Object.fromEntries((await readFileList(out, 'arc-1')).map((f) => [path.basename(f.input), f]));
    for (const name of ['arcgz-00000.arc.gz', 'arcgz-00001.arc.gz', 'arcplain-00000.arc', 'heritrix-2008-example.arc.gz', 'damaged.arc.gz', 'junk-between.arc']) {
      expect(files[name]?.status, `${name}: ${files[name]?.error}`).toBe('done');
      expect((files[name] as unknown as { kind?: string }).kind).toBe('arc');
    }
    expect(files['page.arc']?.status).toBe('failed');
    expect(files['page.arc']?.error).toMatch(/page\.arc is unreadable at byte offset 0: neither a WARC\/WAT\/WET nor an ARC file \(nor gzip\): it starts with HTML/);
    expect(files['json.arc.gz']?.status).toBe('failed');
    expect(files['json.arc.gz']?.error).toMatch(
      /json\.arc\.gz is unreadable at byte offset 0: neither a WARC\/WAT\/WET nor an ARC file: none of its 1 gzip members holds a WARC or ARC record; the first holds JSON/,
    );

    const links = await readParquet(`${out}/arc-1/links/*.parquet`);
    expect(expected.length).toBeGreaterThan(100);
    expect(links.map(keyOf).sort()).toEqual(expected.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());

    const m = JSON.parse(await fsp.readFile(`${out}/arc-1/manifest.json`, 'utf8')) as { counters: Record<string, number> };
    expect(m.counters['input_damage.gzip_member']).toBe(2); // the truncated member and the one with a bad header
    expect(m.counters['input_damage.bad_length']).toBe(1);
    expect(m.counters['input_damage.garbage_bytes']).toBe(2000);
    expect(m.counters['input_damage.not_arc']).toBe(1);
    expect(junkLines).toBeGreaterThan(3);
    expect(m.counters.records_misframed).toBe(junkLines);
    expect(m.counters.bytes_skipped).toBe(junkLines * 'these bytes are not a record'.length);
    // dns: records are read and skipped (as `resource` records), the version blocks counted as `warcinfo`.
    expect(m.counters['records.resource']).toBeGreaterThan(38);
    expect(m.counters['records.warcinfo']).toBe(6);
  });
});
