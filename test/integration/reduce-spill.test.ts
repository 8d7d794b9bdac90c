/**
 * One partition many times larger than the reduce task's memory budget is merged exactly (DuckDB spills to disk), from a
 * local store and from the S3 stand-in (ranged GETs), and the result equals an independent merge done here in plain JS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { reduceInput, type ReduceInput } from '../../src/bench/reduce-input.js';
import { listDigest, runReduceTask } from '../../src/reduce/index.js';
import { LocalStore, S3Store, reduceInputsPath, type OutputStore } from '../../src/storage/index.js';
import { jobRegistry, DEFAULT_JOB } from '../../jobs/index.js';
import { resolveJob } from '../../src/job/index.js';
import { readParquet } from '../helpers/parquet.js';
import { tempDir } from '../helpers/fixtures.js';
import { S3_ACCESS_KEY, startS3, type TestS3 } from '../helpers/s3.js';
import { testIoSession } from '../helpers/storage.js';

const ROWS = 1_000_000;
/** The task's budget (DuckDB's pool: half); the partition's rows are about 400 MB as JSON. */
const BUDGET_MB = 384;
const job = resolveJob(jobRegistry, DEFAULT_JOB);
let work: string;
let input: ReduceInput;
let s3: TestS3;
let expected: Map<string, Record<string, unknown>>;
let jsonBytes = 0;

type Row = Record<string, string | null>;
const keyOf = (r: Record<string, unknown>): string => job.uniqueKey.map((k) => String(r[k])).join('\u0001');
/** DuckDB's order: column by column, NULLs last, strings bytewise (the generator writes ASCII). */
function before(a: Row, b: Row): boolean {
  for (const c of job.orderBy) {
    const x = a[c] ?? null;
    const y = b[c] ?? null;
    if (x === y) continue;
    if (x === null) return false;
    if (y === null) return true;
    return x < y;
  }
  return false;
}

beforeAll(async () => {
  work = await tempDir('reduce-spill');
  input = await reduceInput(path.join(work, 'cache'), ROWS, 1, 7, () => undefined);
  // The independent merge: every partial decompressed here, one row per key, the first by the job's order.
  expected = new Map();
  const store = new LocalStore(input.storeDir);
  for (const p of await store.list(`${input.runId}/partials`)) {
    if (!p.endsWith('.jsonl.gz')) continue;
    // The whole object gunzips: its rows, then its commit record as the last line (not a row).
    const lines = zlib.gunzipSync((await store.get(p)) as Buffer).toString('utf8').split('\n').filter((l) => l !== '');
    expect(JSON.parse(lines.pop() as string)).toHaveProperty('parts');
    jsonBytes += lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    for (const line of lines) {
      const row = JSON.parse(line) as Row;
      const k = keyOf(row);
      const have = expected.get(k) as Row | undefined;
      if (!have || before(row, have)) expected.set(k, row);
    }
  }
  s3 = await startS3(path.join(work, 's3'), ['spill']);
  for (const p of await store.list(input.runId)) await s3.put('spill', `runs/${p}`, (await store.get(p)) as Buffer);
}, 240_000);

afterAll(async () => {
  await s3?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

/** Merges the partition through `store`; `localFile` gives a local copy of an output path. */
async function mergeAndCheck(store: OutputStore, localFile: (rel: string) => Promise<string>, counters?: () => Record<string, number>): Promise<void> {
  expect(jsonBytes).toBeGreaterThan(BUDGET_MB * 1024 * 1024);
  const results = await runReduceTask(
    { runId: input.runId, out: store.location, job: job.name, partitions: 1, first: 0, count: 1, inputs: reduceInputsPath(input.runId), inputsDigest: `1-${listDigest(await fsp.readFile(path.join(input.storeDir, reduceInputsPath(input.runId)), 'utf8'))}` }, // the list as written (not a counted read)
    { job, store, memoryMb: BUDGET_MB, ...(counters ? { counters } : {}) },
  );
  expect(results).toHaveLength(1);
  const r = results[0]!;
  expect(r.rowsIn).toBe(ROWS);
  expect(r.files).toBe(input.files);
  const links = r.outputs.find((o) => o.output === job.rowsOutput)!;
  expect(links.rows).toBe(expected.size);
  expect(expected.size).toBeLessThan(ROWS); // the input has duplicate keys to drop

  const rows = await readParquet(await localFile(links.path));
  expect(rows).toHaveLength(expected.size);
  // Sorted by the job's order, and each kept row is the first of its key.
  for (let i = 1; i < rows.length; i++) expect(before(rows[i] as Row, rows[i - 1] as Row)).toBe(false);
  // (Rows equal on every order column are interchangeable: only those columns decide which one is kept.)
  const decided = (r: Record<string, unknown>): unknown[] => job.orderBy.map((c) => r[c] ?? null);
  let mismatches = 0;
  for (const row of rows) if (JSON.stringify(decided(row)) !== JSON.stringify(decided(expected.get(keyOf(row)) as Row))) mismatches++;
  expect(mismatches).toBe(0);
}

describe('a partition much larger than the reduce budget', () => {
  it('is merged exactly from a local store', async () => {
    const store = new LocalStore(input.storeDir);
    await mergeAndCheck(store, async (rel) => path.join(input.storeDir, rel));
  }, 240_000);

  it('is merged exactly from the S3 stand-in, one ranged GET per file', async () => {
    const io = testIoSession({ s3Endpoint: `http://${S3_ACCESS_KEY}:x@127.0.0.1:${s3.port}` });
    try {
      const store = new S3Store('s3://spill/runs', io);
      const local = path.join(work, 'from-s3');
      await mergeAndCheck(store, async (rel) => {
        await s3.download('spill', `runs/${rel}`, local);
        return path.join(local, 'runs', rel);
      }, () => io.counters.toJSON());
      // The commit check, the list, and one ranged GET per file (then the download above, made by the test's own client).
      expect(io.counters.get('s3', 'get')).toBe(1 + 1 + input.files);
    } finally {
      io.close();
    }
  }, 240_000);
});
