/**
 * The measured work of one benchmark variant, run in its own process so that its peak RSS is its own:
 *   node dist/src/bench/child.js '<ChildTask JSON>'
 * Prints one JSON line (ChildReport) on stdout. Timing covers the work only, not node's start-up.
 */
import fsp from 'node:fs/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Session } from 'node:inspector/promises';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { jobRegistry, DEFAULT_JOB } from '../../jobs/index.js';
import { resolveJob } from '../job/index.js';
import { scanInput, formatRow } from '../extract/index.js';
import { inflateFor, inputRecords, type Inflate, type InflateChoice } from '../warc/index.js';
import { processFile } from '../worker/index.js';
import { listDigest, lookupDigest, parseCommitRecord, runLookupTask, runReduceTask } from '../reduce/index.js';
import { ExitCode } from '../exit-codes.js';
import {
  IoSession, LocalStore, fileIdOfPartial, ioSettingsFromConfig, readCommit, openLocalInput, outputDir, partialsDir, reduceCommitPath, reduceInputsPath, INPUT_CHUNK_BYTES,
  lookupCommitPath, lookupDir,
} from '../storage/index.js';
import { loadConfig } from '../config/index.js';

/** What the reading variants inflate with. @default the WIKIREVERSE_INFLATE setting's */
interface InflateTask {
  readonly inflate?: InflateChoice;
}

export type ChildTask =
  | { readonly variant: 'gunzip'; readonly files: readonly string[] }
  /** The record reader alone: every record framed and its payload read (up to the limit), no job. */
  | ({ readonly variant: 'reader'; readonly files: readonly string[]; readonly maxRecordBytes: number } & InflateTask)
  | ({ readonly variant: 'extract'; readonly files: readonly string[]; readonly maxRecordBytes: number } & InflateTask)
  | (InflateTask & {
      readonly variant: 'worker';
      readonly files: readonly string[];
      readonly maxRecordBytes: number;
      readonly partitions: number;
      /** Files read first, untimed: a worker process that has been running a while (its code compiled by the JIT). */
      readonly warmup?: readonly string[];
      /** After the warm-up, print `ready` and wait for a line on stdin before the timed work (several workers start together). */
      readonly barrier?: boolean;
      /** Write a V8 CPU profile of the timed work (not start-up or warm-up) to this `.cpuprofile` file. */
      readonly profileFile?: string;
    })
  /** With `lookup`: the merge joins the run's titles lookup (built by a `lookup` task into the same store). */
  | { readonly variant: 'reduce'; readonly storeDir: string; readonly runId: string; readonly partitions: number; readonly memoryMb: number; readonly lookup?: boolean }
  /** The titles lookup of a run built from the dump files of `source` (a fresh build: an earlier one is removed first). */
  | { readonly variant: 'lookup'; readonly storeDir: string; readonly runId: string; readonly partitions: number; readonly memoryMb: number; readonly source: string };

export interface ChildReport {
  readonly seconds: number;
  /** user + system CPU seconds of the whole process (all threads: zlib runs on the libuv pool). */
  readonly cpuSeconds: number;
  readonly maxRssMb: number;
  /** HTML pages seen (the job's `pages` counter); 0 for gunzip, reader and reduce. */
  readonly pages: number;
  /** Rows (extract, worker, reduce), records (reader). */
  readonly rows: number;
  /** Uncompressed bytes (gunzip), payload bytes (reader), output bytes (extract), rows written (reduce): variant-specific. */
  readonly bytes: number;
  /** What inflated the input (reader, extract, worker). */
  readonly inflate?: string | undefined;
}

async function gunzipOnly(files: readonly string[]): Promise<{ bytes: number }> {
  let bytes = 0;
  for (const file of files) {
    const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 });
    fs.createReadStream(file, { highWaterMark: INPUT_CHUNK_BYTES }).pipe(gunzip);
    for await (const chunk of gunzip) bytes += (chunk as Buffer).length;
  }
  return { bytes };
}

async function reader(files: readonly string[], maxRecordBytes: number, inflate: Inflate): Promise<{ rows: number; bytes: number }> {
  let records = 0;
  let bytes = 0;
  for (const file of files) {
    const input = await inputRecords(await openLocalInput(file), { maxMemberBytes: Math.max(maxRecordBytes * 4, 64 << 20), inflate, onDamage: () => undefined });
    for await (const batch of input.batches) {
      for (const item of batch) {
        const rec = item instanceof Promise ? await item : item;
        const view = rec.readSync ? rec.readSync(maxRecordBytes) : await rec.read(maxRecordBytes);
        records++;
        bytes += view.payload.length;
      }
    }
  }
  return { rows: records, bytes };
}

