/** Generated inputs for integration tests, with the rows a perfect run must output. */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { getDomain } from 'tldts';
import { generateFixtures, type ExpectedRow, type GenerateOptions } from '../../src/fixtures/index.js';
import { crawlOfInput } from '../../jobs/wikipedia/index.js';

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(path.join(os.tmpdir(), `wikireverse-test-${prefix}-`));
}

export interface PlantedSet {
  readonly dir: string;
  readonly listing: string;
  readonly files: string[];
  readonly expected: ExpectedRow[];
}

/** Generates WAT and/or WARC sets into `dir` and writes a listing (relative names) covering all of them. */
export async function plant(dir: string, sets: Array<Omit<GenerateOptions, 'outDir'>>): Promise<PlantedSet> {
  const files: string[] = [];
  const expected: ExpectedRow[] = [];
  for (const s of sets) {
    const g = await generateFixtures({ ...s, outDir: dir });
    files.push(...g.files);
    expected.push(...g.expected);
  }
  const listing = path.join(dir, 'listing.txt');
  await fsp.writeFile(listing, files.map((f) => path.basename(f)).join('\n') + '\n');
  return { dir, listing, files, expected };
}

export const LINK_KEYS = ['lang', 'article', 'source_url', 'source_host', 'source_title', 'anchor_text', 'warc_date', 'crawl', 'input_file'] as const;

/**
 * A row as a comparable line. A planted row has no `crawl` (its input file may be read under another name, a URL with
 * the crawl in its path): it is the crawl of the row's input_file; an output row's own `crawl` is compared as it is.
 */
export function keyOf(r: Record<string, unknown>): string {
  return LINK_KEYS.map((k) => String((k === 'crawl' && !('crawl' in r) ? crawlOfInput(String(r.input_file)) : r[k]) ?? '\\N')).join('\t');
}

export interface ExpectedArticle {
  lang: string;
  article: string;
  /** Without --titles: null. */
  canonical_article: null;
  wikidata_id: null;
  link_count: number;
  host_count: number;
  domain_count: number;
  first_seen: string | null;
  last_seen: string | null;
  crawls: number;
}

/** Expected per-article aggregates of a set of link rows: a link is a (page, crawl), as the outputs key them. */
export function expectedArticles(rows: ExpectedRow[]): ExpectedArticle[] {
  const by = new Map<string, { lang: string; article: string; links: Set<string>; hosts: Set<string>; domains: Set<string>; crawls: Set<string>; dates: string[] }>();
  for (const r of rows) {
    const k = `${r.lang}\t${r.article}`;
    let a = by.get(k);
    if (!a) by.set(k, (a = { lang: r.lang, article: r.article, links: new Set(), hosts: new Set(), domains: new Set(), crawls: new Set(), dates: [] }));
    const crawl = 'crawl' in r ? (r as { crawl: string | null }).crawl : crawlOfInput(r.input_file);
    a.links.add(`${r.source_url}\t${crawl}`);
    a.hosts.add(r.source_host);
    a.domains.add(getDomain(r.source_host) ?? r.source_host);
    if (crawl !== null) a.crawls.add(crawl);
    if (r.warc_date) a.dates.push(r.warc_date);
  }
  return [...by.values()]
    .map((a) => {
      const dates = a.dates.sort();
      return {
        lang: a.lang, article: a.article, canonical_article: null, wikidata_id: null, link_count: a.links.size, host_count: a.hosts.size, domain_count: a.domains.size,
        first_seen: dates[0] ?? null, last_seen: dates.at(-1) ?? null, crawls: a.crawls.size,
      };
    })
    .sort((x, y) => (x.lang < y.lang ? -1 : x.lang > y.lang ? 1 : x.article < y.article ? -1 : x.article > y.article ? 1 : 0));
}

/** Output rows with their BIGINT counts as numbers, to compare with expected ones. */
export function numbered(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

/** One line of a run's `files.jsonl.gz`. */
export interface ListedFile {
  readonly fileId: string;
  readonly input: string;
  readonly status: string;
  readonly attempts?: number;
  readonly rows?: number;
  readonly error?: string;
}

/** A run's file list (`<out>/<runId>/files.jsonl.gz`) as written, read independently of the code under test. */
export async function readFileList(out: string, runId: string): Promise<ListedFile[]> {
  const { gunzipSync } = await import('node:zlib');
  const text = gunzipSync(await fsp.readFile(path.join(out, runId, 'files.jsonl.gz'))).toString('utf8');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as ListedFile);
}
