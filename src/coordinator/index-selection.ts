/**
 * Runs over a selection of records from Common Crawl's columnar URL index (`--where "<predicate>"`): DuckDB evaluates
 * the predicate over the index's Parquet files and yields (WARC file, offset, length) triples; they are grouped into
 * tasks, one WARC file each, bounded in records and bytes, which workers read with one Range request per record.
 *
 * The index is where the run's inputs come from, so nothing in it is trusted: a WARC file name must be a relative path
 * under the input base (no scheme, no `..`), offsets and lengths whole numbers in range; a row that is not fails the
 * selection naming it. DuckDB runs here with a bounded buffer pool on an on-disk database in a temp dir (the selection
 * spills; this process holds one batch of tasks at a time). Remote index files are downloaded one at a time into that
 * temp dir (DuckDB's httpfs extension is not bundled), read, and removed; their requests are counted.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { redactUrl } from '../log/index.js';
import { IoSession, isRemote, openInput } from '../storage/index.js';
import { UsageError } from '../exit-codes.js';
import { checkListedInputs, checkListedNames, listEntries, listingIsPublic, readListing, resolveEntry } from './listing.js';

/** A record's place in its WARC file: [offset, length] in bytes. */
export type RecordRange = readonly [number, number];

/** One task of an index selection: records of one WARC file, in file order. */
export interface IndexTask {
  readonly input: string;
  readonly ranges: readonly RecordRange[];
}

export interface IndexSelectionOptions {
  /** The SQL predicate over the index's columns (`--where`). */
  readonly where: string;
  /** The index: a Parquet file, a directory or glob of them, or a listing of them (local, https:// or s3://). */
  readonly index: string;
  /** The crawl's base: what a listing's relative entries and the index's `warc_filename` values resolve against. */
  readonly base: string;
  /** Records per task. */
  readonly maxRecords: number;
  /** Compressed MB per task (a task always holds at least one record). */
  readonly maxMb: number;
  readonly io: IoSession;
  /** Accept local files and private addresses named by an index listing fetched over the network (`--trust-listing`). */
  readonly trustListing?: boolean | undefined;
}

/** What a selection holds, for `--dry-run`, `estimate` and the manifest. */
export interface IndexSelectionStats {
  readonly records: number;
  readonly bytes: number;
  /** WARC files touched. */
  readonly files: number;
  readonly tasks: number;
  /** Index files read. */
  readonly indexFiles: number;
}

/** The index's columns a selection reads (others are only in the predicate). */
const FILE_COL = 'warc_filename';
const OFFSET_COL = 'warc_record_offset';
const LENGTH_COL = 'warc_record_length';
/** A record longer than this is not a Common Crawl record (they are cut at 1 MiB of payload): the row is refused. */
export const MAX_RECORD_RANGE_BYTES = 64 * 1024 * 1024;
/** A relative path of letters, digits and `._-/`, no empty or dot-dot segments. */
const WARC_NAME = /^(?!\/)(?!.*(?:^|\/)\.\.?(?:\/|$))(?!.*\/\/)[A-Za-z0-9._\-/]{1,1024}$/;
/** DuckDB's pool for the selection. */
const DUCKDB_MEMORY = '256MB';
/** Rows fetched from DuckDB at a time while grouping. */
const GROUP_BATCH = 2048;

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The crawl's index listing (relative to its base), as Common Crawl publishes it. */
export function crawlIndexListingPath(crawl: string): string {
  return `crawl-data/${crawl}/cc-index-table.paths.gz`;
}

/**
 * The index's Parquet files: a listing's entries, a directory's or glob's `.parquet` files, or the one file. A listing
 * fetched over the network obeys the listing rules (listing.ts): it names remote objects on public hosts only.
 */
export async function indexFiles(index: string, base: string, io: IoSession, trust = false): Promise<string[]> {
  if (/\.parquet$/i.test(index) && !/[*?]/.test(index)) return [index];
  if (!isRemote(index) && /[*?]/.test(path.basename(index))) {
    const { entries } = await listEntries(index, io);
    return entries.filter((e) => /\.parquet$/i.test(e));
  }
  if (!isRemote(index) && (await fsp.stat(index).then((s) => s.isDirectory(), () => false))) {
    const out: string[] = [];
    for (const e of await fsp.readdir(index, { recursive: true, withFileTypes: true })) {
      if (e.isFile() && /\.parquet$/i.test(e.name)) out.push(path.join(e.parentPath, e.name));
    }
    return out.sort();
  }
  // A listing: its entries resolve against `base` (Common Crawl's listings are relative to the bucket).
  const listed = (await readListing(index, io)).map((e) => ({ listed: e, input: resolveEntry(e, base) }));
  checkListedInputs(listed, index, trust);
  await checkListedNames(listed, index, trust);
  return listed.map((e) => e.input);
}

/** A local copy of an index file: the file itself, or a download into `tmp` (removed by `done`). */
async function localIndexFile(file: string, tmp: string, io: IoSession): Promise<{ file: string; done: () => Promise<void> }> {
  if (!isRemote(file)) return { file, done: async () => undefined };
  const local = path.join(tmp, `index-${createHash('sha1').update(file).digest('hex').slice(0, 12)}.parquet`);
  await pipeline(await openInput(file, io), fs.createWriteStream(local));
  return { file: local, done: () => fsp.rm(local, { force: true }) };
}

