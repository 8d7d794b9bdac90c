/**
 * A rollup task: aggregates a run of buckets of the job's rollup outputs (per domain, per Wikidata item, per canonical
 * article) across every partition. It reads each partition's commit record (merged from the task's set of files, else
 * it fails: the partition is not committed), downloads the partition's shuffled file of each of its buckets (checked
 * against the SHA-256 in the record), and has DuckDB (on disk, spilling past its limit) aggregate a bucket's rows into
 * `<output>/part-BBBBB.parquet`, then commits the bucket. A bucket committed earlier from the same set is not redone.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { JobDefinition } from '../job/types.js';
import type { RollupTaskData } from '../redis/names.js';
import { withOwnPut, type OutputStore } from '../storage/index.js';
import { outputPath, rollupCommitPath, type OutputFile, type RollupResult, type ShuffleFile } from '../storage/layout.js';
import { emptySelect } from './lookup.js';
import { committedPartition, delta, DUCKDB_SHARE, mergeSql, rollupsOf } from './reducer.js';

export interface RollupTaskOptions {
  readonly job: JobDefinition;
  readonly store: OutputStore;
  readonly memoryMb: number;
  readonly threads?: number;
  readonly counters?: () => Record<string, number>;
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Bucket `b`'s commit record if it was aggregated from the partitions of `inputsDigest`, else null. */
export async function committedBucket(store: OutputStore, runId: string, b: number, inputsDigest: string): Promise<RollupResult | null> {
  const body = await store.get(rollupCommitPath(runId, b), 16 << 20);
  if (!body) return null;
  let r: unknown;
  try {
    r = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  const v = r as Partial<RollupResult> | null;
  if (!v || typeof v !== 'object' || v.bucket !== b || v.inputsDigest !== inputsDigest || !Array.isArray(v.outputs)) return null;
  const ok = (v.outputs as unknown[]).every((x) => {
    const o = (x ?? {}) as Record<string, unknown>;
    return typeof o.output === 'string' && typeof o.path === 'string' && Number.isSafeInteger(o.rows) && Number.isSafeInteger(o.bytes);
  });
  return ok ? (v as RollupResult) : null;
}

/** Downloads a shuffled file into `dir`, refusing one that is not the bytes its partition's merge wrote. */
async function fetchShuffle(store: OutputStore, f: ShuffleFile, dir: string, i: number): Promise<string> {
  const file = path.join(dir, `in-${i}.parquet`);
  const fd = fs.openSync(file, 'w');
  const hash = createHash('sha256');
  try {
    const found = await store.readRange(f.path, 0, f.bytes, (chunk) => {
      hash.update(chunk);
      fs.writeSync(fd, chunk);
    });
    if (!found) throw new Error(`The shuffled rows ${store.location}/${f.path} are missing: resume the run to merge their partition again`);
  } finally {
    fs.closeSync(fd);
  }
  if (hash.digest('hex') !== f.sha256) throw new Error(`The shuffled rows ${store.location}/${f.path} do not match their partition's commit record (SHA-256 differs): they were changed in the store`);
  return file;
}

export async function runRollupTask(data: RollupTaskData, o: RollupTaskOptions): Promise<RollupResult[]> {
  const { job, store } = o;
  const { runId } = data;
  let counted = o.counters?.() ?? {};
  const results: RollupResult[] = [];
  const todo: number[] = [];
  for (let b = data.first; b < data.first + data.count; b++) {
    const done = await committedBucket(store, runId, b, data.inputsDigest);
    if (done) results.push(done);
    else todo.push(b);
  }
  if (todo.length === 0) return results;
  // Every partition's record: its shuffled files of this task's buckets.
  const byBucket = new Map<number, ShuffleFile[]>(todo.map((b) => [b, []]));
  for (let p = 0; p < data.partitions; p++) {
    const r = await committedPartition(store, runId, p, data.inputsDigest, data.buckets);
    if (!r) throw new Error(`Partition ${p} of run ${runId} is not committed from this set of files: its rollup cannot start (resume the run)`);
    for (const f of r.shuffles ?? []) byBucket.get(f.bucket)?.push(f);
  }
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), `wikireverse-rollup-${process.pid}-`));
  let instance: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  try {
    const memoryLimit = `${Math.max(64, Math.floor(o.memoryMb * DUCKDB_SHARE))}MB`;
    instance = await DuckDBInstance.create(path.join(tmp, 'rollup.duckdb'), {
      memory_limit: memoryLimit, threads: String(o.threads ?? 1), temp_directory: path.join(tmp, 'spill'), preserve_insertion_order: 'false',
    });
    conn = await instance.connect();
    // An empty partition's main output, to type a bucket that has no rows: the rollups' shuffles over it.
    if (job.lookup) await conn.run(`CREATE VIEW lookup AS ${emptySelect(job.lookup.columns)}`);
    await conn.run(`CREATE VIEW rows AS ${mergeSql(job, emptySelect(job.columns))}`);
    for (const b of todo) {
      const started = Date.now();
      const outputs: OutputFile[] = [];
      for (const r of rollupsOf(job, data.lookup !== undefined)) {
        const files = (byBucket.get(b) ?? []).filter((f) => f.output === r.name);
        const local: string[] = [];
        for (const [i, f] of files.entries()) local.push(await fetchShuffle(store, f, tmp, i));
        // A bucket without rows: the shuffle's own columns, over no rows.
        const source = local.length > 0 ? `SELECT * FROM read_parquet([${local.map(sqlString).join(', ')}], hive_partitioning = false)` : r.shuffle;
        await conn.run(`CREATE OR REPLACE VIEW shuffled AS ${source}`);
        const out = path.join(tmp, `${r.name}-${b}.parquet`);
        const res = await conn.runAndReadAll(`COPY (${r.sql}) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`);
        const rows = Number(res.getRows()[0]?.[0] ?? 0);
        const target = outputPath(runId, r.name, b);
        const { size } = await fsp.stat(out);
        await store.upload(out, target);
        outputs.push({ output: r.name, path: target, rows, bytes: size });
        await conn.run('DROP VIEW shuffled');
        for (const f of [out, ...local]) await fsp.rm(f, { force: true });
      }
      const now = o.counters?.() ?? {};
      const result: RollupResult = { bucket: b, inputsDigest: data.inputsDigest, outputs, seconds: (Date.now() - started) / 1000, counters: withOwnPut(delta(now, counted), store.protocol) };
      await store.put(rollupCommitPath(runId, b), JSON.stringify(result));
      counted = o.counters?.() ?? {};
      results.push(result);
    }
  } finally {
    conn?.closeSync();
    instance?.closeSync();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
  return results.sort((a, b) => a.bucket - b.bucket);
}
