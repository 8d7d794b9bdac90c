/**
 * The titles lookup of the Wikipedia job (`--titles DIR`): for every article of the editions whose dumps are given,
 * its canonical article (redirects followed) and its Wikidata item, joined to the links by (lang, article as linked).
 *
 * - `canonical_article`: the title itself when the page is an article; the target when it is a redirect to an article
 *   (followed up to MAX_HOPS redirects; a fragment, `Foo#History`, is dropped); null when the title is not a page of
 *   the dump, or redirects out of the articles (another namespace, an interwiki), to a page that does not exist, in a
 *   loop, or through more than MAX_HOPS redirects.
 * - `wikidata_id`: the item (`Q30`) whose sitelink is the canonical article; for an edition with sitelinks but no page
 *   dump, the item whose sitelink is the title as linked.
 */
import type { LookupDefinition, LookupTable } from '../../../src/job/types.js';
import { dumpRows, findDumps, TABLE_OF, TITLE_TABLES, type DumpFile } from './dumps.js';

export { findDumps, dumpRows, TITLE_TABLES, type DumpFile, type DumpKind } from './dumps.js';
export { SqlDumpError, SqlDumpParser, type SqlValue } from './sql-dump.js';

/** Redirects followed at most (MediaWiki follows one; bots fix double redirects, so longer chains are rare). */
export const MAX_HOPS = 4;

/**
 * One step of every page: an article, a redirect to another title of the articles, or a dead end. Each statement is
 * one join or one aggregate: DuckDB spills those alone, where one statement of a window inside a join inside a union
 * ran out of its 256 MB pool at 20 M titles (measured: each of these passes there, the slowest 40 s).
 */
const STEP = [
  // A redirect page's first row (a dump holds one; a tampered one more).
  "CREATE TABLE rd AS SELECT lang, from_id, min(title) AS title, arg_min(ns, title) AS ns, arg_min(coalesce(interwiki, ''), title) AS interwiki FROM redirects GROUP BY lang, from_id",
  "CREATE TABLE step AS SELECT lang, title, 'article' AS kind, CAST(NULL AS VARCHAR) AS next FROM pages WHERE NOT redirect",
  "INSERT INTO step SELECT p.lang, p.title, CASE WHEN r.from_id IS NULL OR r.ns <> 0 OR r.interwiki <> '' OR r.title = '' THEN 'dead' ELSE 'redirect' END, r.title " +
    'FROM (SELECT lang, id, title FROM pages WHERE redirect) p LEFT JOIN rd r ON r.lang = p.lang AND r.from_id = p.id',
  'DROP TABLE rd',
  'CREATE TABLE item AS SELECT lang, title, min(item) AS item FROM items GROUP BY lang, title',
];
/** The walks: from every redirect (articles and dead ends are their own answer, straight from `step`). */
const WALK_START = "CREATE TABLE walk0 AS SELECT lang, title, kind, next, title AS dest FROM step WHERE kind = 'redirect'";
/**
 * Hop `i`: every walk still on a redirect goes to its target's step (a target that is no page ends it, dead). Each hop
 * writes a new table (a table rebuilt from itself is not a form DuckDB runs well: one such hop over 2 M titles did not
 * end in 10 minutes, a new table takes a second).
 */
const hop = (i: number): string[] => [
  `CREATE TABLE walk${i + 1} AS SELECT w.lang, w.title, ` +
    "CASE WHEN w.kind <> 'redirect' THEN w.kind WHEN s.title IS NULL THEN 'dead' ELSE s.kind END AS kind, " +
    "CASE WHEN w.kind <> 'redirect' THEN w.next ELSE s.next END AS next, " +
    "CASE WHEN w.kind <> 'redirect' THEN w.dest ELSE w.next END AS dest " +
    `FROM walk${i} w LEFT JOIN step s ON s.lang = w.lang AND s.title = w.next`,
  `DROP TABLE walk${i}`,
];
/**
 * The lookup's rows. A title a tampered dump repeats gives two rows here; the reduce keeps one per (lang, article)
 * when it loads its slice, so no link row is ever joined twice.
 */
const ROWS = [
  "CREATE TABLE canon AS SELECT lang, title, kind, title AS dest FROM step WHERE kind <> 'redirect'",
  `INSERT INTO canon SELECT lang, title, kind, dest FROM walk${MAX_HOPS}`,
  "SELECT w.lang, w.title AS article, CASE WHEN w.kind = 'article' THEN w.dest END AS canonical_article, " +
    "CASE WHEN i.item IS NOT NULL THEN 'Q' || CAST(i.item AS VARCHAR) END AS wikidata_id " +
    "FROM canon w LEFT JOIN item i ON i.lang = w.lang AND i.title = (CASE WHEN w.kind = 'article' THEN w.dest END) " +
    "UNION ALL SELECT i.lang, i.title, NULL, 'Q' || CAST(i.item AS VARCHAR) FROM item i WHERE i.lang NOT IN (SELECT DISTINCT lang FROM pages)",
];

function table(name: keyof typeof TITLE_TABLES, files: readonly DumpFile[]): LookupTable {
  return {
    name,
    columns: TITLE_TABLES[name],
    rows: async function* () {
      for (const f of files) yield* dumpRows(f);
    },
  };
}

export const titlesLookup: LookupDefinition = {
  name: 'titles',
  async source(dir) {
    const dumps = await findDumps(dir);
    const of = (t: keyof typeof TITLE_TABLES): DumpFile[] => dumps.filter((d) => TABLE_OF[d.kind] === t);
    return { tables: (['pages', 'redirects', 'items'] as const).map((t) => table(t, of(t))), files: dumps.map((d) => d.file) };
  },
  build: [...STEP, WALK_START, ...Array.from({ length: MAX_HOPS }, (_, i) => hop(i)).flat(), ...ROWS],
  columns: [
    { name: 'lang', type: 'VARCHAR' },
    { name: 'article', type: 'VARCHAR' },
    { name: 'canonical_article', type: 'VARCHAR' },
    { name: 'wikidata_id', type: 'VARCHAR' },
  ],
  key: ['lang', 'article'],
  partitionKey: (row) => `${String(row.lang)}\t${String(row.article)}`,
  joinSql:
    'SELECT m.lang, m.article, l.canonical_article, l.wikidata_id, m.source_url, m.source_host, m.source_domain, m.source_title, ' +
    'm.anchor_text, m.warc_date, m.crawl, m.input_file FROM merged m LEFT JOIN lookup l ON l.lang = m.lang AND l.article = m.article',
};