/** A DuckDB error on the user's predicate, said as a usage error. */
function whereError(err: unknown, where: string, file: string): Error {
  const msg = err instanceof Error ? err.message : String(err);
  if (/Binder Error|Parser Error|Catalog Error|Conversion Error/i.test(msg)) {
    return new UsageError(`--where ${JSON.stringify(where)}: ${msg.split('\n')[0] ?? msg} (the index columns include url, url_host_name, url_host_registered_domain, url_host_tld, content_languages, fetch_status, content_mime_detected, subset)`);
  }
  return new Error(`Reading the index file ${redactUrl(file)} failed: ${msg}`, { cause: err });
}

/** The task id of a selection's task `n` (the same shape as a listed file's id). */
function taskId(n: number, task: IndexTask): string {
  const hash = createHash('sha1').update(`${task.input}@${task.ranges[0]?.[0] ?? 0}`).digest('hex').slice(0, 10);
  return `f${String(n).padStart(6, '0')}-${hash}`;
}

/** Checks an index row; the message names the row. */
function checkRow(name: unknown, offset: unknown, length: unknown, row: number): { name: string; offset: number; length: number } {
  const at = `index row ${row} of the selection (${FILE_COL} ${JSON.stringify(String(name)).slice(0, 200)}, offset ${String(offset)}, length ${String(length)})`;
  if (typeof name !== 'string' || !WARC_NAME.test(name)) throw new Error(`${at}: ${FILE_COL} is not a relative path of a WARC file under the crawl's base`);
  const o = typeof offset === 'bigint' ? Number(offset) : offset;
  const l = typeof length === 'bigint' ? Number(length) : length;
  if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) throw new Error(`${at}: ${OFFSET_COL} is not a byte offset`);
  if (typeof l !== 'number' || !Number.isSafeInteger(l) || l <= 0 || l > MAX_RECORD_RANGE_BYTES) {
    throw new Error(`${at}: ${LENGTH_COL} is not a record length (1 to ${MAX_RECORD_RANGE_BYTES} bytes)`);
  }
  return { name, offset: o, length: l };
}

/** Counts of a selection as it is evaluated (complete once the tasks have all been taken). */
export function emptyStats(): { -readonly [K in keyof IndexSelectionStats]: IndexSelectionStats[K] } {
  return { records: 0, bytes: 0, files: 0, tasks: 0, indexFiles: 0 };
}

/**
 * Evaluates the selection: its tasks in batches (WARC files in name order, records in file order), each with its task
 * id; `stats` is filled in as it goes. Nothing but the current batch is held here.
 */
export async function* selectFromIndex(o: IndexSelectionOptions, stats = emptyStats()): AsyncGenerator<Array<IndexTask & { fileId: string }>> {
  const files = await indexFiles(o.index, o.base, o.io, o.trustListing === true);
  // An index listing fetched over the network: its files are downloaded from public addresses only (counted in o.io).
  const fetchIo = isRemote(o.index) && listingIsPublic(o.index, o.trustListing === true)
    ? new IoSession({ ...o.io.settings, publicAddressesOnly: true }, o.io.counters) : o.io;
  const maxBytes = o.maxMb * 1024 * 1024;
  if (files.length === 0) throw new UsageError(`--index ${redactUrl(o.index)}: no Parquet files found`);
  stats.indexFiles = files.length;
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-index-'));
  let instance: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  try {
    instance = await DuckDBInstance.create(path.join(tmp, 'selection.duckdb'), {
      memory_limit: DUCKDB_MEMORY, threads: '1', temp_directory: path.join(tmp, 'spill'), preserve_insertion_order: 'false',
    });
    conn = await instance.connect();
    await conn.run('CREATE TABLE sel (f VARCHAR, o BIGINT, l BIGINT)');
    for (const file of files) {
      const local = await localIndexFile(file, tmp, fetchIo);
      try {
        await conn.run(
          `INSERT INTO sel SELECT CAST(${FILE_COL} AS VARCHAR), TRY_CAST(${OFFSET_COL} AS BIGINT), TRY_CAST(${LENGTH_COL} AS BIGINT) ` +
            `FROM read_parquet(${sqlString(local.file)}) WHERE (${o.where})`,
        );
      } catch (err) {
        throw whereError(err, o.where, file);
      } finally {
        await local.done();
      }
    }
    // A record listed twice (an index read twice, overlapping globs) is one record.
    const result = await conn.stream('SELECT DISTINCT f, o, l FROM sel ORDER BY f, o');
    let current: { input: string; name: string; ranges: RecordRange[]; bytes: number } | undefined;
    let batch: Array<IndexTask & { fileId: string }> = [];
    const close = (): void => {
      if (current && current.ranges.length > 0) {
        const task: IndexTask = { input: current.input, ranges: current.ranges };
        batch.push({ ...task, fileId: taskId(stats.tasks, task) });
        stats.tasks++;
      }
    };
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const [f, off, len] of chunk.getRows()) {
        const r = checkRow(f, off, len, stats.records + 1);
        stats.records++;
        stats.bytes += r.length;
        if (!current || current.name !== r.name) {
          close();
          current = { input: resolveEntry(r.name, o.base), name: r.name, ranges: [], bytes: 0 };
          stats.files++;
        } else if (current.ranges.length >= o.maxRecords || current.bytes + r.length > maxBytes) {
          close();
          current = { ...current, ranges: [], bytes: 0 };
        }
        current.ranges.push([r.offset, r.length]);
        current.bytes += r.length;
      }
      if (batch.length >= GROUP_BATCH) {
        yield batch;
        batch = [];
      }
    }
    close();
    if (batch.length > 0) yield batch;
  } finally {
    conn?.closeSync();
    instance?.closeSync();
    if (fetchIo !== o.io) fetchIo.close();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}
