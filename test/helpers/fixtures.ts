/** Generated inputs for integration tests, with the rows a perfect run must output. */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { getDomain } from 'tldts';
import { generateFixtures, type ExpectedRow, type GenerateOptions } from '../../src/fixtures/index.js';

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

export const LINK_KEYS = ['lang', 'article', 'source_url', 'source_host', 'source_title', 'anchor_text', 'warc_date', 'input_file'] as const;

export function keyOf(r: Record<string, unknown>): string {
  return LINK_KEYS.map((k) => String(r[k] ?? '\\N')).join('\t');
}

/** Expected per-article aggregates of a set of link rows. */
export function expectedArticles(rows: ExpectedRow[]): Array<{ lang: string; article: string; link_count: number; host_count: number; domain_count: number }> {
  const by = new Map<string, { lang: string; article: string; urls: Set<string>; hosts: Set<string>; domains: Set<string> }>();
  for (const r of rows) {
    const k = `${r.lang}\t${r.article}`;
    let a = by.get(k);
    if (!a) by.set(k, (a = { lang: r.lang, article: r.article, urls: new Set(), hosts: new Set(), domains: new Set() }));
    a.urls.add(r.source_url);
    a.hosts.add(r.source_host);
    a.domains.add(getDomain(r.source_host) ?? r.source_host);
  }
  return [...by.values()]
    .map((a) => ({ lang: a.lang, article: a.article, link_count: a.urls.size, host_count: a.hosts.size, domain_count: a.domains.size }))
    .sort((x, y) => (x.lang < y.lang ? -1 : x.lang > y.lang ? 1 : x.article < y.article ? -1 : x.article > y.article ? 1 : 0));
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
