/**
 * Choosing a run's inputs from a Common Crawl crawl (`--crawl CC-MAIN-2024-51 --input wat`) or a listing (`--paths`),
 * and the slice of it to process:
 * - `files`: the first N entries of the listing;
 * - `segments`: whole segments A-B, 0-based indexes into the crawl's segments in listing order (the distinct
 *   `segments/<id>/` path components, in order of first appearance), both ends included; `3` alone is one segment;
 * - `sample`: N entries picked reproducibly by `seed`: the N with the smallest sha256(`<seed>:<entry>`), kept in
 *   listing order. The same listing and seed always give the same files, and a larger N only adds files.
 */
import { createHash } from 'node:crypto';
import { redactUrl } from '../log/index.js';
import { hasAwsCredentials, type IoSession } from '../storage/index.js';
import { checkListedInputs, checkListedNames, listEntries, listingIsPublic, readListing, resolveEntry, toInputFiles, type InputFile } from './listing.js';

import { crawlIndexListingPath } from './index-selection.js';
import { preflight } from './preflight.js';
import { checkCrawlIds, type CrawlInput, type CrawlSource, type Selection } from './selection.js';

export { checkCrawlId, checkCrawlIds, parseSegments, type CrawlInput, type CrawlSource, type Selection } from './selection.js';

/** Where Common Crawl's files are, by source. */
export const COMMON_CRAWL_BASES: Readonly<Record<CrawlSource, string>> = {
  https: 'https://data.commoncrawl.org/',
  s3: 's3://commoncrawl/',
};

/** The listing of a crawl's files of one kind, relative to the source base. */
export function crawlListingPath(crawl: string, input: CrawlInput): string {
  return `crawl-data/${crawl}/${input}.paths.gz`;
}

/** The segment id of a Common Crawl path (`.../segments/<id>/...`), or undefined. */
export function segmentOf(entry: string): string | undefined {
  return /(?:^|\/)segments\/([^/]+)\//.exec(entry)?.[1];
}

/** The segment ids of a listing, in order of first appearance. */
export function segmentsOf(entries: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const e of entries) {
    const s = segmentOf(e);
    if (s !== undefined) seen.add(s);
  }
  return [...seen];
}

function sampleRank(seed: number, entry: string): string {
  return createHash('sha256').update(`${seed}:${entry}`).digest('hex');
}

/** The entries a selection picks, in listing order. */
export function selectEntries(entries: readonly string[], sel: Selection): string[] {
  switch (sel.kind) {
    case 'all':
      return [...entries];
    case 'files':
      return entries.slice(0, sel.count);
    case 'segments': {
      const segments = segmentsOf(entries);
      if (segments.length === 0) throw new Error('--segments: the listing has no segments/<id>/ paths (is it a Common Crawl listing?)');
      if (sel.from >= segments.length) {
        throw new Error(`--segments ${sel.from}-${sel.to}: the listing has ${segments.length} segments (indexes 0-${segments.length - 1})`);
      }
      const wanted = new Set(segments.slice(sel.from, sel.to + 1));
      return entries.filter((e) => wanted.has(segmentOf(e) ?? ''));
    }
    case 'sample': {
      const ranked = entries.map((e, i) => ({ i, rank: sampleRank(sel.seed, e) }));
      ranked.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.i - b.i));
      const keep = new Set(ranked.slice(0, sel.count).map((r) => r.i));
      return entries.filter((_, i) => keep.has(i));
    }
  }
}

export function describeSelection(sel: Selection): string {
  switch (sel.kind) {
    case 'all': return 'all files';
    case 'files': return `first ${sel.count} files`;
    case 'segments': return `segments ${sel.from}-${sel.to}`;
    case 'sample': return `sample of ${sel.count} files (seed ${sel.seed})`;
  }
}

export interface InputRequest {
  /** A listing (`--paths`); or */
  readonly paths?: string | undefined;
  /** a crawl id (`--crawl`). */
  readonly crawl?: string | undefined;
  /** @default 'wat' */
  readonly input?: CrawlInput | undefined;
  /** Source of the crawl; ignored when `inputBase` is given. */
  readonly source?: CrawlSource | undefined;
  readonly inputBase?: string | undefined;
  readonly selection?: Selection | undefined;
  /** Accept local files and private addresses named by a listing fetched over the network (`--trust-listing`). */
  readonly trustListing?: boolean | undefined;
  /** Check the inputs before the run starts (preflight.ts); false: `--no-preflight`. @default true */
  readonly preflight?: boolean | undefined;
  /** Remote inputs the pre-flight probes (spread over the selection). @default PREFLIGHT_PROBES (5) */
  readonly probes?: number | undefined;
  /** Select records through the crawl's index: an SQL predicate over its columns (`--where`). */
  readonly where?: string | undefined;
  /** The index to select from (`--index`); default: the crawl's `cc-index-table.paths.gz`. */
  readonly index?: string | undefined;
}

/** What an index selection reads: the crawl's base, the index, the predicate (see index-selection.ts). */
export interface IndexPlan {
  readonly crawl: string;
  readonly source: CrawlSource | 'input-base';
  readonly base: string;
  readonly index: string;
  readonly where: string;
  /** `--trust-listing`: an index listing fetched over the network may name local files and private addresses. */
  readonly trustListing: boolean;
}

