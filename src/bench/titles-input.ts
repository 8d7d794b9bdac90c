/**
 * Titles-lookup benchmark input: Wikimedia dump files (page, redirect, wb_items_per_site; the published format, as
 * src/fixtures/dumps.ts writes it) holding N titles spread over the editions of the reducer input (reduce-input.ts),
 * named as its articles are, so every link of that input finds its title: 10% of the pages are redirects (to an
 * article of the same edition), half the articles have a Wikidata item. Written streaming (20 M titles: about
 * 2.4 GB of SQL); cached by N.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import zlib from 'node:zlib';
import { dumpSql, sqlValue } from '../fixtures/dumps.js';
import { BENCH_LANGS, benchArticle } from './reduce-input.js';

export interface TitlesInput {
  readonly dir: string;
  readonly titles: number;
  readonly files: readonly string[];
  /** gzipped bytes of all the dump files, and their SQL bytes. */
  readonly bytes: number;
  readonly sqlBytes: number;
}

const ROWS_PER_INSERT = 2000;

/** A dump file written a statement at a time: the head and tail of dumpSql around streamed INSERTs. */
async function writeDump(file: string, db: string, table: 'page' | 'redirect' | 'wb_items_per_site', rows: () => Generator<Array<string | number | null>>): Promise<number> {
  const [head, tail] = dumpSql(db, table, [['SPLIT']]).split(/INSERT INTO [^\n]*\n/) as [string, string];
  const gz = zlib.createGzip({ level: 1 });
  const out = fs.createWriteStream(file);
  gz.pipe(out);
  let sql = 0;
  const write = async (s: string): Promise<void> => {
    sql += Buffer.byteLength(s);
    if (!gz.write(s)) await once(gz, 'drain');
  };
  await write(head);
  let batch: string[] = [];
  for (const r of rows()) {
    batch.push(`(${r.map(sqlValue).join(',')})`);
    if (batch.length === ROWS_PER_INSERT) {
      await write(`INSERT INTO \`${table}\` VALUES ${batch.join(',')};\n`);
      batch = [];
    }
  }
  if (batch.length > 0) await write(`INSERT INTO \`${table}\` VALUES ${batch.join(',')};\n`);
  await write(tail);
  gz.end();
  await once(out, 'close');
  return sql;
}

/** The cache's record of its dumps, checked (the files named must be in `dir`); null when it is not one this bench writes. */
function parseTitlesInput(text: string, dir: string, titles: number): TitlesInput | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const r = (v ?? {}) as Record<string, unknown>;
  const count = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  const files = r.files;
  if (r.dir !== dir || r.titles !== titles || !count(r.bytes) || !count(r.sqlBytes) || !Array.isArray(files)) return null;
  if (!files.every((f): f is string => typeof f === 'string' && path.dirname(f) === dir && fs.existsSync(f))) return null;
  return { dir, titles, files, bytes: r.bytes, sqlBytes: r.sqlBytes };
}

/** The cached dumps of `titles` titles, generated first when missing (or not what this bench writes). */
export async function titlesInput(cacheDir: string, titles: number, log: (l: string) => void): Promise<TitlesInput> {
  const dir = path.join(cacheDir, `v1-titles-${titles}`);
  const marker = path.join(dir, 'bench-input.json');
  if (fs.existsSync(marker)) {
    const cached = parseTitlesInput(await fsp.readFile(marker, 'utf8'), dir, titles);
    if (cached) return cached;
  }
  await fsp.rm(dir, { recursive: true, force: true });
  await fsp.mkdir(dir, { recursive: true });
  log(`generating dump files of ${titles.toLocaleString('en-US')} titles into ${dir} ...`);
  const langs = [...new Set(BENCH_LANGS)];
  const files: string[] = [];
  let sqlBytes = 0;
  // Title id i belongs to edition BENCH_LANGS[i % n] (as the reducer input's articles do); a redirect points 16 ids on.
  const idsOf = function* (lang: string): Generator<number> {
    const slots = BENCH_LANGS.flatMap((l, s) => (l === lang ? [s] : []));
    for (let base = 0; base < titles; base += BENCH_LANGS.length) for (const s of slots) if (base + s < titles) yield base + s;
  };
  const isRedirect = (id: number): boolean => id % 10 === 3;
  for (const lang of langs) {
    const db = `${lang.replace(/-/g, '_')}wiki`;
    const page = path.join(dir, `${db}-20241201-page.sql.gz`);
    sqlBytes += await writeDump(page, db, 'page', function* () {
      for (const id of idsOf(lang)) yield [id + 1, 0, benchArticle(id), isRedirect(id) ? 1 : 0, 0, 0.5, '20241201000000', null, id + 7, 1000, 'wikitext', null];
    });
    const redirect = path.join(dir, `${db}-20241201-redirect.sql.gz`);
    sqlBytes += await writeDump(redirect, db, 'redirect', function* () {
      for (const id of idsOf(lang)) if (isRedirect(id)) yield [id + 1, 0, benchArticle(id + BENCH_LANGS.length), null, null];
    });
    files.push(page, redirect);
  }
  const items = path.join(dir, 'wikidatawiki-20241201-wb_items_per_site.sql.gz');
  let row = 0;
  sqlBytes += await writeDump(items, 'wikidatawiki', 'wb_items_per_site', function* () {
    for (let id = 0; id < titles; id += 2) {
      if (isRedirect(id)) continue;
      yield [++row, id + 1, `${(BENCH_LANGS[id % BENCH_LANGS.length] as string).replace(/-/g, '_')}wiki`, benchArticle(id).replace(/_/g, ' ')];
    }
  });
  files.push(items);
  let bytes = 0;
  for (const f of files) bytes += (await fsp.stat(f)).size;
  const input: TitlesInput = { dir, titles, files, bytes, sqlBytes };
  await fsp.writeFile(marker, JSON.stringify(input, null, 2));
  return input;
}
