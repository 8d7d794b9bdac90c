/**
 * The Wikipedia reverse-links job: which web pages link which Wikipedia articles.
 * Reads WAT metadata records (JSON, links already extracted) and WARC HTML responses (parsed here).
 *
 * Counters (each page gets exactly one of the `pages_*` outcomes after `pages`):
 * `pages`, `pages_internal` (source on wikipedia.org / wikimedia.org), `pages_prefiltered` (no `wikipedia.org` in
 * the bytes: not parsed), `records_invalid_json`, `pages_not_html` (WAT envelope without an HTML response),
 * `pages_bad_url`, `pages_parsed`; per parsed page `pages_bad_base`, `links_seen`, `links_kept`, `links_duplicate`,
 * `links_rejected.<reason>`; `pages_nesting_cut` (HTML nested deeper than MAX_NESTING: its outermost elements forgotten,
 * every link still read); and `records_not_http` (response records for non-http(s) URIs, e.g. `dns:`).
 */
import type { JobDefinition, MapContext, RecordHeader, RecordView } from '../../src/job/types.js';
import { decodeHtml, extractHtml } from './html.js';
import { mentionsWikipedia, parseSourceUrl, rowsFromPage, type LinkRow } from './page.js';
import { isWikimediaHost } from './rules.js';
import { watPage } from './wat.js';
import { titlesLookup } from './titles/index.js';

export type { LinkRow, ExtractedPage, PageLink } from './page.js';
export { crawlOfInput, mentionsWikipedia, parseSourceUrl, registrableDomain, rowsFromPage } from './page.js';
export {
  classifyLink,
  classifyTitle,
  editionOfHost,
  isWikimediaHost,
  normalizeHost,
  REJECT_REASONS,
  type LinkVerdict,
  type RejectReason,
} from './rules.js';
export { cleanText, normalizeTitleText, percentDecode, titleProblem, upperFirst } from './normalize.js';
export { decodeHtml, extractHtml, sniffCharset, type HtmlPage } from './html.js';
export { firstString, watPage } from './wat.js';
export { EDITIONS, EDITION_ALIASES, type Edition } from './editions.generated.js';

const NONE: readonly LinkRow[] = Object.freeze([]);
const HTML_METADATA = Buffer.from('"HTML-Metadata"', 'latin1');

/** True for the HTTP content types read as HTML: text/html, application/xhtml+xml, and none at all. */
export function isHtmlContentType(contentType: string): boolean {
  if (contentType.startsWith('text/html')) return true; // the common case, without copies
  const t = contentType.trimStart().toLowerCase();
  return t === '' || t.startsWith('text/html') || t.startsWith('application/xhtml+xml');
}

export function wants(header: RecordHeader): boolean {
  if (header.warcType === 'metadata') {
    return header.contentType.startsWith('application/json') || header.contentType.trimStart().toLowerCase().startsWith('application/json');
  }
  if (header.warcType === 'response') return isHtmlContentType(header.contentType);
  return false;
}

/** A WAT metadata record: cheap checks on the bytes first, JSON.parse only for pages that mention Wikipedia. */
export function mapWat(record: RecordView, ctx: MapContext): readonly LinkRow[] {
  if (record.payload.indexOf(HTML_METADATA) === -1) return NONE; // request, non-HTML response, warcinfo...
  ctx.count('pages');
  const header = parseSourceUrl(record.targetUri);
  if (header !== null && isWikimediaHost(header.host)) {
    ctx.count('pages_internal');
    return NONE;
  }
  if (!mentionsWikipedia(record.payload)) {
    ctx.count('pages_prefiltered');
    return NONE;
  }
  let json: unknown;
  try {
    json = JSON.parse(record.payload.toString('utf8'));
  } catch {
    ctx.count('records_invalid_json');
    return NONE;
  }
  const page = watPage(json);
  if (page === null) {
    ctx.count('pages_not_html');
    return NONE;
  }
  return rowsFromPage(
    { ...page, url: page.url || record.targetUri, warcDate: page.warcDate || record.date },
    ctx.inputFile,
    ctx,
  );
}

