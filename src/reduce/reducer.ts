/**
 * A reduce task: merges one run of partitions of a run, on a worker. It reads the committed files' list, streams each
 * file's byte range for its partitions (one ranged request per file, many in flight, a chunk at a time), spools every partition's gzip
 * members into one local file, and per partition has DuckDB (out of core: it spills to disk past its memory limit) keep
 * exactly one row per unique key and write the sorted Parquet outputs, then commits the partition. A partition already
 * committed (an earlier attempt, a resumed run) is not redone.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { JobDefinition, RollupOutput } from '../job/types.js';
import { withOwnPut, type OutputStore } from '../storage/index.js';
import type { ReduceTaskData } from '../redis/names.js';
import { outputPath, partialPath, reduceCommitPath, shufflePath, type OutputFile, type PartitionResult, type ShuffleFile } from '../storage/layout.js';
import { listDigest, parseInputLine, type ReduceInputFile } from './inputs.js';
import { columnsSql, emptySelect, lookupSlice, readLookup } from './lookup.js';
import { forEachLimit } from './pool.js';

export interface ReduceTaskOptions {
  readonly job: JobDefinition;
  readonly store: OutputStore;
  /** The process's memory budget for DuckDB and its surroundings; DuckDB's buffer pool gets a share and spills past it. */
  readonly memoryMb: number;
  /** Ranged requests in flight while fetching the partials. @default 16 */
  readonly fetchConcurrency?: number;
  /** DuckDB threads. @default 1 */
  readonly threads?: number;
  /** The storage counters of this task (requests, bytes): each partition's commit record gets those made since the last. */
  readonly counters?: () => Record<string, number>;
}

/** DuckDB's buffer pool as a share of the task's memory budget. */
export const DUCKDB_SHARE = 0.5;

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/**
 * Writes `select` to a Parquet file, then hands the buffer pool's memory back to the system: DuckDB keeps the blocks
 * of a finished query cached up to its limit, and the next query's own peak came on top (measured, 10 M rows at 512 MB:
 * the articles query after the links merge peaked at 773 MB RSS; with the pool shrunk between them, 571 MB). Lowering
 * the limit evicts the cached blocks and frees them; the limit is then set back.
 */
async function copyToParquet(conn: DuckDBConnection, select: string, file: string, memoryLimit: string): Promise<number> {
  const res = await conn.runAndReadAll(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
  await conn.run(`SET memory_limit = '${RELEASE_LIMIT}'`);
  await conn.run(`SET memory_limit = ${sqlString(memoryLimit)}`);
  return Number(res.getRows()[0]?.[0] ?? 0);
}

/**
 * Rewrites a partition's spool (the files' gzip members one after another) as ONE gzip member, checking on the way that
 * it holds the rows the commit records give. DuckDB's gzip reader loses rows of a file of many members: measured on a
 * full-crawl-shaped run, one partition's spool of 6,356 members read as 174,081 rows where gunzip reads 174,537 (the
 * last 17 files' rows), the same bytes every time; a single member reads whole.
 */
async function asOneMember(file: string, rows: number, partition: number): Promise<void> {
  let lines = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      done(null, chunk);
    },
  });
  const one = `${file}.1`;
  await pipeline(fs.createReadStream(file), createGunzip(), count, createGzip({ level: 1 }), fs.createWriteStream(one));
  if (lines !== rows) throw new Error(`partition ${partition}: the committed partials hold ${lines} rows, their commit records say ${rows}`);
  await fsp.rename(one, file);
}

/** The pool's limit for a moment between queries, to evict its cached blocks (see copyToParquet). */
const RELEASE_LIMIT = '16MB';

/** One row per unique key (the first by the job's order), unsorted. */
function dedupSql(job: JobDefinition, source: string): string {
  const key = job.uniqueKey.map(ident).join(', ');
  const order = job.orderBy.map(ident).join(', ');
  return `SELECT * FROM (${source}) QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY ${order}) = 1`;
}

/**
 * One row per unique key (the first by the job's order), sorted by that order: a form DuckDB can spill (see README).
 * A job with a lookup has the merged rows joined with it (the table or view `lookup`, this partition's slice).
 */
export function mergeSql(job: JobDefinition, source: string): string {
  const order = job.orderBy.map(ident).join(', ');
  return job.lookup ? `WITH merged AS (${dedupSql(job, source)}) SELECT * FROM (${job.lookup.joinSql}) ORDER BY ${order}` : `${dedupSql(job, source)} ORDER BY ${order}`;
}