/** Where a crawl's files are read from: `--input-base`, else the source (S3 when AWS credentials are found, else https). */
async function crawlBase(req: InputRequest, io: IoSession): Promise<{ source: CrawlSource | 'input-base'; base: string }> {
  if (req.inputBase !== undefined) return { source: 'input-base', base: req.inputBase };
  const from: CrawlSource = req.source ?? ((await hasAwsCredentials(io.settings)) ? 's3' : 'https');
  return { source: from, base: COMMON_CRAWL_BASES[from] };
}

/** Where an index selection's index and WARC files are. */
export async function planIndex(req: InputRequest, io: IoSession): Promise<IndexPlan> {
  if (req.crawl === undefined || req.where === undefined) throw new Error('--where selects records of a crawl: give --crawl <id> with it');
  const crawls = checkCrawlIds(req.crawl);
  if (crawls.length > 1) throw new Error(`--where selects records through one crawl's index: give one crawl with it, not ${crawls.length}`);
  const crawl = crawls[0] as string;
  if (req.where.trim() === '' || req.where.includes(';')) throw new Error('--where: give one SQL predicate over the index columns (no ";")');
  const { source, base } = await crawlBase(req, io);
  return { crawl, source, base, index: req.index ?? resolveEntry(crawlIndexListingPath(crawl), base), where: req.where, trustListing: req.trustListing === true };
}

/** What `planInputs` resolved: the inputs and how they were chosen (recorded in the manifest). */
export interface InputPlan {
  readonly inputs: InputFile[];
  readonly listing: string;
  /** Entries in the listing before selection. */
  readonly listed: number;
  /** The crawl ids read (`A,B` for several), or null for `--paths`. */
  readonly crawl: string | null;
  readonly input: CrawlInput | null;
  /** `https`, `s3`, `input-base` (crawl read from --input-base), or `paths`. */
  readonly source: CrawlSource | 'input-base' | 'paths';
  readonly selection: Selection;
  readonly selectionText: string;
  /** The inputs are read from public addresses only (a listing fetched over the network, not trusted). */
  readonly publicOnly: boolean;
  /** What the pre-flight found that does not stop the run (preflight.ts), one line each. */
  readonly warnings: readonly string[];
  /** The mean size of the inputs the pre-flight looked at, and how many (null without a pre-flight, or none said). */
  readonly sizes: { readonly bytesPerFile: number; readonly files: number } | null;
}

/** Fetches the listing, selects the slice and resolves the inputs. */
export async function planInputs(req: InputRequest, io: IoSession): Promise<InputPlan> {
  const selection = req.selection ?? { kind: 'all' };
  let entries: string[];
  let base: string;
  let listing: string;
  let shown: string | undefined; // the listings as recorded, when several
  let crawl: string | null = null;
  let input: CrawlInput | null = null;
  let source: InputPlan['source'] = 'paths';
  if (req.crawl !== undefined) {
    const crawls = checkCrawlIds(req.crawl);
    crawl = crawls.join(',');
    const kind = (input = req.input ?? 'wat');
    ({ source, base } = await crawlBase(req, io));
    // Several crawls: their listings one after another (a selection applies to the whole), each entry keeping its crawl
    // in its path (the rows' `crawl` column).
    const listings = crawls.map((c) => resolveEntry(crawlListingPath(c, kind), base));
    listing = listings[0] as string;
    if (listings.length > 1) shown = listings.map(redactUrl).join(' + ');
    entries = [];
    for (const [i, l] of listings.entries()) {
      entries.push(...await readListing(l, io).catch((err: unknown) => {
        throw new Error(`Cannot read the listing of crawl ${crawls[i] as string}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }));
    }
  } else if (req.paths !== undefined) {
    listing = req.paths;
    ({ entries, base } = await listEntries(req.paths, io));
    if (req.inputBase !== undefined) base = req.inputBase;
  } else {
    throw new Error('Give the inputs: --crawl <id> (a Common Crawl crawl) or --paths <listing>');
  }
  const inputs = toInputFiles(selectEntries(entries, selection), base);
  checkListedInputs(inputs, listing, req.trustListing === true);
  await checkListedNames(inputs, listing, req.trustListing === true);
  if (inputs.length === 0) {
    throw new Error(`${redactUrl(listing)}: no input files ${entries.length === 0 ? 'listed' : `selected (${describeSelection(selection)} of ${entries.length})`}`);
  }
  const publicOnly = listingIsPublic(listing, req.trustListing === true);
  const checked = req.preflight !== false ? await preflight(inputs, listing, io, publicOnly, req.probes) : { warnings: [], sizes: [] };
  const sizes = checked.sizes.length > 0 ? { bytesPerFile: checked.sizes.reduce((a, b) => a + b, 0) / checked.sizes.length, files: checked.sizes.length } : null;
  return {
    inputs, listing: shown ?? redactUrl(listing), listed: entries.length, crawl, input, source, selection, selectionText: describeSelection(selection),
    publicOnly, warnings: checked.warnings, sizes,
  };
}
