/**
 * Benchmark inputs shaped like Common Crawl: built from real records (the real samples in test/fixtures/samples,
 * copied from shared/samples), not generated pages. Each real page (its request, response and metadata records, or
 * in a WAT file their three metadata records) is repeated with a unique target URI; a share of pages gets links to
 * Wikipedia articles planted in it (WAT: entries in the response's `Links` array; WARC: anchors after `<body>`), so the
 * rows a correct reader gives are known exactly. Every record is its own gzip member (level 6, as Common Crawl's
 * writer makes them). The figures that describe the shape (gzipped bytes, records and links per page) travel with the set.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { gzipMembers } from '../warc/index.js';
import { Rng } from '../fixtures/rng.js';
import { ARTICLES, LANGS, wikiEncode } from '../fixtures/wiki.js';
import { readCachedSet, writeCachedSet, type InputSet } from './inputs.js';

export interface RealShapeSpec {
  readonly kind: 'wat' | 'warc';
  /** URIs captured (each a request, response and metadata record, or a WAT file's three records of them). */
  readonly captures: number;
  readonly seed: number;
  /** Share of the captures that have links (HTML pages) given links to Wikipedia articles. */
  readonly linkRate: number;
}

export interface ShapeFigures {
  /** The real files the records come from. */
  readonly samples: readonly string[];
  /** URIs captured (a request, response and metadata record each, or a WAT file's three records of them). */
  readonly captures: number;
  readonly records: number;
  readonly gzippedBytesPerCapture: number;
  readonly plainBytesPerCapture: number;
  readonly recordsPerCapture: number;
  /** Captures with planted links, and links planted (the rows a correct run gives). */
  readonly linkedCaptures: number;
  readonly plantedLinks: number;
  readonly linksPerCapture: number;
}

export type ShapedSet = InputSet & { readonly shape: ShapeFigures };

/** Bumped when the builder changes in a way that changes its output. */
const VERSION = 2;

const SAMPLES: Readonly<Record<RealShapeSpec['kind'], readonly string[]>> = {
  wat: ['CC-MAIN-2015-18-webindex.warc.wat.gz', 'CC-MAIN-2024-22-whirlwind.warc.wat.gz'],
  warc: ['CC-MAIN-2020-34-resiliparse.warc.gz', 'CC-MAIN-2024-22-whirlwind.warc.gz'],
};

interface RawRecord {
  readonly header: string;
  /** The content block and what follows it in the member (the CRLF CRLF). */
  readonly block: Buffer;
  readonly type: string;
  readonly uri: string;
}

interface Page {
  readonly uri: string;
  readonly records: readonly RawRecord[];
}

const field = (header: string, name: string): string => new RegExp(`^${name}:[ \\t]*(.*?)\\r?$`, 'mi').exec(header)?.[1]?.trim() ?? '';

async function recordsOf(file: string): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  const source = Readable.from([await fsp.readFile(file)]);
  for await (const m of gzipMembers(source, { maxMemberBytes: 64 << 20, onDamage: (d) => { throw new Error(`${file}: damaged at ${d.offset}`); } })) {
    const end = m.data.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`${file}: a member at ${m.offset} is not one WARC record`);
    const header = m.data.toString('latin1', 0, end + 4);
    out.push({ header, block: m.data.subarray(end + 4), type: field(header, 'WARC-Type'), uri: field(header, 'WARC-Target-URI').replace(/^<|>$/g, '') });
  }
  return out;
}

/** The sample files' records: the file's head (warcinfo, and a WAT's record of its WARC's warcinfo), then pages. */
async function pagesOf(dir: string, kind: RealShapeSpec['kind']): Promise<{ head: RawRecord[]; pages: Page[] }> {
  const head: RawRecord[] = [];
  const pages: Page[] = [];
  for (const [i, name] of SAMPLES[kind].entries()) {
    let current: RawRecord[] = [];
    const flush = (): void => {
      if (current.length > 0) pages.push({ uri: current[0]?.uri ?? '', records: current });
      current = [];
    };
    for (const r of await recordsOf(path.join(dir, name))) {
      if (r.type === 'warcinfo' || /\.warc\.gz$/.test(r.uri)) {
        if (i === 0) head.push(r);
        continue;
      }
      if (current.length > 0 && current[0]?.uri !== r.uri) flush();
      current.push(r);
    }
    flush();
  }
  return { head, pages };
}