/**
 * With a lookup, the merge in steps DuckDB spills each of: the slice and the de-duplicated rows as tables of the
 * on-disk database, their join as a third, then that sorted (a join and a sort in one query ran out of its 256 MB
 * pool at 1 M rows joined with 2 M titles).
 */
async function mergeWithLookup(
  conn: DuckDBConnection, job: JobDefinition & { lookup: NonNullable<JobDefinition['lookup']> }, source: string, slice: string, memoryLimit: string,
): Promise<string> {
  // Each step's cached blocks are handed back before the next (as copyToParquet does).
  const step = async (sql: string): Promise<void> => {
    await conn.run(sql);
    await conn.run(`SET memory_limit = '${RELEASE_LIMIT}'`);
    await conn.run(`SET memory_limit = ${sqlString(memoryLimit)}`);
  };
  const { lookup } = job;
  const key = lookup.key.map(ident).join(', ');
  const rest = lookup.columns.filter((c) => !lookup.key.includes(c.name)).map((c) => `min(l.${ident(c.name)}) AS ${ident(c.name)}`);
  // The slice as it is; the rows; the keys the rows use (narrow); the slice's rows of those keys, one per key (a slice
  // may repeat one); then the rows joined with that, which is at most as large as the keys. Joining the rows with the
  // whole slice ran out of the pool at 10 M rows and a 20 M-title slice (the rows, wide, were the hash table).
  await step(`CREATE OR REPLACE TABLE lookup_slice AS ${slice}`);
  await step(`CREATE OR REPLACE TABLE merged AS ${dedupSql(job, source)}`);
  await step(`CREATE OR REPLACE TABLE lookup_keys AS SELECT DISTINCT ${key} FROM merged`);
  await step(`CREATE OR REPLACE TABLE lookup AS SELECT ${lookup.key.map((k) => `l.${ident(k)}`).join(', ')}, ${rest.join(', ')} ` +
    `FROM lookup_slice l JOIN lookup_keys k USING (${key}) GROUP BY ${lookup.key.map((k) => `l.${ident(k)}`).join(', ')}`);
  for (const t of ['lookup_slice', 'lookup_keys']) await conn.run(`DROP TABLE ${t}`);
  await step(`CREATE OR REPLACE TABLE joined AS ${lookup.joinSql}`);
  for (const t of ['lookup', 'merged']) await conn.run(`DROP TABLE ${t}`);
  return `SELECT * FROM joined ORDER BY ${job.orderBy.map(ident).join(', ')}`;
}

/** The counters added since `before`. */
export function delta(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) if (v - (before[k] ?? 0) !== 0) out[k] = v - (before[k] ?? 0);
  return out;
}

/** The rollups a run computes: all of the job's, less those that need a lookup when the run has none. */
export function rollupsOf(job: JobDefinition, withLookup: boolean): readonly RollupOutput[] {
  return (job.rollups ?? []).filter((r) => withLookup || !r.needsLookup);
}

/**
 * Partition `p`'s rows of each rollup output (the view `rows` is its main output), split into `buckets` by a hash of
 * their key (md5: the same bucket on every worker and DuckDB version), each bucket's file stored with its SHA-256.
 */