/** A WARC HTML response: cheap checks on the bytes first, decoding and parsing only for pages that mention Wikipedia. */
export function mapHtml(record: RecordView, ctx: MapContext): readonly LinkRow[] {
  if (!isHtmlContentType(record.contentType)) return NONE;
  const source = parseSourceUrl(record.targetUri);
  if (source === null) {
    ctx.count('records_not_http');
    return NONE;
  }
  ctx.count('pages');
  if (isWikimediaHost(source.host)) {
    ctx.count('pages_internal');
    return NONE;
  }
  if (!mentionsWikipedia(record.payload)) {
    ctx.count('pages_prefiltered');
    return NONE;
  }
  const html = extractHtml(decodeHtml(record.payload, record.contentType));
  if (html.nestingCut) ctx.count('pages_nesting_cut');
  return rowsFromPage({ ...html, url: record.targetUri, warcDate: record.date }, ctx.inputFile, ctx);
}

export function mapRecord(record: RecordView, ctx: MapContext): readonly LinkRow[] {
  if (record.warcType === 'metadata') return mapWat(record, ctx);
  if (record.warcType === 'response') return mapHtml(record, ctx);
  return NONE;
}

export const wikipediaLinksJob: JobDefinition<LinkRow> = {
  name: 'wikipedia-links',
  description: 'Web pages linking Wikipedia articles (reverse link graph), from WAT metadata or WARC HTML responses',
  columns: [
    { name: 'lang', type: 'VARCHAR' },
    { name: 'article', type: 'VARCHAR' },
    { name: 'source_url', type: 'VARCHAR' },
    { name: 'source_host', type: 'VARCHAR' },
    { name: 'source_domain', type: 'VARCHAR' },
    { name: 'source_title', type: 'VARCHAR' },
    { name: 'anchor_text', type: 'VARCHAR' },
    { name: 'warc_date', type: 'TIMESTAMP' },
    { name: 'crawl', type: 'VARCHAR' },
    { name: 'input_file', type: 'VARCHAR' },
  ],
  rowsOutput: 'links',
  wants,
  map: mapRecord,
  partitionKey: (row) => `${row.lang}\t${row.article}`,
  // A page captured in two crawls links the article once per crawl (two rows); twice in one crawl, once.
  uniqueKey: ['lang', 'article', 'source_url', 'crawl'],
  orderBy: ['lang', 'article', 'source_url', 'crawl', 'warc_date', 'input_file', 'anchor_text'],
  // With --titles: canonical_article and wikidata_id from the titles lookup (null without it).
  lookup: titlesLookup,
  // Distinct counts by first occurrence (row_number over each pair), as in `articles`: a form DuckDB spills.
  rollups: [
    {
      name: 'domains',
      shuffle: 'SELECT source_domain AS rollup_key, lang, article, source_url FROM rows WHERE source_domain IS NOT NULL',
      sql:
        'SELECT rollup_key AS source_domain, CAST(count(*) AS BIGINT) AS links, ' +
        'CAST(count(*) FILTER (WHERE article_first = 1) AS BIGINT) AS articles, ' +
        'CAST(count(*) FILTER (WHERE page_first = 1) AS BIGINT) AS pages, ' +
        'CAST(count(*) FILTER (WHERE lang_first = 1) AS BIGINT) AS languages ' +
        'FROM (SELECT rollup_key, row_number() OVER (PARTITION BY rollup_key, lang, article) AS article_first, ' +
        'row_number() OVER (PARTITION BY rollup_key, source_url) AS page_first, ' +
        'row_number() OVER (PARTITION BY rollup_key, lang) AS lang_first FROM shuffled) ' +
        'GROUP BY rollup_key ORDER BY rollup_key',
    },
    {
      name: 'items',
      needsLookup: true,
      shuffle: 'SELECT wikidata_id AS rollup_key, lang, source_url, source_host, source_domain FROM rows WHERE wikidata_id IS NOT NULL',
      sql:
        'SELECT rollup_key AS wikidata_id, list(lang ORDER BY lang) FILTER (WHERE lang_first = 1) AS languages, CAST(count(*) AS BIGINT) AS links, ' +
        'CAST(count(*) FILTER (WHERE page_first = 1) AS BIGINT) AS pages, ' +
        'CAST(count(*) FILTER (WHERE host_first = 1) AS BIGINT) AS hosts, ' +
        'CAST(count(*) FILTER (WHERE domain_first = 1) AS BIGINT) AS domains ' +
        'FROM (SELECT rollup_key, lang, row_number() OVER (PARTITION BY rollup_key, lang) AS lang_first, ' +
        'row_number() OVER (PARTITION BY rollup_key, source_url) AS page_first, ' +
        'row_number() OVER (PARTITION BY rollup_key, source_host) AS host_first, ' +
        'row_number() OVER (PARTITION BY rollup_key, source_domain) AS domain_first FROM shuffled) ' +
        'GROUP BY rollup_key ORDER BY rollup_key',
    },
    {
      // `articles` keyed by the article as linked; this one by the canonical article (a redirect's links counted with
      // its target's: a page linking both once per crawl).
      name: 'canonical_articles',
      needsLookup: true,
      shuffle:
        "SELECT lang || '\t' || canonical_article AS rollup_key, lang, canonical_article, wikidata_id, article, source_url, source_host, source_domain, " +
        'warc_date, crawl FROM rows WHERE canonical_article IS NOT NULL',
      sql:
        'SELECT lang, canonical_article AS article, any_value(wikidata_id) AS wikidata_id, ' +
        'list(linked ORDER BY linked) FILTER (WHERE linked_first = 1) AS linked_as, ' +
        'CAST(count(*) FILTER (WHERE link_first = 1) AS BIGINT) AS link_count, ' +
        'CAST(count(*) FILTER (WHERE host_first = 1) AS BIGINT) AS host_count, ' +
        'CAST(count(*) FILTER (WHERE domain_first = 1) AS BIGINT) AS domain_count, ' +
        'min(warc_date) AS first_seen, max(warc_date) AS last_seen, ' +
        'CAST(count(*) FILTER (WHERE crawl_first = 1 AND crawl IS NOT NULL) AS BIGINT) AS crawls ' +
        'FROM (SELECT lang, canonical_article, wikidata_id, article AS linked, warc_date, crawl, ' +
        'row_number() OVER (PARTITION BY rollup_key, article) AS linked_first, ' +
        'row_number() OVER (PARTITION BY rollup_key, source_url, crawl) AS link_first, ' +
        'row_number() OVER (PARTITION BY rollup_key, source_host) AS host_first, ' +
        'row_number() OVER (PARTITION BY rollup_key, source_domain) AS domain_first, ' +
        'row_number() OVER (PARTITION BY rollup_key, crawl) AS crawl_first FROM shuffled) ' +
        'GROUP BY lang, canonical_article ORDER BY lang, canonical_article',
    },
  ],
  derived: [
    {
      name: 'articles',
      // Distinct hosts and domains counted by first occurrence (row_number over each pair) rather than count(DISTINCT):
      // DuckDB spills this form at any memory limit; count(DISTINCT) ran out of memory at 10 M rows (README, reduce).
      sql:
        'SELECT lang, article, any_value(canonical_article) AS canonical_article, any_value(wikidata_id) AS wikidata_id, CAST(count(*) AS BIGINT) AS link_count, ' +
        'CAST(count(*) FILTER (WHERE host_first = 1 AND source_host IS NOT NULL) AS BIGINT) AS host_count, ' +
        'CAST(count(*) FILTER (WHERE domain_first = 1 AND source_domain IS NOT NULL) AS BIGINT) AS domain_count, ' +
        'min(warc_date) AS first_seen, max(warc_date) AS last_seen, ' +
        'CAST(count(*) FILTER (WHERE crawl_first = 1 AND crawl IS NOT NULL) AS BIGINT) AS crawls ' +
        'FROM (SELECT lang, article, canonical_article, wikidata_id, source_host, source_domain, warc_date, crawl, ' +
        'row_number() OVER (PARTITION BY lang, article, source_host) AS host_first, ' +
        'row_number() OVER (PARTITION BY lang, article, source_domain) AS domain_first, ' +
        'row_number() OVER (PARTITION BY lang, article, crawl) AS crawl_first FROM rows) ' +
        'GROUP BY lang, article ORDER BY lang, article',
    },
  ],
};
