/**
 * Round-trip tests of the fixture generator: files parse with warcio (ARC files with a reader of their own here),
 * framing and gzip members are exact, output is deterministic, and the expected rows equal what an independent
 * reference implementation of the link rules finds in the generated files.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createGunzip, inflateRawSync } from 'node:zlib';
import { Parser } from 'htmlparser2';
import { WARCParser } from 'warcio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECOYS, SHOWCASE, generateFixtures, type ExpectedRow, type GeneratedSet } from '../../src/fixtures/index.js';
import { main } from '../../scripts/gen-fixtures.js';

interface Rec { type: string; headers: Map<string, string>; block: Buffer }
interface Page { url: string; date: string; title: string | null; links: { url: string; text: string | null }[]; raw: string }

let dir = '';
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'gen-fixtures-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function readRecords(path: string): Promise<Rec[]> {
  const src = createReadStream(path);
  const stream = path.endsWith('.gz') ? src.pipe(createGunzip()) : src.pipe(new PassThrough());
  const out: Rec[] = [];
  for await (const record of new WARCParser(stream, { parseHttp: false })) {
    const headers = new Map<string, string>();
    for (const [k, v] of record.warcHeaders.headers) headers.set(k.toLowerCase(), v);
    out.push({ type: record.warcType ?? '', headers, block: Buffer.from(await record.readFully()) });
  }
  return out;
}

/** Strict framing check of one uncompressed byte range: returns the number of records it holds. */
function frameCount(buf: Buffer): number {
  let off = 0;
  let n = 0;
  while (off < buf.length) {
    const end = buf.indexOf('\r\n\r\n', off);
    const head = buf.subarray(off, end).toString('utf8');
    expect(head.startsWith('WARC/1.0\r\n')).toBe(true);
    const len = Number(/\r\nContent-Length: (\d+)/.exec(head)?.[1]);
    const blockEnd = end + 4 + len;
    expect(buf.subarray(blockEnd, blockEnd + 4).toString('latin1')).toBe('\r\n\r\n');
    off = blockEnd + 4;
    n++;
  }
  expect(off).toBe(buf.length);
  return n;
}

/** Splits a file into its gzip members (each decompressed), without relying on multi-member gunzip. */
function gzipMembers(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    expect([buf[off], buf[off + 1]]).toEqual([0x1f, 0x8b]);
    const r = inflateRawSync(buf.subarray(off + 10), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    out.push(r.buffer);
    off += 10 + r.engine.bytesWritten + 8;
  }
  return out;
}

const collapse = (s: string | null | undefined): string | null => {
  const c = (s ?? '').replace(/\s+/g, ' ').trim();
  return c === '' ? null : c;
};

// ---- independent reference of the link rules (for the planted cases only) ----
const LANGS = new Set(['en', 'de', 'fr', 'es', 'ru', 'ja', 'zh', 'it', 'pt', 'pl', 'nl', 'sv', 'ar', 'uk', 'an']);
const NAMESPACES = new Set(['Talk', 'File', 'Special', 'Category', 'Wikipedia', 'Template', 'Datei', 'Категория']);
const MAIN_PAGES = new Set(['en:Main_Page', 'de:Wikipedia:Hauptseite']);
const unescapeHtml = (s: string): string =>
  s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '');