/** The record with the target URI `from` replaced by `to` everywhere, its block edited by `edit`, its length right. */
function rewrite(r: RawRecord, from: string, to: string, edit?: (block: string) => string): Buffer {
  let block = r.block.toString('latin1');
  const tail = block.endsWith('\r\n\r\n') ? '\r\n\r\n' : '';
  block = block.slice(0, block.length - tail.length);
  if (from !== '') block = block.split(from).join(to);
  if (edit) block = edit(block);
  const length = Buffer.byteLength(block, 'latin1');
  const header = (from !== '' ? r.header.split(from).join(to) : r.header).replace(/^Content-Length:[ \t]*\d+/im, `Content-Length: ${length}`);
  return Buffer.from(header + block + tail, 'latin1');
}

/** Distinct links to real articles: [url, lang, article]. UTF-8 titles are percent-encoded, as pages write them. */
function links(rng: Rng): Array<readonly [string, string, string]> {
  const n = rng.range(1, 3);
  const seen = new Set<string>();
  const out: Array<readonly [string, string, string]> = [];
  while (out.length < n) {
    const lang = rng.pick(LANGS);
    const article = rng.pick(ARTICLES[lang]);
    if (seen.has(`${lang}/${article}`)) continue;
    seen.add(`${lang}/${article}`);
    out.push([`https://${lang}.wikipedia.org/wiki/${wikiEncode(article)}`, lang, article]);
  }
  return out;
}

/** UTF-8 text as the latin1 string of its bytes (blocks are edited as latin1: one char a byte). */
const bytesOf = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

/** `block` with `planted` in it; null when it has no place for links. */
function plant(kind: RealShapeSpec['kind'], block: string, planted: ReturnType<typeof links>): string | null {
  if (kind === 'wat') {
    const at = block.indexOf('"Links":[');
    if (at < 0) return null;
    const entries = bytesOf(planted.map(([url, , article]) => JSON.stringify({ path: 'A@/href', url, text: article.replace(/_/g, ' ') })).join(','));
    const open = at + '"Links":['.length;
    return block.slice(0, open) + entries + (block[open] === ']' ? '' : ',') + block.slice(open);
  }
  const body = /<body[^>]*>/i.exec(block);
  if (!body) return null;
  const at = body.index + body[0].length;
  const anchors = bytesOf(planted.map(([url, , article]) => `<a href="${url}">${article.replace(/_/g, ' ')}</a>`).join(' '));
  return block.slice(0, at) + anchors + block.slice(at);
}

const isWikipedia = (uri: string): boolean => /^https?:\/\/[^/]*\.wikipedia\.org\//i.test(uri);

