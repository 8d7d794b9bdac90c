/**
 * A reduce task streams each file's byte range a chunk at a time into its partitions' spools. However the chunks fall
 * (a few bytes each, cutting gzip members anywhere) and however the files' fetches interleave, every partition gets
 * exactly its members: the output equals the same task's output when each range arrives in one piece.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { reduceInput, type ReduceInput } from '../../src/bench/reduce-input.js';
import { listDigest, runReduceTask } from '../../src/reduce/index.js';
import zlib from 'node:zlib';
import { LocalStore, partialPath, reduceInputsPath, type OutputStore } from '../../src/storage/index.js';
import { inputLine } from '../../src/reduce/index.js';
import { ROOT } from '../helpers/cli.js';
import { jobRegistry, DEFAULT_JOB } from '../../jobs/index.js';
import { resolveJob } from '../../src/job/index.js';
import { readParquet } from '../helpers/parquet.js';
import { tempDir } from '../helpers/fixtures.js';

const job = resolveJob(jobRegistry, DEFAULT_JOB);
let work: string;
let input: ReduceInput;

/** A local store whose ranges arrive in `size`-byte chunks, yielding between chunks so that files interleave. */
class ChoppyStore extends LocalStore {
  chunks = 0;
  constructor(root: string, private readonly size: number) {
    super(root);
  }
  override async readRange(rel: string, offset: number, length: number, sink: (chunk: Buffer) => void): Promise<boolean> {
    const whole: Buffer[] = [];
    if (!(await super.readRange(rel, offset, length, (c) => whole.push(c)))) return false;
    const buf = Buffer.concat(whole);
    for (let at = 0; at < buf.length; at += this.size) {
      await tick();
      sink(buf.subarray(at, at + this.size));
      this.chunks++;
    }
    return true;
  }
}

beforeAll(async () => {
  work = await tempDir('reduce-ranges');
  // 6 files of 500 rows in 4 partitions: each file's object holds 4 gzip members back to back.
  input = await reduceInput(path.join(work, 'cache'), 3_000, 4, 11, () => undefined, 500);
}, 60_000);

afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

async function merge(store: OutputStore, first: number, count: number): Promise<Array<Array<Record<string, unknown>>>> {
  const results = await runReduceTask(
    { runId: input.runId, out: store.location, job: job.name, partitions: 4, first, count, inputs: reduceInputsPath(input.runId), inputsDigest: `${first}${count}${Date.now()}-${listDigest((await store.get(reduceInputsPath(input.runId)))!.toString('utf8'))}` },
    { job, store, memoryMb: 256, fetchConcurrency: 4 },
  );
  expect(results.map((r) => r.partition)).toEqual(Array.from({ length: count }, (_, i) => first + i));
  const out: Array<Array<Record<string, unknown>>> = [];
  for (const r of results) {
    expect(r.files).toBe(input.files);
    for (const o of r.outputs) out.push(await readParquet(path.join(input.storeDir, o.path)));
  }
  return out;
}

it('the partitions merged from chunks of 7 bytes (files interleaved) equal those merged from whole ranges', async () => {
  expect(input.files).toBe(6);
  // Partitions 1 and 2: each file's range starts after its first member and ends before its last.
  const whole = await merge(new LocalStore(input.storeDir), 1, 2);
  const choppy = new ChoppyStore(input.storeDir, 7);
  const chopped = await merge(choppy, 1, 2);
  expect(choppy.chunks).toBeGreaterThan(input.bytes / 4 / 7);
  expect(whole.map((rows) => rows.length)).toEqual(chopped.map((rows) => rows.length));
  expect(whole[0]!.length).toBeGreaterThan(500);
  expect(chopped).toEqual(whole);
}, 60_000);

/**
 * A partition's spool as a real run wrote it (26 files' gzip members of one partition, from a full-crawl-shaped
 * benchmark run): DuckDB's gzip reader, given these members back to back, reads 241 of the 697 rows and reports no
 * error. The reduce task must output all 697 (its spool is rewritten as one member, and its rows are counted).
 */
it('merges every row of a spool of many gzip members that DuckDB alone reads short', async () => {
  const fixture = path.join(ROOT, 'test/fixtures/reduce');
  const spool = await fsp.readFile(path.join(fixture, 'multi-member-spool.jsonl.gz'));
  const members = JSON.parse(await fsp.readFile(path.join(fixture, 'multi-member-spool.members.json'), 'utf8')) as Array<{ bytes: number; rows: number }>;
  const dir = path.join(work, 'multi-member');
  const store = new LocalStore(dir);
  const runId = 'mm';
  let at = 0;
  const list: string[] = [];
  for (const [i, m] of members.entries()) {
    const fileId = `f${String(i).padStart(6, '0')}-${'0'.repeat(10)}`;
    await store.put(partialPath(runId, fileId), spool.subarray(at, at + m.bytes));
    at += m.bytes;
    list.push(inputLine({ fileId, input: `file-${i}`, kind: 'wat', rows: m.rows, parts: [{ partition: 0, offset: 0, bytes: m.bytes, rows: m.rows, sha256: createHash('sha256').update(spool.subarray(at - m.bytes, at)).digest('hex') }], counters: {}, compressedBytes: 0, seconds: 0, attempt: 1 }));
  }
  expect(at).toBe(spool.length);
  await store.put(reduceInputsPath(runId), list.join(''));
  const want = zlib.gunzipSync(spool).toString('utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { source_url: string }).source_url).sort();
  expect(want).toHaveLength(697);
  const [result] = await runReduceTask(
    { runId, out: dir, job: job.name, partitions: 1, first: 0, count: 1, inputs: reduceInputsPath(runId), inputsDigest: `1-${listDigest(list.join(''))}` },
    { job, store, memoryMb: 256 },
  );
  const links = await readParquet(path.join(dir, result!.outputs.find((o) => o.output === 'links')!.path));
  expect(links.map((r) => String(r.source_url)).sort()).toEqual(want);
}, 60_000);