async function shuffleOut(conn: DuckDBConnection, store: OutputStore, job: JobDefinition, runId: string, p: number, buckets: number, withLookup: boolean, tmp: string): Promise<ShuffleFile[]> {
  const files: ShuffleFile[] = [];
  for (const r of rollupsOf(job, withLookup)) {
    const dir = path.join(tmp, `shuffle-${p}-${r.name}`);
    await conn.run(`COPY (SELECT *, CAST(md5_number(rollup_key) % ${buckets} AS INTEGER) AS rollup_bucket FROM (${r.shuffle})) ` +
      `TO ${sqlString(dir)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (rollup_bucket))`);
    const parts = fs.existsSync(dir) ? (await fsp.readdir(dir)).map((d) => /^rollup_bucket=(\d+)$/.exec(d)).filter((m) => m !== null) : [];
    for (const m of parts.sort((a, b) => Number(a[1]) - Number(b[1]))) {
      const bucket = Number(m[1]);
      const written = (await fsp.readdir(path.join(dir, m[0]))).map((f) => path.join(dir, m[0], f));
      // One file a bucket (DuckDB writes one a thread): several are rewritten as one.
      let file = written[0] as string;
      if (written.length > 1) {
        file = path.join(dir, `bucket-${bucket}.parquet`);
        await conn.run(`COPY (SELECT * FROM read_parquet([${written.map(sqlString).join(', ')}])) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`);
      }
      const rows = Number((await conn.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(file)})`)).getRows()[0]?.[0] ?? 0);
      const body = await fsp.readFile(file);
      const target = shufflePath(runId, r.name, bucket, p);
      await store.upload(file, target);
      files.push({ output: r.name, bucket, path: target, rows, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    }
    await fsp.rm(dir, { recursive: true, force: true });
  }
  return files;
}

/**
 * Partition `p`'s commit record if it was merged from exactly the inputs `inputsDigest` names (and, for a run with
 * rollups, `buckets` > 0, shuffled its rows out: one merged by a build without them is merged again), else null.
 */
export async function committedPartition(store: OutputStore, runId: string, p: number, inputsDigest: string, buckets = 0): Promise<PartitionResult | null> {
  const body = await store.get(reduceCommitPath(runId, p));
  const r = body ? (JSON.parse(body.toString('utf8')) as PartitionResult) : null;
  return r && r.inputsDigest === inputsDigest && (buckets === 0 || Array.isArray(r.shuffles)) ? r : null;
}

/** The committed partitions' results, and the outputs of those this task merged now. */
export async function runReduceTask(data: ReduceTaskData, o: ReduceTaskOptions): Promise<PartitionResult[]> {
  const { job, store } = o;
  const { runId } = data;
  // Every request of the task (commit checks, the list, the ranged reads, the uploads) lands in a partition's record.
  let counted = o.counters?.() ?? {};
  const results: PartitionResult[] = [];
  const todo: number[] = [];
  for (let p = data.first; p < data.first + data.count; p++) {
    const done = await committedPartition(store, runId, p, data.inputsDigest, data.buckets);
    if (done) results.push(done);
    else todo.push(p);
  }
  if (todo.length === 0) return results;
  const lookup = job.lookup && data.lookup !== undefined ? await readLookup(store, runId, job.lookup, data.partitions, data.lookup) : null;

  const list = await store.get(data.inputs);
  if (!list) throw new Error(`The reduce inputs list ${store.location}/${data.inputs} is missing; resume the run to write it again`);
  if (!data.inputsDigest.endsWith(`-${listDigest(list.toString('utf8'))}`)) {
    throw new Error(`The reduce inputs list ${store.location}/${data.inputs} is not the one its coordinator wrote (its digest differs from the task's): ` +
      'it was changed in the store; resume the run to write it again');
  }
  // The process id in the name: a test (or an operator) can tell which worker is merging.
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), `wikireverse-reduce-${process.pid}-`));
  const wanted = new Set(todo);
  // Each partition's spool: the files' gzip members one after another. A file's slice gets its place in the spool when
  // its fetch starts (`size` grows by its bytes), so slices of different files streamed at once never interleave.
  const spool = new Map(todo.map((p) => [p, { file: path.join(tmp, `in-${p}.jsonl.gz`), fd: -1, size: 0, files: 0, rows: 0 }]));
  let instance: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  try {
    for (const s of spool.values()) s.fd = fs.openSync(s.file, 'w');
    // One ranged request per file: its partitions of this task are contiguous in its object.
    const wantedParts = function* (): Generator<ReduceInputFile & { at: number[] }> {
      let lineNo = 0;
      for (const line of list.toString('utf8').split('\n')) {
        lineNo++;
        if (line === '') continue;
        const f = parseInputLine(line, lineNo, data.partitions);
        const parts = f.parts.filter((p) => wanted.has(p.partition));
        if (parts.length === 0) continue;
        const at = parts.map((p) => {
          const s = spool.get(p.partition) as { size: number; files: number; rows: number };
          s.size += p.bytes;
          s.files++;
          s.rows += p.rows;
          return s.size - p.bytes;
        });
        yield { fileId: f.fileId, parts, at };
      }
    };
    await forEachLimit(wantedParts(), o.fetchConcurrency ?? 16, async (f) => {
      const first = (f.parts[0] as ReduceInputFile['parts'][number]).offset;
      const lastPart = f.parts[f.parts.length - 1] as ReduceInputFile['parts'][number];
      const key = partialPath(runId, f.fileId);
      // Streamed: a chunk at a time goes to its partitions' places in the spools (memory: chunks in flight, not ranges).
      let pos = first;
      const hashes = f.parts.map(() => createHash('sha256'));
      const found = await store.readRange(key, first, lastPart.offset + lastPart.bytes - first, (chunk) => {
        const end = pos + chunk.length;
        f.parts.forEach((p, i) => {
          const from = Math.max(pos, p.offset);
          const to = Math.min(end, p.offset + p.bytes);
          if (from < to) {
            (hashes[i] as Hash).update(chunk.subarray(from - pos, to - pos));
            fs.writeSync((spool.get(p.partition) as { fd: number }).fd, chunk, from - pos, to - from, (f.at[i] as number) + from - p.offset);
          }
        });
        pos = end;
      });
      if (!found) throw new Error(`The committed partial ${store.location}/${key} is missing: resume the run to redo its file`);
      const changed = f.parts.find((p, i) => (hashes[i] as Hash).digest('hex') !== p.sha256);
      if (changed) {
        // Changed after its commit (another writer of the store): not merged. The object goes, so a resume redoes the file.
        await store.remove(key);
        throw new Error(`The partial ${store.location}/${key} does not match its commit record (partition ${changed.partition}: not the bytes its worker wrote, SHA-256 differs): file ${f.fileId} is no longer committed; \`wikireverse resume ${runId}\` redoes it`);
      }
    });
    for (const s of spool.values()) {
      fs.closeSync(s.fd);
      s.fd = -1; // not closed again below: the number may belong to another file by then (DuckDB's)
    }

    // An on-disk database in the temp dir: merged rows live on disk. DuckDB's memory_limit covers its buffer pool only;
    // the JSON reader, the Parquet writer and Node's heap come on top, so the pool gets half the budget (measured: a
    // quarter is too little for the gzipped JSON scan to go on spilling; half keeps 10 M rows under 470 MB at 512).
    const memoryLimit = `${Math.max(64, Math.floor(o.memoryMb * DUCKDB_SHARE))}MB`;
    instance = await DuckDBInstance.create(path.join(tmp, 'reduce.duckdb'), {
      memory_limit: memoryLimit,
      threads: String(o.threads ?? 1),
      temp_directory: path.join(tmp, 'spill'),
      preserve_insertion_order: 'false',
    });
    conn = await instance.connect();
    const columns = columnsSql(job.columns);
    for (const p of todo) {
      const started = Date.now();
      const s = spool.get(p) as { file: string; files: number; rows: number };
      if (s.files > 0) await asOneMember(s.file, s.rows, p);
      const source = s.files === 0
        ? emptySelect(job.columns)
        : `SELECT * FROM read_json(${sqlString(s.file)}, format = 'newline_delimited', compression = 'gzip', columns = ${columns})`;
      const main = job.lookup
        ? await mergeWithLookup(conn, job as JobDefinition & { lookup: NonNullable<JobDefinition['lookup']> }, source, await lookupSlice(store, runId, job.lookup, lookup, p, tmp), memoryLimit)
        : mergeSql(job, source);
      const mainLocal = path.join(tmp, `${job.rowsOutput}-${p}.parquet`);
      const selects: Array<[string, string]> = [[job.rowsOutput, main], ...job.derived.map((d): [string, string] => [d.name, d.sql])];
      const outputs: OutputFile[] = [];
      for (const [name, select] of selects) {
        const local = name === job.rowsOutput ? mainLocal : path.join(tmp, `${name}-${p}.parquet`);
        const rows = await copyToParquet(conn, select, local, memoryLimit);
        if (name === job.rowsOutput) {
          await fsp.rm(s.file, { force: true });
          if (job.lookup) await conn.run('DROP TABLE joined');
          await conn.run(`CREATE OR REPLACE VIEW rows AS SELECT * FROM read_parquet(${sqlString(mainLocal)})`);
        }
        const target = outputPath(runId, name, p);
        const { size } = await fsp.stat(local);
        await store.upload(local, target);
        outputs.push({ output: name, path: target, rows, bytes: size });
      }
      const shuffles = data.buckets ? await shuffleOut(conn, store, job, runId, p, data.buckets, lookup !== null, tmp) : undefined;
      await conn.run('DROP VIEW rows');
      for (const [name] of selects) await fsp.rm(path.join(tmp, `${name}-${p}.parquet`), { force: true });
      await fsp.rm(path.join(tmp, `lookup-${p}.jsonl.gz`), { force: true });
      const now = o.counters?.() ?? {};
      const result: PartitionResult = {
        partition: p, inputsDigest: data.inputsDigest, files: s.files, rowsIn: s.rows, outputs, ...(shuffles ? { shuffles } : {}),
        seconds: (Date.now() - started) / 1000, counters: withOwnPut(delta(now, counted), store.protocol),
      };
      await store.put(reduceCommitPath(runId, p), JSON.stringify(result));
      counted = o.counters?.() ?? {}; // the commit's own PUT is in this partition's counters, not the next one's
      results.push(result);
    }
  } finally {
    for (const s of spool.values()) if (s.fd >= 0) fs.closeSync(s.fd);
    conn?.closeSync();
    instance?.closeSync();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
  return results.sort((a, b) => a.partition - b.partition);
}
