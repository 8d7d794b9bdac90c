/**
 * From one extracted page (URL, title, base, links) to rows, shared by the WAT and the HTML paths; and the
 * byte-level pre-filter that lets most pages skip parsing. Pure apart from `ctx.count`.
 */
import { getDomain } from 'tldts';
import type { MapContext } from '../../src/job/types.js';
import { cleanText } from './normalize.js';
import { classifyLink, isWikimediaHost, normalizeHost } from './rules.js';

/** One output row: a page linking a Wikipedia article. Column order is the output order. */
export type LinkRow = {
  lang: string;
  article: string;
  source_url: string;
  source_host: string;
  source_domain: string;
  source_title: string | null;
  anchor_text: string | null;
  /** The record's WARC-Date when it is a full UTC date-time (a TIMESTAMP in the outputs); null otherwise. */
  warc_date: string | null;
  /** The Common Crawl crawl the input belongs to (`CC-MAIN-2024-22`), from its path; null for inputs outside a crawl. */
  crawl: string | null;
  input_file: string;
};

const WARC_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

/**
 * A WARC-Date the outputs can type as a TIMESTAMP: `YYYY-MM-DDThh:mm:ss[.fraction]Z` naming a real instant, else null.
 * The value comes from the input: one that is malformed (or a date that does not exist) must not fail the merge.
 */
export function warcTimestamp(date: string): string | null {
  if (!WARC_DATE.test(date)) return null;
  const t = Date.parse(date);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 19) === date.slice(0, 19) ? date : null;
}

/** A crawl's id as Common Crawl names its folders and files (`crawl-data/CC-MAIN-2024-22/segments/...`). */
const CRAWL_ID = /CC-MAIN-(\d{4})-(\d{2})(?!\d)/;

/**
 * The crawl of an input, from its path or URL: the last `CC-MAIN-YYYY-WW` in it (a folder of Common Crawl's layout, or
 * a file named after it, as the bundled samples are); null when there is none. Week numbers run 01..53.
 */
export function crawlOfInput(input: string): string | null {
  let found: string | null = null;
  for (const m of input.matchAll(new RegExp(CRAWL_ID, 'g'))) {
    const week = Number(m[2]);
    if (week >= 1 && week <= 53) found = m[0];
  }
  return found;
}

let lastInput = '';
let lastCrawl: string | null = null;

/** crawlOfInput, remembered for the last input (a file's rows all share it). */
function crawlOf(input: string): string | null {
  if (input !== lastInput) {
    lastInput = input;
    lastCrawl = crawlOfInput(input);
  }
  return lastCrawl;
}

export interface PageLink {
  readonly href: string;
  /** Anchor text as found (cleaned later); null when absent. */
  readonly text: string | null;
}

export interface ExtractedPage {
  /** The page URL as given (WARC-Target-URI). */
  readonly url: string;
  readonly title: string | null;
  /** `<base href>` as written (may be relative); null when absent. */
  readonly base: string | null;
  readonly warcDate: string;
  readonly links: Iterable<PageLink>;
}

/** A page's source URL, parsed: null when it is not an http(s) URL. */
export interface SourcePage {
  readonly url: URL;
  readonly host: string;
}

export function parseSourceUrl(url: string): SourcePage | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return { url: parsed, host: normalizeHost(parsed.hostname) };
}

/** `wikipedia.org` in any ASCII case (a class per letter: no other character folds to these). */
const WIKIPEDIA_ORG = /[wW][iI][kK][iI][pP][eE][dD][iI][aA]\.[oO][rR][gG]/;

/**
 * True when the bytes contain `wikipedia.org` in any ASCII case, so pages without Wikipedia links cost a scan, not a
 * parse. One regular expression over the bytes as a latin1 string (a byte a character): on real-shaped WAT pages
 * (16.9 dots a KB) 2.2x as fast as finding every `.` with a native search and comparing its neighbours, which was
 * one call into C++ per dot (docs/history.md, 2026-12-07). Works for ASCII-compatible encodings (UTF-8, ISO-8859-x,
 * ...), not UTF-16.
 */
export function mentionsWikipedia(buf: Buffer): boolean {
  return WIKIPEDIA_ORG.test(buf.toString('latin1'));
}

const domainCache = new Map<string, string>();

/** Registrable domain (public suffix list), or the host itself (IP addresses, unknown suffixes). */
export function registrableDomain(host: string): string {
  let domain = domainCache.get(host);
  if (domain === undefined) {
    domain = getDomain(host) ?? host;
    if (domainCache.size > 10_000) domainCache.clear();
    domainCache.set(host, domain);
  }
  return domain;
}

/**
 * Rows for one page, counting `pages_bad_url` / `pages_internal` / `pages_parsed` (exactly one of them),
 * `links_seen`, `links_kept`, `links_duplicate` and `links_rejected.<reason>`.
 * A page linking the same article twice yields one row: the first link, with its anchor text.
 */
export function rowsFromPage(page: ExtractedPage, inputFile: string, ctx: MapContext): LinkRow[] {
  const warcDate = warcTimestamp(page.warcDate);
  if (warcDate === null && page.warcDate !== '') ctx.count('warc_date_invalid');
  const source = parseSourceUrl(page.url);
  if (source === null) {
    ctx.count('pages_bad_url');
    return [];
  }
  if (isWikimediaHost(source.host)) {
    ctx.count('pages_internal');
    return [];
  }
  ctx.count('pages_parsed');
  let base: URL = source.url;
  if (page.base !== null && page.base.trim() !== '') {
    try {
      base = new URL(page.base, source.url);
    } catch {
      ctx.count('pages_bad_base');
    }
  }
  const rows: LinkRow[] = [];
  const seen = new Set<string>();
  let sourceTitle: string | null | undefined;
  let linksSeen = 0;
  for (const link of page.links) {
    linksSeen++;
    const verdict = classifyLink(link.href, base);
    if (!verdict.ok) {
      ctx.count(`links_rejected.${verdict.reason}`);
      continue;
    }
    const key = `${verdict.lang}\t${verdict.article}`;
    if (seen.has(key)) {
      ctx.count('links_duplicate');
      continue;
    }
    seen.add(key);
    if (sourceTitle === undefined) sourceTitle = cleanText(page.title);
    rows.push({
      lang: verdict.lang,
      article: verdict.article,
      source_url: page.url,
      source_host: source.host,
      source_domain: registrableDomain(source.host),
      source_title: sourceTitle,
      anchor_text: cleanText(link.text),
      warc_date: warcDate,
      crawl: crawlOf(inputFile),
      input_file: inputFile,
    });
  }
  if (linksSeen > 0) ctx.count('links_seen', linksSeen);
  if (rows.length > 0) ctx.count('links_kept', rows.length);
  return rows;
}