async function extract(files: readonly string[], maxRecordBytes: number, inflate: Inflate): Promise<{ pages: number; rows: number; bytes: number }> {
  const job = resolveJob(jobRegistry, DEFAULT_JOB);
  let pages = 0;
  let rows = 0;
  let bytes = 0;
  for (const file of files) {
    const result = await scanInput(await openLocalInput(file), job, { inputName: file, maxRecordBytes, inflate }, (row) => {
      bytes += formatRow('jsonl', job.columns, row).length; // the work `extract` does per row, without the terminal
    });
    pages += result.counters.get('pages');
    rows += result.rows;
  }
  return { pages, rows, bytes };
}

async function worker(files: readonly string[], maxRecordBytes: number, partitions: number, io: IoSession, inflate: Inflate): Promise<{ pages: number; rows: number; bytes: number }> {
  const job = resolveJob(jobRegistry, DEFAULT_JOB);
  const out = await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-bench-out-'));
  let pages = 0;
  let rows = 0;
  try {
    const store = new LocalStore(out);
    for (const [i, file] of files.entries()) {
      const result = await processFile(
        { runId: 'bench', fileId: `f${i}`, input: file, out, job: job.name, partitions, maxRecordBytes },
        job,
        store,
        1,
        io,
        undefined,
        inflate,
      );
      pages += result.counters['pages'] ?? 0;
      rows += result.rows;
    }
  } finally {
    await fsp.rm(out, { recursive: true, force: true });
  }
  return { pages, rows, bytes: 0 };
}

/** The lookup task as a worker runs it; rows: the lookup's rows, bytes: the dump files' SQL bytes are not known here (0). */
async function lookup(task: Extract<ChildTask, { variant: 'lookup' }>): Promise<{ pages: number; rows: number; bytes: number }> {
  const job = resolveJob(jobRegistry, DEFAULT_JOB);
  if (!job.lookup) throw new Error(`job ${job.name} has no lookup`);
  const store = new LocalStore(task.storeDir);
  await store.removePrefix(lookupDir(task.runId, job.lookup.name));
  const r = await runLookupTask({ runId: task.runId, out: task.storeDir, job: job.name, partitions: task.partitions, source: task.source }, { lookup: job.lookup, store, memoryMb: task.memoryMb });
  return { pages: 0, rows: r.rows, bytes: r.parts.reduce((n, p) => n + p.bytes, 0) };
}

async function reduce(task: Extract<ChildTask, { variant: 'reduce' }>): Promise<{ pages: number; rows: number; bytes: number }> {
  const job = resolveJob(jobRegistry, DEFAULT_JOB);
  const store = new LocalStore(task.storeDir);
  let rows = 0;
  for (const p of await store.list(partialsDir(task.runId))) {
    const fileId = fileIdOfPartial(task.runId, p);
    if (fileId === null) continue;
    // Read as the coordinator reads it: through the commit records' schema.
    const commit = await readCommit(store, p);
    if (commit && 'invalid' in commit) throw new Error(`${p}: ${commit.invalid}`);
    if (commit) rows += parseCommitRecord(commit, fileId, task.partitions).rows;
  }
  // The outputs and partition commit records of an earlier measurement (a committed partition is not merged again).
  const clear = async (): Promise<void> => {
    for (const name of [job.rowsOutput, ...job.derived.map((d) => d.name)]) await store.removePrefix(outputDir(task.runId, name));
    for (let p = 0; p < task.partitions; p++) await store.removePrefix(reduceCommitPath(task.runId, p));
  };
  await clear();
  try {
    // One reduce task over every partition, as a worker runs it (with the run's lookup, when asked).
    const lookupRecord = task.lookup && job.lookup ? await store.get(lookupCommitPath(task.runId, job.lookup.name)) : null;
    if (task.lookup && !lookupRecord) throw new Error('no lookup built in the store: run the lookup variant first');
    const results = await runReduceTask(
      {
        runId: task.runId, out: task.storeDir, job: job.name, partitions: task.partitions, first: 0, count: task.partitions, inputs: reduceInputsPath(task.runId),
        inputsDigest: `1-${listDigest((await store.get(reduceInputsPath(task.runId)))?.toString('utf8') ?? '')}`, ...(lookupRecord ? { lookup: lookupDigest(lookupRecord) } : {}),
      },
      { job, store, memoryMb: task.memoryMb },
    );
    const merged = results.reduce((n, r) => n + (r.outputs.find((o) => o.output === job.rowsOutput)?.rows ?? 0), 0);
    return { pages: 0, rows, bytes: merged };
  } finally {
    await clear();
  }
}

/** Starts the inspector's sampling profiler in this process; `stop` writes the profile to `file`. */
async function startProfile(file: string): Promise<{ stop(): Promise<void> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await fsp.mkdir(path.dirname(file), { recursive: true });
      await fsp.writeFile(file, JSON.stringify(profile));
    },
  };
}

