/**
 * A job's lookup (`--titles`: canonical articles and Wikidata items), built once per run by a task on a worker before
 * the map, and read back by each reduce partition. The build streams the source's tables into DuckDB (an on-disk
 * database in a temp directory: it spills past its memory limit), runs the job's statements, and streams the result
 * out a chunk at a time into one file per partition (hashed by the job's partition key), each gzipped and stored with
 * its SHA-256, then the commit record. A partition's merge downloads its own slice only and joins it only when it
 * hashes to what the record says, and the record only when it hashes to the digest the coordinator put in the task.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { partitionOf } from '../job/partition.js';
import type { Column, LookupDefinition } from '../job/types.js';
import type { LookupTaskData } from '../redis/names.js';
import { lookupCommitPath, lookupPartPath, type LookupPart, type LookupResult, type OutputStore } from '../storage/index.js';
import { lookupDigest, parseLookupResult } from './lookup-record.js';


export interface LookupTaskOptions {
  readonly lookup: LookupDefinition;
  readonly store: OutputStore;
  /** The task's memory budget; DuckDB's buffer pool gets half (as a reduce task's). */
  readonly memoryMb: number;
  readonly threads?: number;
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
export const columnsSql = (columns: readonly Column[]): string => `{${columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(', ')}}`;
/** An empty table of these columns, as a SELECT. */
export const emptySelect = (columns: readonly Column[]): string =>
  `SELECT ${columns.map((c) => `CAST(NULL AS ${c.type}) AS ${ident(c.name)}`).join(', ')} WHERE false`;
/** A gzipped JSON-lines file of these columns, as a SELECT. */
export const jsonSelect = (file: string, columns: readonly Column[]): string =>
  `SELECT * FROM read_json(${sqlString(file)}, format = 'newline_delimited', compression = 'gzip', columns = ${columnsSql(columns)})`;

async function writeLines(stream: fs.WriteStream, line: string): Promise<void> {
  if (!stream.write(line)) await new Promise<void>((res) => stream.once('drain', () => res()));
}

async function closeStream(stream: fs.WriteStream): Promise<void> {
  await new Promise<void>((res, rej) => stream.end((err?: Error | null) => (err ? rej(err) : res())));
}

/** Gzips `file` into `gz`, returning the SHA-256 of what was written. */
async function gzipHashed(file: string, gz: string): Promise<string> {
  const hash = createHash('sha256');
  const tap = new Transform({ transform(chunk: Buffer, _enc, done) { hash.update(chunk); done(null, chunk); } });
  await pipeline(fs.createReadStream(file), createGzip({ level: 6 }), tap, fs.createWriteStream(gz));
  return hash.digest('hex');
}

