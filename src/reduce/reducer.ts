/**
 * The reducer: merges the committed partials of a run, partition by partition, with DuckDB
 * (out-of-core: it spills to disk past its memory limit), keeps exactly one row per unique key,
 * and writes sorted Parquet outputs: the job's rows and its derived outputs.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { JobDefinition } from '../job/types.js';
import type { OutputStore } from '../storage/index.js';
import type { FileResult } from '../queue/names.js';
import { outputPath, partialPath } from '../storage/layout.js';

export interface ReduceOptions {
  readonly runId: string;
  readonly job: JobDefinition;
  readonly store: OutputStore;
  readonly partitions: number;
  /** Committed files: exactly one partial set per file is read. */
  readonly files: readonly FileResult[];
  /** DuckDB memory limit; it spills to a temp directory past it. */
  readonly memoryMb: number;
  readonly threads?: number;
}

export interface OutputFile {
  readonly output: string;
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
}

export interface ReduceResult {
  readonly outputs: OutputFile[];
  /** Rows per output (all partitions). */
  readonly totals: Record<string, number>;
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

async function copyToParquet(conn: DuckDBConnection, select: string, file: string): Promise<number> {
  const res = await conn.runAndReadAll(
    `COPY (${select}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`,
  );
  const first = res.getRows()[0]?.[0];
  return Number(first ?? 0);
}

export async function reduceRun(opts: ReduceOptions): Promise<ReduceResult> {
  const { job, store, runId } = opts;
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), `wikireverse-reduce-${runId}-`));
  // An on-disk database (in the temp dir), so merged rows live on disk, not in memory.
  // DuckDB's memory_limit covers its buffer pool only; its other allocations (JSON reader, Parquet writer, per-thread
  // state) and Node's heap come on top. a quarter of the budget for the pool and one thread keep the whole process
  // near `memoryMb` whatever the input size: past the pool, sorts and aggregates spill to the temp directory.
  const instance = await DuckDBInstance.create(path.join(tmp, 'reduce.duckdb'), {
    memory_limit: `${Math.max(64, Math.floor(opts.memoryMb * 0.25))}MB`,
    threads: String(opts.threads ?? 1),
    temp_directory: path.join(tmp, 'spill'),
    preserve_insertion_order: 'false',
  });
  const conn = await instance.connect();
  const columns = `{${job.columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(', ')}}`;
  const emptySelect = `SELECT ${job.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${ident(c.name)}`).join(', ')} WHERE false`;
  const key = job.uniqueKey.map(ident).join(', ');
  const order = job.orderBy.map(ident).join(', ');
  const outputs: OutputFile[] = [];
  const totals: Record<string, number> = {};
  try {
    for (let p = 0; p < opts.partitions; p++) {
      const files: string[] = [];
      for (const f of opts.files) {
        if ((f.partitionRows[String(p)] ?? 0) > 0) {
          files.push(await store.localCopy(partialPath(runId, f.fileId, p), path.join(tmp, 'in')));
        }
      }
      const source =
        files.length === 0
          ? emptySelect
          : `SELECT * FROM read_json([${files.map(sqlString).join(', ')}], format = 'newline_delimited', compression = 'gzip', columns = ${columns})`;
      // The merged rows go straight to their Parquet file (DuckDB sorts and de-duplicates out of core); the derived
      // outputs then read that file back as the table `rows`. Nothing of the partition is held in memory.
      const merged = `SELECT * FROM (${source}) QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY ${order}) = 1 ORDER BY ${order}`;
      const mainLocal = path.join(tmp, `${job.rowsOutput}-${p}.parquet`);
      const selects: Array<[string, string]> = [[job.rowsOutput, merged], ...job.derived.map((d): [string, string] => [d.name, d.sql])];
      for (const [name, select] of selects) {
        const local = name === job.rowsOutput ? mainLocal : path.join(tmp, `${name}-${p}.parquet`);
        const rows = await copyToParquet(conn, select, local);
        if (name === job.rowsOutput) await conn.run(`CREATE OR REPLACE VIEW rows AS SELECT * FROM read_parquet(${sqlString(mainLocal)})`);
        const target = outputPath(runId, name, p);
        const { size } = await fsp.stat(local);
        await store.upload(local, target);
        outputs.push({ output: name, path: target, rows, bytes: size });
        totals[name] = (totals[name] ?? 0) + rows;
      }
      await conn.run('DROP VIEW rows');
      for (const [name] of selects) await fsp.rm(path.join(tmp, `${name}-${p}.parquet`), { force: true });
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
  return { outputs, totals };
}