async function build(dir: string, file: string, spec: RealShapeSpec): Promise<ShapeFigures & { bytes: number; plainBytes: number }> {
  const { head, pages } = await pagesOf(dir, spec.kind);
  const rng = new Rng(spec.seed);
  const carrier = (r: RawRecord): boolean => spec.kind === 'wat' || r.type === 'response';
  const probe: ReturnType<typeof links> = [['https://en.wikipedia.org/wiki/Paris', 'en', 'Paris']];
  // Pages with links at all (not redirects, not a Wikipedia page itself, whose links are internal) may get planted ones.
  const plantable = pages.map((p) => !isWikipedia(p.uri) && p.records.some((r) => carrier(r) && plant(spec.kind, r.block.toString('latin1'), probe) !== null));
  const out = fs.createWriteStream(file);
  let bytes = 0;
  let plainBytes = 0;
  let records = 0;
  let linkedPages = 0;
  let plantedLinks = 0;
  const write = async (plain: Buffer): Promise<void> => {
    const member = zlib.gzipSync(plain, { level: 6 });
    bytes += member.length;
    plainBytes += plain.length;
    records++;
    if (!out.write(member)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  for (const r of head) await write(rewrite(r, '', ''));
  for (let n = 0; n < spec.captures; n++) {
    const page = pages[n % pages.length] as Page;
    const unique = `${page.uri}${page.uri.includes('?') ? '&' : '?'}wr=${n}`;
    let planted = plantable[n % pages.length] === true && rng.chance(spec.linkRate) ? links(rng) : null;
    for (const r of page.records) {
      let edit: ((block: string) => string) | undefined;
      const wanted = planted;
      if (wanted && carrier(r) && plant(spec.kind, r.block.toString('latin1'), wanted) !== null) {
        edit = (block) => plant(spec.kind, block, wanted) ?? block;
        linkedPages++;
        plantedLinks += wanted.length;
        planted = null; // one record of the page carries them
      }
      await write(rewrite(r, page.uri, unique, edit));
    }
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return {
    samples: SAMPLES[spec.kind], captures: spec.captures, records, bytes, plainBytes,
    gzippedBytesPerCapture: bytes / spec.captures, plainBytesPerCapture: plainBytes / spec.captures, recordsPerCapture: records / spec.captures,
    linkedCaptures: linkedPages, plantedLinks, linksPerCapture: plantedLinks / spec.captures,
  };
}

const SHAPE_COUNTS = ['captures', 'records', 'gzippedBytesPerCapture', 'plainBytesPerCapture', 'recordsPerCapture', 'linkedCaptures', 'plantedLinks', 'linksPerCapture'] as const;

/** A cached set's shape, as build() writes it. */
function isShape(set: Record<string, unknown>): boolean {
  const s = set['shape'] as Record<string, unknown> | null | undefined;
  return typeof s === 'object' && s !== null && Array.isArray(s['samples']) && SHAPE_COUNTS.every((k) => Number.isFinite(s[k]));
}

export function realShapeKey(s: RealShapeSpec): string {
  return `real-v${VERSION}-${s.kind}-c${s.captures}-s${s.seed}-r${s.linkRate}`;
}

/** The cached set for `spec`, built first when missing, from the samples in `samplesDir`. */
export async function realShapedInputs(cacheDir: string, samplesDir: string, spec: RealShapeSpec, log: (line: string) => void): Promise<ShapedSet> {
  const key = realShapeKey(spec);
  const dir = path.join(cacheDir, key);
  const cached = await readCachedSet<ShapedSet>(dir, isShape);
  if (cached) return cached;
  await fsp.rm(dir, { recursive: true, force: true });
  await fsp.mkdir(dir, { recursive: true });
  log(`building ${key} from real records into ${dir} ...`);
  const t0 = Date.now();
  const file = path.join(dir, spec.kind === 'wat' ? 'real-shaped.warc.wat.gz' : 'real-shaped.warc.gz');
  const { bytes, plainBytes, ...shape } = await build(samplesDir, file, spec);
  const set: ShapedSet = { kind: spec.kind, files: [file], bytes, uncompressedBytes: plainBytes, source: key, generated: true, shape };
  await writeCachedSet(dir, set);
  log(`built ${(plainBytes / 1e6).toFixed(0)} MB (${(bytes / 1e6).toFixed(0)} MB gzipped, ${shape.gzippedBytesPerCapture.toFixed(0)} B a capture) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return set;
}

/** One line that states the shape beside the figures. */
export function formatShape(s: ShapeFigures): string {
  return (
    `real records (${s.samples.join(', ')}) repeated with unique target URIs: ${s.captures.toLocaleString('en-US')} captures, ` +
    `${(s.gzippedBytesPerCapture / 1000).toFixed(1)} kB gzipped and ${(s.plainBytesPerCapture / 1000).toFixed(1)} kB plain a capture, ` +
    `${s.recordsPerCapture.toFixed(2)} records a capture, ${(100 * s.linkedCaptures / s.captures).toFixed(1)}% of captures with Wikipedia links, ` +
    `${s.linksPerCapture.toFixed(3)} links a capture (${s.plantedLinks.toLocaleString('en-US')} planted)`
  );
}