/** Prints `ready` and resolves at the first line on stdin. */
function barrier(): Promise<void> {
  process.stdout.write('ready\n');
  return new Promise((resolve) => {
    process.stdin.once('data', () => {
      process.stdin.pause();
      resolve();
    });
  });
}

/**
 * Runs one task; `io` is the storage session of the worker variant (its inputs are local files), `inflate` what the
 * reading variants inflate with when the task names none.
 */
export async function runTask(task: ChildTask, io: IoSession, inflateChoice: InflateChoice): Promise<ChildReport> {
  const inflate = inflateFor('inflate' in task ? (task.inflate ?? inflateChoice) : inflateChoice).inflate;
  if (task.variant === 'worker' && task.warmup?.length) await worker(task.warmup, task.maxRecordBytes, task.partitions, io, inflate);
  if (task.variant === 'worker' && task.barrier) await barrier();
  const profiling = task.variant === 'worker' && task.profileFile ? await startProfile(task.profileFile) : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let r: { pages?: number; rows?: number; bytes: number };
  let seconds: number;
  let cpu: NodeJS.CpuUsage;
  try {
    switch (task.variant) {
      case 'gunzip': r = await gunzipOnly(task.files); break;
      case 'reader': r = await reader(task.files, task.maxRecordBytes, inflate); break;
      case 'extract': r = await extract(task.files, task.maxRecordBytes, inflate); break;
      case 'worker': r = await worker(task.files, task.maxRecordBytes, task.partitions, io, inflate); break;
      case 'reduce': r = await reduce(task); break;
      case 'lookup': r = await lookup(task); break;
    }
    seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    cpu = process.cpuUsage(cpu0);
  } finally {
    await profiling?.stop();
  }
  return {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    pages: r.pages ?? 0,
    rows: r.rows ?? 0,
    bytes: r.bytes,
    inflate: task.variant === 'gunzip' || task.variant === 'reduce' || task.variant === 'lookup' ? undefined : inflate.name,
  };
}

const VARIANTS = ['gunzip', 'reader', 'extract', 'worker', 'reduce', 'lookup'] as const;
const INFLATES: readonly InflateChoice[] = ['auto', 'libdeflate', 'zlib'];

/** The one schema the task on argv goes through (the bench writes it; checked all the same): a ChildTask, or an error. */
export function parseChildTask(text: string): ChildTask {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error('the task is not JSON');
  }
  const t = (v ?? {}) as Record<string, unknown>;
  const bad = (what: string): Error => new Error(`not a bench task: ${what}`);
  const files = (k: string): boolean => t[k] === undefined || (Array.isArray(t[k]) && (t[k] as unknown[]).every((f) => typeof f === 'string'));
  const int = (k: string): boolean => Number.isSafeInteger(t[k]) && (t[k] as number) > 0;
  if (typeof t !== 'object' || !VARIANTS.includes(t['variant'] as (typeof VARIANTS)[number])) throw bad('unknown variant');
  if (t['variant'] === 'reduce' || t['variant'] === 'lookup') {
    if (typeof t['storeDir'] !== 'string' || typeof t['runId'] !== 'string' || !int('partitions') || !int('memoryMb')) throw bad(`a ${t['variant']} task needs storeDir, runId, partitions, memoryMb`);
    if (t['variant'] === 'lookup' && typeof t['source'] !== 'string') throw bad('a lookup task needs its source');
    if (t['lookup'] !== undefined && typeof t['lookup'] !== 'boolean') throw bad('lookup is not a boolean');
    return t as unknown as ChildTask;
  }
  if (!Array.isArray(t['files']) || !files('files') || !files('warmup')) throw bad('files are not a list of paths');
  if (t['variant'] !== 'gunzip' && !int('maxRecordBytes')) throw bad('no maxRecordBytes');
  if (t['variant'] === 'worker' && !int('partitions')) throw bad('no partitions');
  if (t['inflate'] !== undefined && !INFLATES.includes(t['inflate'] as InflateChoice)) throw bad('unknown inflate');
  if (t['profileFile'] !== undefined && typeof t['profileFile'] !== 'string') throw bad('profileFile is not a path');
  return t as unknown as ChildTask;
}

const invoked = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invoked) {
  // This process's configuration, read once here (its task on argv carries no settings: argv is public).
  const config = loadConfig();
  const io = new IoSession(ioSettingsFromConfig(config));
  Promise.resolve().then(() => runTask(parseChildTask(process.argv[2] ?? ''), io, config.inflate)).then(
    (report) => process.stdout.write(`${JSON.stringify(report)}\n`),
    (err: unknown) => {
      process.stderr.write(`bench child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = ExitCode.Failed;
    },
  ).finally(() => io.close());
}