/** Builds the lookup of a run from its source and commits it; one committed earlier for the same partitions is kept. */
export async function runLookupTask(data: LookupTaskData, o: LookupTaskOptions): Promise<LookupResult> {
  const { lookup, store } = o;
  const earlier = await store.get(lookupCommitPath(data.runId, lookup.name));
  if (earlier) {
    const r = parseLookupResult(earlier, lookup.name, data.partitions);
    return r;
  }
  const started = Date.now();
  const { tables, files } = await lookup.source(data.source);
  const sources = await Promise.all(files.map(async (file) => ({ file, bytes: (await fsp.stat(file)).size })));
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), `wikireverse-lookup-${process.pid}-`));
  let instance: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  try {
    instance = await DuckDBInstance.create(path.join(tmp, 'lookup.duckdb'), {
      memory_limit: `${Math.max(64, Math.floor(o.memoryMb / 2))}MB`, threads: String(o.threads ?? 1), temp_directory: path.join(tmp, 'spill'), preserve_insertion_order: 'false',
    });
    conn = await instance.connect();
    for (const t of tables) {
      const spool = path.join(tmp, `${t.name}.jsonl`);
      const out = fs.createWriteStream(spool);
      let rows = 0;
      try {
        for await (const batch of t.rows()) {
          let text = '';
          for (const values of batch) text += JSON.stringify(Object.fromEntries(t.columns.map((c, i) => [c.name, values[i] ?? null]))) + '\n';
          rows += batch.length;
          await writeLines(out, text);
        }
      } finally {
        await closeStream(out);
      }
      const select = rows === 0 ? emptySelect(t.columns)
        : `SELECT * FROM read_json(${sqlString(spool)}, format = 'newline_delimited', columns = ${columnsSql(t.columns)})`;
      await conn.run(`CREATE TABLE ${ident(t.name)} AS ${select}`);
      await fsp.rm(spool, { force: true });
    }
    const statements = [...lookup.build];
    const last = statements.pop() as string;
    // Each statement's cached blocks handed back before the next (the pool's limit lowered for a moment, as the reduce does).
    const limit = `${Math.max(64, Math.floor(o.memoryMb / 2))}MB`;
    for (const s of statements) {
      await conn.run(s);
      await conn.run("SET memory_limit = '16MB'");
      await conn.run(`SET memory_limit = '${limit}'`);
    }

    // The result as a table first (streaming the query itself, its joins spilling, stalled DuckDB at 20 M titles: no
    // CPU, no progress, every thread waiting), then a chunk at a time into one plain file per partition (opened when
    // its first row comes).
    await conn.run(`CREATE TABLE lookup_rows AS ${last}`);
    const spools = new Map<number, { file: string; stream: fs.WriteStream; rows: number; text: string }>();
    const result = await conn.stream('SELECT * FROM lookup_rows');
    let total = 0;
    for await (const batch of result.yieldRowObjectJson()) {
      for (const row of batch) {
        const p = partitionOf(lookup.partitionKey(row as Record<string, string | number | boolean | null>), data.partitions);
        let s = spools.get(p);
        if (!s) {
          const file = path.join(tmp, `part-${p}.jsonl`);
          spools.set(p, (s = { file, stream: fs.createWriteStream(file), rows: 0, text: '' }));
        }
        s.text += JSON.stringify(row) + '\n';
        s.rows++;
        if (s.text.length > 65536) {
          await writeLines(s.stream, s.text);
          s.text = '';
        }
      }
      total += batch.length;
    }
    const parts: LookupPart[] = [];
    for (const [partition, s] of [...spools.entries()].sort((a, b) => a[0] - b[0])) {
      await writeLines(s.stream, s.text);
      await closeStream(s.stream);
      const gz = `${s.file}.gz`;
      const sha256 = await gzipHashed(s.file, gz);
      await fsp.rm(s.file, { force: true });
      const { size } = await fsp.stat(gz);
      await store.upload(gz, lookupPartPath(data.runId, lookup.name, partition));
      await fsp.rm(gz, { force: true });
      parts.push({ partition, rows: s.rows, bytes: size, sha256 });
    }
    const committed: LookupResult = { name: lookup.name, partitions: data.partitions, sources, rows: total, parts, seconds: (Date.now() - started) / 1000 };
    await store.put(lookupCommitPath(data.runId, lookup.name), JSON.stringify(committed));
    return committed;
  } finally {
    conn?.closeSync();
    instance?.closeSync();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

/** The commit record of a run's lookup, when it hashes to `digest` (what the coordinator recorded); else an error. */
export async function readLookup(store: OutputStore, runId: string, lookup: LookupDefinition, partitions: number, digest: string): Promise<LookupResult> {
  const at = lookupCommitPath(runId, lookup.name);
  const body = await store.get(at, 64 << 20);
  if (!body) throw new Error(`The ${lookup.name} lookup's commit record ${store.location}/${at} is missing; resume the run to build it again`);
  if (lookupDigest(body) !== digest) {
    throw new Error(`The ${lookup.name} lookup's commit record ${store.location}/${at} is not the one its task wrote (SHA-256 differs): it was changed in the store`);
  }
  return parseLookupResult(body, lookup.name, partitions);
}

/**
 * A SELECT of partition `p`'s lookup rows: its slice downloaded into `tmp` and checked against the record, or an empty
 * table (no lookup in the run, or no rows in this partition).
 */
export async function lookupSlice(store: OutputStore, runId: string, lookup: LookupDefinition, result: LookupResult | null, p: number, tmp: string): Promise<string> {
  const part = result?.parts.find((x) => x.partition === p);
  if (!part) return emptySelect(lookup.columns);
  const key = lookupPartPath(runId, lookup.name, p);
  const file = path.join(tmp, `lookup-${p}.jsonl.gz`);
  const fd = fs.openSync(file, 'w');
  const hash = createHash('sha256');
  try {
    const found = await store.readRange(key, 0, part.bytes, (chunk) => {
      hash.update(chunk);
      fs.writeSync(fd, chunk);
    });
    if (!found) throw new Error(`The ${lookup.name} lookup's slice ${store.location}/${key} is missing`);
  } finally {
    fs.closeSync(fd);
  }
  if (hash.digest('hex') !== part.sha256) throw new Error(`The ${lookup.name} lookup's slice ${store.location}/${key} does not match its commit record (SHA-256 differs): it was changed in the store`);
  return jsonSelect(file, lookup.columns);
}
