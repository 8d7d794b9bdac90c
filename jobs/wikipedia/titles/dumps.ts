/**
 * The Wikimedia dump files of a `--titles` directory, as the dumps site publishes them: per edition
 * `<db>-<date>-page.sql.gz` and `<db>-<date>-redirect.sql.gz` (`enwiki`, `zh_yuewiki`, ...), and
 * `wikidatawiki-<date>-wb_items_per_site.sql.gz` (Wikidata's sitelinks, every edition in one). Read streaming, only the
 * columns and the namespace (0, articles) the lookup needs, as the three tables the titles lookup is built from.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import { LookupSourceError } from '../../../src/job/index.js';
import type { Column, RowValue } from '../../../src/job/types.js';
import { EDITIONS } from '../editions.generated.js';
import { SqlDumpError, SqlDumpParser, type SqlValue } from './sql-dump.js';

export type DumpKind = 'page' | 'redirect' | 'wb_items_per_site';

export interface DumpFile {
  readonly file: string;
  readonly kind: DumpKind;
  /** The edition (`en`, `zh-yue`); `wikidata` for the sitelinks. */
  readonly lang: string;
  readonly date: string;
}

const NAME = /^([a-z][a-z0-9_]*)wiki-(\d{8}|latest)-(page|redirect|wb_items_per_site)\.sql\.gz$/;

/** Edition by database name (`zh_yuewiki` -> `zh-yue`). */
const BY_DB = new Map([...EDITIONS.keys()].map((lang) => [`${lang.replace(/-/g, '_')}wiki`, lang]));

/**
 * The dump files of `dir`, the newest date of each edition and kind (`latest` counts as newest). Throws when the
 * directory holds none.
 */
export async function findDumps(dir: string): Promise<DumpFile[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (err) {
    throw new LookupSourceError(`--titles ${dir}: cannot read the directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  const newest = new Map<string, DumpFile>();
  for (const name of names.sort()) {
    const m = NAME.exec(name);
    if (!m) continue;
    const [, db, date, kind] = m as unknown as [string, string, string, DumpKind];
    const lang = kind === 'wb_items_per_site' ? (db === 'wikidata' ? 'wikidata' : undefined) : BY_DB.get(`${db}wiki`);
    if (lang === undefined) continue;
    const key = `${lang}\t${kind}`;
    const had = newest.get(key);
    const later = (a: string, b: string): boolean => (a === 'latest' ? b !== 'latest' : b !== 'latest' && a > b);
    if (!had || later(date, had.date)) newest.set(key, { file: path.join(dir, name), kind, lang, date });
  }
  if (newest.size === 0) {
    throw new LookupSourceError(`--titles ${dir}: no Wikimedia dump files (<db>-<date>-page.sql.gz, <db>-<date>-redirect.sql.gz, wikidatawiki-<date>-wb_items_per_site.sql.gz)`);
  }
  return [...newest.values()].sort((a, b) => (a.file < b.file ? -1 : 1));
}

/** What each dump gives: its table's name and the columns read. */
const WANTED: Record<DumpKind, { table: string; columns: readonly string[] }> = {
  page: { table: 'page', columns: ['page_id', 'page_namespace', 'page_title', 'page_is_redirect'] },
  redirect: { table: 'redirect', columns: ['rd_from', 'rd_namespace', 'rd_title', 'rd_interwiki', 'rd_fragment'] },
  wb_items_per_site: { table: 'wb_items_per_site', columns: ['ips_item_id', 'ips_site_id', 'ips_site_page'] },
};

/** The tables the lookup is built from, their columns. */
export const TITLE_TABLES: Readonly<Record<'pages' | 'redirects' | 'items', readonly Column[]>> = {
  pages: [{ name: 'lang', type: 'VARCHAR' }, { name: 'id', type: 'BIGINT' }, { name: 'title', type: 'VARCHAR' }, { name: 'redirect', type: 'BOOLEAN' }],
  redirects: [
    { name: 'lang', type: 'VARCHAR' }, { name: 'from_id', type: 'BIGINT' }, { name: 'ns', type: 'BIGINT' }, { name: 'title', type: 'VARCHAR' },
    { name: 'interwiki', type: 'VARCHAR' }, { name: 'fragment', type: 'VARCHAR' },
  ],
  items: [{ name: 'lang', type: 'VARCHAR' }, { name: 'title', type: 'VARCHAR' }, { name: 'item', type: 'BIGINT' }],
};

const int = (v: SqlValue | undefined): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);
const str = (v: SqlValue | undefined): string | null => (typeof v === 'string' ? v : null);

/** A dump's rows as rows of its lookup table (pages in namespace 0 only; sitelinks of known editions only). */
function toRow(d: DumpFile, v: readonly SqlValue[]): RowValue[] | null {
  switch (d.kind) {
    case 'page': {
      const [id, ns, title, redirect] = v;
      if (int(ns) !== 0 || int(id) === null || str(title) === null) return null;
      return [d.lang, int(id), str(title), int(redirect) === 1];
    }
    case 'redirect': {
      const [from, ns, title, interwiki, fragment] = v;
      if (int(from) === null || int(ns) === null || str(title) === null) return null;
      return [d.lang, int(from), int(ns), str(title), str(interwiki), str(fragment)];
    }
    case 'wb_items_per_site': {
      const [item, site, page] = v;
      const lang = typeof site === 'string' ? BY_DB.get(site) : undefined;
      if (lang === undefined || int(item) === null || str(page) === null) return null;
      // Sitelinks name pages with spaces; titles (and the links' articles) have underscores.
      return [lang, (page as string).replace(/ /g, '_'), int(item)];
    }
  }
}

/** The table a dump's rows go to. */
export const TABLE_OF: Readonly<Record<DumpKind, keyof typeof TITLE_TABLES>> = { page: 'pages', redirect: 'redirects', wb_items_per_site: 'items' };

/**
 * Streams the rows of one dump file as rows of its table, a batch at a time. A file that is not gzip, not a MySQL
 * dump of its table, or malformed fails naming the file and the byte offset.
 */
export async function* dumpRows(d: DumpFile): AsyncGenerator<RowValue[][]> {
  const want = WANTED[d.kind];
  let index: number[] | null = null;
  let batch: RowValue[][] = [];
  const parser = new SqlDumpParser(
    (table, columns) => {
      if (table !== want.table) return;
      index = want.columns.map((c) => {
        const i = columns.indexOf(c);
        if (i === -1) throw new SqlDumpError(`table \`${table}\` has no column \`${c}\``, parser.position);
        return i;
      });
    },
    (table, values) => {
      if (table !== want.table || index === null) return;
      const row = toRow(d, index.map((i) => values[i] as SqlValue));
      if (row !== null) batch.push(row);
    },
  );
  const input = fs.createReadStream(d.file).pipe(createGunzip());
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      parser.push(chunk);
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
    }
    parser.end();
    if (index === null) throw new SqlDumpError(`no CREATE TABLE \`${want.table}\` (is it a ${d.kind} dump?)`, parser.position);
  } catch (err) {
    if (err instanceof SqlDumpError) throw new LookupSourceError(`${d.file}: ${err.message}`, { cause: err });
    throw new LookupSourceError(`${d.file}: cannot read it as gzip (${(err as Error).message}) after ${parser.position} bytes of SQL`, { cause: err });
  } finally {
    input.destroy();
  }
  if (batch.length > 0) yield batch;
}