function refArticle(href: string): { lang: string; article: string } | null {
  let u: URL;
  try { u = new URL(href.startsWith('//') ? `https:${href}` : href); } catch { return null; }
  const m = /^([a-z-]+)(\.m)?\.wikipedia\.org$/.exec(u.hostname.toLowerCase());
  const lang = m?.[1];
  if (lang === undefined || !LANGS.has(lang)) return null;
  let raw: string | null = null;
  if (u.pathname.startsWith('/wiki/')) raw = decodeURIComponent(u.pathname.slice(6));
  else if (u.pathname === '/w/index.php' && !['edit', 'history'].includes(u.searchParams.get('action') ?? '')) raw = u.searchParams.get('title');
  if (raw === null) return null;
  let t = unescapeHtml(raw).replace(/ /g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '');
  t = t.charAt(0).toUpperCase() + t.slice(1);
  if (t === '' || /[#<>[\]|{}]/.test(t) || MAIN_PAGES.has(`${lang}:${t}`)) return null;
  if (t.includes(':') && NAMESPACES.has(t.slice(0, t.indexOf(':')))) return null;
  return { lang, article: t };
}

function refRows(pages: Page[], inputFile: string): ExpectedRow[] {
  const rows: ExpectedRow[] = [];
  for (const p of pages) {
    const host = new URL(p.url).hostname.toLowerCase();
    if (/(^|\.)(wikipedia|wikimedia)\.org$/.test(host)) continue;
    const seen = new Set<string>();
    for (const l of p.links) {
      const a = refArticle(l.url);
      if (a === null || seen.has(`${a.lang}:${a.article}`)) continue;
      seen.add(`${a.lang}:${a.article}`);
      rows.push({ ...a, source_url: p.url, source_host: host, source_title: collapse(p.title), anchor_text: collapse(l.text), warc_date: p.date, input_file: inputFile });
    }
  }
  return rows;
}

// ---- reading pages back out of the files ----
function watPages(recs: Rec[]): Page[] {
  const pages: Page[] = [];
  for (const r of recs.slice(1)) {
    const env = JSON.parse(r.block.toString('utf8')).Envelope;
    const meta = env['Payload-Metadata']['HTTP-Response-Metadata'];
    if (env['WARC-Header-Metadata']['WARC-Type'] !== 'response') continue;
    const html = meta['HTML-Metadata'];
    const links = (html.Links as { path: string; url: string; text?: string }[])
      .filter((l) => l.path === 'A@/href').map((l) => ({ url: l.url, text: l.text ?? null }));
    pages.push({ url: r.headers.get('warc-target-uri') ?? '', date: r.headers.get('warc-date') ?? '', title: html.Head.Title ?? null, links, raw: r.block.toString('utf8') });
  }
  return pages;
}

function warcPages(recs: Rec[]): Page[] {
  return recs.filter((r) => r.type === 'response').map((r) => {
    const body = r.block.subarray(r.block.indexOf('\r\n\r\n') + 4).toString('utf8');
    return htmlPage(r.headers.get('warc-target-uri') ?? '', r.headers.get('warc-date') ?? '', body, r.block.toString('utf8'));
  });
}

/** An HTML page's title and links, as an HTML parser finds them. */
function htmlPage(url: string, date: string, body: string, raw: string): Page {
  let title: string | null = null;
  const links: Page['links'] = [];
  let inTitle = false;
  let anchor: { url: string; text: string } | null = null;
  const parser = new Parser({
    onopentag(name, attrs) {
      if (name === 'title') { inTitle = true; title = ''; }
      if (name === 'a' && attrs['href'] !== undefined) anchor = { url: attrs['href'], text: '' };
    },
    ontext(text) {
      if (inTitle) title += text;
      if (anchor !== null) anchor.text += text;
    },
    onclosetag(name) {
      if (name === 'title') inTitle = false;
      if (name === 'a' && anchor !== null) { links.push({ url: anchor.url, text: anchor.text }); anchor = null; }
    },
  });
  parser.end(body);
  return { url, date, title, links, raw };
}

// ---- ARC files, read by hand: `URL IP date type length\n`, content, LF ----
interface ArcRec { url: string; ip: string; date: string; type: string; content: Buffer }

/** The records of plain ARC bytes; every one must be exactly framed (five header fields, its length, one LF after). */
function arcRecords(buf: Buffer): ArcRec[] {
  const out: ArcRec[] = [];
  let off = 0;
  while (off < buf.length) {
    const nl = buf.indexOf(0x0a, off);
    const fields = buf.toString('utf8', off, nl).split(' ');
    expect(fields).toHaveLength(5);
    const [url, ip, date, type, length] = fields as [string, string, string, string, string];
    expect(date).toMatch(/^\d{14}$/);
    const end = nl + 1 + Number(length);
    expect(buf[end]).toBe(0x0a);
    out.push({ url, ip, date, type, content: buf.subarray(nl + 1, end) });
    off = end + 1;
  }
  return out;
}

function arcPages(recs: ArcRec[]): Page[] {
  return recs.filter((r) => /^https?:/.test(r.url)).map((r) => {
    const crlf = r.content.indexOf('\r\n\r\n');
    const lf = r.content.indexOf('\n\n');
    const bodyStart = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 4 : lf + 2;
    const d = r.date;
    const iso = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(8, 10)}:${d.slice(10, 12)}:${d.slice(12, 14)}Z`;
    return htmlPage(r.url, iso, r.content.subarray(bodyStart).toString('utf8'), r.content.toString('utf8'));
  });
}

const sets = new Map<string, GeneratedSet>();
async function gen(kind: 'wat' | 'warc' | 'arc', gzip: boolean, seed = 7, sub = `${kind}-${gzip}-${seed}`): Promise<GeneratedSet> {
  const key = sub;
  const cached = sets.get(key);
  if (cached !== undefined) return cached;
  const set = await generateFixtures({ outDir: join(dir, sub), kind, files: 2, pagesPerFile: 40, seed, gzip, wikiLinkRate: 0.2, avgPageBytes: kind === 'wat' ? 12000 : 6000 });
  sets.set(key, set);
  return set;
}

describe.each([
  ['wat', true], ['wat', false], ['warc', true], ['warc', false],
] as const)('%s files (gzip=%s)', (kind, gzip) => {
  it('parse with warcio: record types, content types and Content-Length', async () => {
    const set = await gen(kind, gzip);
    expect(set.files).toHaveLength(2);
    expect(set.pages).toBe(80);
    for (const file of set.files) {
      const recs = await readRecords(file);
      expect(recs).toHaveLength(1 + 40 * 3);
      expect(recs[0]?.type).toBe('warcinfo');
      for (const r of recs) expect(r.block.length).toBe(Number(r.headers.get('content-length')));
      const types = recs.slice(1).map((r) => r.type);
      if (kind === 'wat') {
        expect(new Set(types)).toEqual(new Set(['metadata']));
        for (const r of recs.slice(1)) expect(r.headers.get('content-type')).toBe('application/json');
      } else {
        expect(types.slice(0, 6)).toEqual(['request', 'response', 'metadata', 'request', 'response', 'metadata']);
        for (const r of recs.filter((x) => x.type === 'response')) {
          expect(r.headers.get('content-type')).toBe('application/http; msgtype=response');
          expect(r.block.toString('latin1', 0, 200)).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Content-Type: text\/html; charset=utf-8\r\n/);
        }
      }
    }
  });

  it('framing is exact: one record per gzip member, CRLF CRLF after each block', async () => {
    const set = await gen(kind, gzip);
    for (const file of set.files) {
      const buf = await readFile(file);
      if (gzip) {
        const members = gzipMembers(buf);
        expect(members).toHaveLength(121);
        for (const m of members) expect(frameCount(m)).toBe(1);
      } else {
        expect(frameCount(buf)).toBe(121);
      }
    }
  });

  it('expected rows equal what the reference link rules find in the files', async () => {
    const set = await gen(kind, gzip);
    const found: ExpectedRow[] = [];
    for (const file of set.files) {
      const recs = await readRecords(file);
      const pages = kind === 'wat' ? watPages(recs) : warcPages(recs);
      expect(pages).toHaveLength(40);
      found.push(...refRows(pages, file));
      for (const p of pages) {
        const linked = set.expected.some((r) => r.source_url === p.url) || /wiki[pm]edia\.org/.test(new URL(p.url).hostname);
        if (!linked) expect(p.raw.toLowerCase()).not.toContain('wikipedia');
      }
    }
    const key = (r: ExpectedRow): string => `${r.lang}|${r.article}|${r.source_url}`;
    expect(found.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))).toEqual(set.expected);
  });
});

describe.each([true, false])('arc files (gzip=%s)', (gzip) => {
  const records = async (file: string): Promise<ArcRec[]> => {
    const buf = await readFile(file);
    if (!gzip) return arcRecords(buf);
    const members = gzipMembers(buf);
    const recs = members.map(arcRecords);
    for (const r of recs) expect(r).toHaveLength(1); // one record per gzip member
    return recs.flat();
  };

  it('framing is exact: the version block, then per page a dns: record (one page in four) and the http record', async () => {
    const set = await gen('arc', gzip);
    expect(set.files.map((f) => basename(f))).toEqual(['fixture-00000', 'fixture-00001'].map((n) => `${n}.arc${gzip ? '.gz' : ''}`));
    for (const file of set.files) {
      const recs = await records(file);
      expect(recs).toHaveLength(1 + 40 + 10);
      expect(recs[0]?.url).toMatch(/^filedesc:\/\/fixture-0000[01]\.arc(\.gz)?$/);
      expect(recs[0]?.content.toString('latin1')).toMatch(/^1 0 .*\nURL IP-address Archive-date Content-type Archive-length\n$/);
      expect(recs.filter((r) => r.url.startsWith('dns:'))).toHaveLength(10);
      const http = recs.filter((r) => /^https?:/.test(r.url));
      expect(http).toHaveLength(40);
      for (const r of http) expect(r.content.toString('latin1', 0, 200)).toMatch(/^HTTP\/1\.1 200 OK\r?\n[^]*Content-Type: text\/html; charset=utf-8\r?\n/);
      expect(http.filter((r) => !r.content.includes('\r\n'))).toHaveLength(8); // one page in five: bare LF line ends
    }
  });

  it('expected rows equal what the reference link rules find in the files', async () => {
    const set = await gen('arc', gzip);
    const found: ExpectedRow[] = [];
    for (const file of set.files) found.push(...refRows(arcPages(await records(file)), file));
    const key = (r: ExpectedRow): string => `${r.lang}|${r.article}|${r.source_url}`;
    expect(set.expected.length).toBeGreaterThan(20);
    expect(found.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))).toEqual(set.expected);
  });
});

describe('planted variants and decoys', () => {
  it('every showcase variant is expected with its normalised article; decoys, internal pages and duplicates are not', async () => {
    const set = await gen('wat', true);
    const showcase = set.expected.filter((r) => r.source_title === 'Fixture showcase page 0');
    const pairs = new Set(showcase.map((r) => `${r.lang}:${r.article}`));
    for (const s of SHOWCASE) expect(pairs).toContain(`${s.lang}:${s.article}`);
    expect(showcase).toHaveLength(new Set(SHOWCASE.map((s) => `${s.lang}:${s.article}`)).size);
    for (const a of ['en:Albert_Einstein', 'ru:Москва', 'en:Paris', 'fr:Victor_Hugo', 'it:Dante_Alighieri', 'en:AT&T', 'en:Barnes_&_Noble', 'zh:北京市', 'sv:Astrid_Lindgren']) expect(pairs).toContain(a);
    const anchor = (lang: string, article: string): string | null | undefined => showcase.find((r) => r.lang === lang && r.article === article)?.anchor_text;
    expect(anchor('en', 'Albert_Einstein')).toBe('Albert Einstein'); // first occurrence wins over "Einstein again"
    expect(anchor('ru', 'Москва')).toBe('Москва'); // not "Moscow"
    expect(anchor('en', 'Tom_and_Jerry')).toBe('Tom & Jerry');
    expect(anchor('es', 'Miguel_de_Cervantes')).toBeNull();
    expect(anchor('uk', 'Київ')).toBeNull();
    expect(anchor('pl', 'Warszawa')).toBeNull();
    expect(DECOYS.length).toBeGreaterThanOrEqual(15);
    for (const r of set.expected) {
      expect(r.article).not.toMatch(/^(Talk|File|Special|Category|Datei|Wikipedia|Template|Категория):|^Main_Page$|\|/);
      expect(r.lang).not.toBe('xx-fake');
      expect(r.source_host).not.toMatch(/wiki[pm]edia\.org$/);
      expect(r.warc_date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    const keys = set.expected.map((r) => `${r.lang}|${r.article}|${r.source_url}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('half of the WAT files use the list form of repeated HTTP headers', async () => {
    const set = await gen('wat', true);
    const forms = await Promise.all(set.files.map(async (f) => {
      const recs = await readRecords(f);
      return recs.slice(1).some((r) => /"Set-Cookie":\[/.test(r.block.toString('utf8')));
    }));
    expect(forms.sort()).toEqual([false, true]);
  });
});

describe('determinism and CLI', () => {
  it('same seed gives identical bytes; another seed differs', async () => {
    for (const kind of ['wat', 'warc', 'arc'] as const) {
      const a = await gen(kind, true, 7);
      const b = await gen(kind, true, 7, `${kind}-again`);
      const c = await gen(kind, true, 8);
      for (let i = 0; i < a.files.length; i++) {
        const [fa, fb, fc] = await Promise.all([a.files[i], b.files[i], c.files[i]].map((f) => readFile(f ?? '')));
        expect(fa?.equals(fb as Buffer)).toBe(true);
        expect(fa?.equals(fc as Buffer)).toBe(false);
      }
      expect(b.expected.map((r) => ({ ...r, input_file: '' }))).toEqual(a.expected.map((r) => ({ ...r, input_file: '' })));
    }
  });

  it('main() writes files, expected.jsonl and listing.txt and prints a JSON summary', async () => {
    const out = join(dir, 'cli');
    const sink = new PassThrough();
    let printed = '';
    sink.on('data', (d: Buffer) => { printed += d.toString(); });
    const code = await main(['--out', out, '--kind', 'wat', '--files', '2', '--pages', '5', '--seed', '3', '--plain', '--link-rate', '0.5'], sink);
    expect(code).toBe(0);
    const summary = JSON.parse(printed.trim());
    expect(summary).toMatchObject({ files: 2, pages: 10 });
    expect((await readFile(join(out, 'listing.txt'), 'utf8')).trim().split('\n')).toEqual(['fixture-00000.warc.wat', 'fixture-00001.warc.wat']);
    const rows = (await readFile(join(out, 'expected.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as ExpectedRow);
    expect(rows.length).toBe(summary.rows);
    const files = new Set([join(out, 'fixture-00000.warc.wat'), join(out, 'fixture-00001.warc.wat')]);
    for (const r of rows) expect(files).toContain(r.input_file);
  });

  it('rejects bad options with a message that says what to fix', async () => {
    await expect(generateFixtures({ outDir: join(dir, 'bad'), kind: 'wat', files: 0, pagesPerFile: 1, seed: 1 })).rejects.toThrow(/files must be an integer >= 1/);
    await expect(main(['--out', join(dir, 'bad'), '--kind', 'zip'])).rejects.toThrow(/--kind must be wat, warc or arc/);
  });
});
