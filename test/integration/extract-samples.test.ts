/**
 * `wikireverse extract` on every real sample in test/fixtures/samples (copied from shared/samples) and the real ARC
 * sample in test/fixtures/arc, through the real runner (file stream -> zlib -> records -> job): exact rows, exact
 * counters, and the same for plain input.
 */
import { describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/index.js';
import { tempDir } from '../helpers/fixtures.js';
import { startCli } from '../helpers/cli.js';

const SAMPLES = path.resolve('test/fixtures/samples');

async function extract(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await main(['extract', ...args], { stdout, stderr });
  return { code, stdout: out, stderr: err };
}

const BLOG_URL = 'https://commoncrawl.org/blog/host-and-domain-level-web-graphs-september-october-november-december-2023-and-february-march-2024';
const BLOG_TITLE = 'Common Crawl - Blog - Host- and Domain-Level Web Graphs September/October, November/December 2023 and February/March 2024';
const blogRow = (article: string, anchor: string, input: string): Record<string, unknown> => ({
  lang: 'en', article, source_url: BLOG_URL, source_host: 'commoncrawl.org', source_domain: 'commoncrawl.org',
  source_title: BLOG_TITLE, anchor_text: anchor, warc_date: '2024-04-25T16:27:55Z', crawl: null, input_file: input,
});

/** Every sample, its exact rows, and the counters that say why (most have no Wikipedia links). */
const CASES: Array<{ file: string; rows: (input: string) => Record<string, unknown>[]; stats: Record<string, number> }> = [
  {
    file: 'wget-2024-commoncrawl-blog.warc.gz',
    rows: (input) => [
      blogRow('Strongly_connected_component', 'strongly connected component', input),
      blogRow('Reverse_domain_name_notation', 'reverse domain name notation', input),
      blogRow('Public_Suffix_List', 'public suffix list', input),
    ],
    stats: {
      'inputs.warc': 1, links_kept: 3, 'links_rejected.not_wikipedia': 76, links_seen: 79, pages: 15, pages_parsed: 1,
      pages_prefiltered: 14, records: 34, 'records.metadata': 1, 'records.request': 15, 'records.resource': 2,
      'records.response': 15, 'records.warcinfo': 1, rows: 3,
    },
  },
  {
    file: 'CC-MAIN-2024-22-whirlwind.warc.gz',
    rows: () => [], // the page is an.wikipedia.org itself: its links are internal
    stats: { 'inputs.warc': 1, pages: 1, pages_internal: 1, records: 4, 'records.metadata': 1, 'records.request': 1, 'records.response': 1, 'records.warcinfo': 1, rows: 0 },
  },
  {
    file: 'CC-MAIN-2024-22-whirlwind.warc.wat.gz',
    rows: () => [], // the WAT excerpt holds the request record's metadata only: no page
    stats: { 'inputs.wat': 1, records: 2, 'records.metadata': 1, 'records.warcinfo': 1, rows: 0 },
  },
  {
    file: 'CC-MAIN-2024-22-whirlwind.warc.wet.gz',
    rows: () => [], // WET holds text only: no links
    stats: { 'inputs.wet': 1, records: 2, 'records.conversion': 1, 'records.warcinfo': 1, rows: 0 },
  },
  {
    file: 'CC-MAIN-2020-34-resiliparse.warc.gz',
    rows: () => [], // 16 pages, none mentions wikipedia.org: all skipped by the pre-filter
    stats: { 'inputs.warc': 1, pages: 16, pages_prefiltered: 16, records: 50, 'records.metadata': 16, 'records.request': 17, 'records.response': 16, 'records.warcinfo': 1, rows: 0 },
  },
  {
    file: 'CC-MAIN-2015-18-webindex.warc.wat.gz',
    rows: () => [], // 458 links, none to Wikipedia
    stats: { 'inputs.wat': 1, pages: 4, pages_prefiltered: 4, records: 18, 'records.metadata': 17, 'records.warcinfo': 1, rows: 0 },
  },
];

const ARC_SAMPLE = path.resolve('test/fixtures/arc/heritrix-2008-example.arc.gz');
/** The two pages of the ARC sample that link Wikipedia (found by hand: `zcat | grep -i wikipedia.org`); faqs.php links its article twice. */
const arcRows = (input: string): Record<string, unknown>[] => [
  {
    lang: 'en', article: 'List_of_XML_and_HTML_character_entity_references', source_url: 'http://www.archive.org/about/faqs.php',
    source_host: 'www.archive.org', source_domain: 'archive.org', source_title: 'Internet Archive Frequently Asked Questions',
    anchor_text: 'wikipedia', warc_date: '2008-04-30T20:50:18Z', crawl: null, input_file: input,
  },
  {
    lang: 'en', article: 'Library_of_Alexandria', source_url: 'http://www.archive.org/about/about.php', source_host: 'www.archive.org',
    source_domain: 'archive.org', source_title: 'Internet Archive: About IA', anchor_text: 'Library of Alexandria', warc_date: '2008-04-30T20:52:14Z',
    crawl: null, input_file: input,
  },
];
/** 300 records: the version block, 38 dns lookups, 261 http(s) captures (140 of them HTML). */
const ARC_STATS = {
  'inputs.arc': 1, links_duplicate: 1, links_kept: 2, 'links_rejected.not_wikipedia': 999, links_seen: 1002, pages: 140, pages_parsed: 2,
  pages_prefiltered: 138, records: 300, 'records.resource': 38, 'records.response': 261, 'records.warcinfo': 1, rows: 2,
};

describe('extract on the real samples', () => {
  it('heritrix-2008-example.arc.gz (ARC, one gzip member per record) and the same ARC plain: exact rows and counters', async () => {
    const gz = await extract([ARC_SAMPLE, '--stats']);
    expect(gz.code).toBe(0);
    expect(gz.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual(arcRows(ARC_SAMPLE));
    expect(JSON.parse(gz.stderr)).toEqual(ARC_STATS);
    const dir = await tempDir('plain-arc');
    const plain = path.join(dir, 'heritrix.arc');
    await fsp.writeFile(plain, zlib.gunzipSync(await fsp.readFile(ARC_SAMPLE)));
    const res = await extract([plain, '--stats']);
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual(arcRows(plain));
    expect(JSON.parse(res.stderr)).toEqual(ARC_STATS);
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('fails a file that is neither WARC nor ARC, naming what it is, the file and the offset', async () => {
    const dir = await tempDir('neither');
    const zip = path.join(dir, 'archive.warc');
    await fsp.writeFile(zip, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(100)]));
    const res = await extract([zip]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`Input ${zip} is unreadable at byte offset 0: neither a WARC/WAT/WET nor an ARC file (nor gzip): it starts with a ZIP archive`);
    await fsp.rm(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.file}: exact rows and counters`, async () => {
      const input = path.join(SAMPLES, c.file);
      const res = await extract([input, '--stats']);
      expect(res.code).toBe(0);
      const rows = res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(rows).toEqual(c.rows(input));
      expect(JSON.parse(res.stderr)).toEqual(c.stats);
    });
  }

  it('reads plain (not gzipped) WARC the same as gzipped', async () => {
    const dir = await tempDir('plain');
    const plain = path.join(dir, 'blog.warc');
    await fsp.writeFile(plain, zlib.gunzipSync(await fsp.readFile(path.join(SAMPLES, 'wget-2024-commoncrawl-blog.warc.gz'))));
    const res = await extract([plain]);
    expect(res.code).toBe(0);
    const rows = res.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toEqual(CASES[0]?.rows(plain));
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('prints TSV with a header line and \\N for nulls', async () => {
    const input = path.join(SAMPLES, 'wget-2024-commoncrawl-blog.warc.gz');
    const res = await extract([input, '--format', 'tsv']);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('lang\tarticle\tsource_url\tsource_host\tsource_domain\tsource_title\tanchor_text\twarc_date\tcrawl\tinput_file');
    expect(lines).toHaveLength(4);
    expect(lines[1]?.split('\t')).toEqual(['en', 'Strongly_connected_component', BLOG_URL, 'commoncrawl.org', 'commoncrawl.org', BLOG_TITLE, 'strongly connected component', '2024-04-25T16:27:55Z', '\\N', input]);
  });

  it('names a missing input, exits 1, and still processes the others', async () => {
    const good = path.join(SAMPLES, 'wget-2024-commoncrawl-blog.warc.gz');
    const res = await extract(['/nonexistent/x.warc.gz', good]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('/nonexistent/x.warc.gz');
    expect(res.stdout.split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('fails a truncated gzip file with an error naming the file and the byte offset', async () => {
    const dir = await tempDir('trunc');
    const whole = await fsp.readFile(path.join(SAMPLES, 'CC-MAIN-2020-34-resiliparse.warc.gz'));
    const cut = path.join(dir, 'cut.warc.gz');
    await fsp.writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const res = await extract([cut]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`Input ${cut.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is unreadable at byte offset \\d+`));
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('gives the same rows and counters with WIKIREVERSE_INFLATE=libdeflate and =zlib, as whole processes', async () => {
    const files = [...(await fsp.readdir(SAMPLES)).map((f) => path.join(SAMPLES, f)), path.resolve('test/fixtures/arc/heritrix-2008-example.arc.gz')];
    const outs: Array<{ stdout: string; stderr: string }> = [];
    for (const inflate of ['libdeflate', 'zlib']) {
      const res = await startCli(['extract', '--stats', ...files], { WIKIREVERSE_INFLATE: inflate }).done;
      expect(res.code, res.stderr).toBe(0);
      outs.push({ stdout: res.stdout, stderr: res.stderr });
    }
    expect(outs[0]?.stdout.split('\n').length).toBeGreaterThan(3);
    expect(outs[0]?.stdout).toBe(outs[1]?.stdout);
    expect(outs[0]?.stderr).toBe(outs[1]?.stderr);
    expect(outs[0]?.stderr).toMatch(/pages/);
  });
});
