/**
 * A run's input files and what became of each: `<runId>/files.jsonl.gz`, one JSON line per file in listing order,
 * gzipped (63,560 Common Crawl paths: about 1.6 MB). The manifest keeps only their counts, so it stays small at any
 * run size, and no process holds the list: it is read and rewritten in batches of `FILE_BATCH` files.
 */
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { filesPath, type OutputStore } from '../storage/index.js';

export type FileStatus = 'pending' | 'done' | 'failed';

/** One input file of a run. */
export interface RunFile {
  readonly fileId: string;
  readonly input: string;
  status: FileStatus;
  attempts?: number;
  rows?: number;
  kind?: string;
  seconds?: number;
  error?: string;
  /** Only these records of `input` ([offset, length], a selection through the index); absent: the whole file. */
  ranges?: ReadonlyArray<readonly [number, number]>;
}

/** The manifest's summary of the list. `pending` is total - done - failed. */
export interface FileCounts {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  /** Files (done or failed) that took more than one attempt. */
  readonly retried: number;
  /** Of those, the ones that were committed in the end. */
  readonly retriedDone: number;
  /** Worker seconds spent on committed files. */
  readonly workerSeconds: number;
}

/** Files read, written or enqueued at once. */
export const FILE_BATCH = 1000;

const FILE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const STATUSES: ReadonlySet<string> = new Set<FileStatus>(['pending', 'done', 'failed']);
/** A line's limit: a file, or a task of up to a few thousand records ([offset, length] each). */
const MAX_LINE = 256 * 1024;

class CountsBuilder {
  total = 0;
  done = 0;
  failed = 0;
  retried = 0;
  retriedDone = 0;
  workerSeconds = 0;
  add(f: RunFile): void {
    this.total++;
    if (f.status === 'done') {
      this.done++;
      this.workerSeconds += f.seconds ?? 0;
    } else if (f.status === 'failed') this.failed++;
    if ((f.attempts ?? 1) > 1 && f.status !== 'pending') {
      this.retried++;
      if (f.status === 'done') this.retriedDone++;
    }
  }
  toJSON(): FileCounts {
    const { total, done, failed, retried, retriedDone } = this;
    return { total, done, failed, retried, retriedDone, workerSeconds: Math.round(this.workerSeconds * 1000) / 1000 };
  }
}

export function pendingOf(c: FileCounts): number {
  return c.total - c.done - c.failed;
}

/** Checks one line of the list: it must be what `writeRunFiles` writes. */
function parseLine(line: string, lineNo: number, where: string): RunFile {
  const bad = (why: string): Error => new Error(`${where} line ${lineNo}: ${why}`);
  if (line.length > MAX_LINE) throw bad('line too long');
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw bad('not JSON');
  }
  const f = (v ?? {}) as Record<string, unknown>;
  if (typeof f.fileId !== 'string' || !FILE_ID.test(f.fileId)) throw bad('bad file id');
  if (typeof f.input !== 'string' || f.input === '') throw bad('bad input');
  if (typeof f.status !== 'string' || !STATUSES.has(f.status)) throw bad('bad status');
  const out: RunFile = { fileId: f.fileId, input: f.input, status: f.status as FileStatus };
  for (const k of ['attempts', 'rows', 'seconds'] as const) if (typeof f[k] === 'number' && Number.isFinite(f[k]) && f[k] >= 0) out[k] = f[k];
  if (typeof f.kind === 'string') out.kind = f.kind;
  if (typeof f.error === 'string') out.error = f.error;
  if (f.ranges !== undefined) {
    const ok = Array.isArray(f.ranges) && f.ranges.length > 0 && (f.ranges as unknown[]).every((r) =>
      Array.isArray(r) && r.length === 2 && r.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) && (r[1] as number) > 0);
    if (!ok) throw bad('bad ranges');
    out.ranges = f.ranges as Array<[number, number]>;
  }
  return out;
}

/** Writes the list (replacing any earlier one; it appears whole) and returns its counts. */
export async function writeRunFiles(store: OutputStore, runId: string, files: Iterable<RunFile> | AsyncIterable<readonly RunFile[]>): Promise<FileCounts> {
  const pending = await store.openWrite(filesPath(runId));
  const gzip = createGzip();
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('error', reject);
    pending.stream.on('error', reject);
    pending.stream.on('finish', resolve);
  });
  gzip.pipe(pending.stream);
  const counts = new CountsBuilder();
  const write = async (f: RunFile): Promise<void> => {
    counts.add(f);
    if (!gzip.write(JSON.stringify(f) + '\n')) await new Promise((r) => gzip.once('drain', r));
  };
  try {
    if (Symbol.asyncIterator in files) {
      for await (const batch of files) for (const f of batch) await write(f);
    } else for (const f of files) await write(f);
    gzip.end();
    await done;
    await pending.commit();
  } catch (err) {
    gzip.destroy();
    await pending.abort().catch(() => undefined);
    throw err;
  }
  return counts.toJSON();
}

/** The list in batches of up to `FILE_BATCH` files, in order. Throws when the run has no list or a line is not one of ours. */
export async function* readRunFiles(store: OutputStore, runId: string): AsyncGenerator<RunFile[]> {
  const where = `${store.location}/${filesPath(runId)}`;
  const buf = await store.get(filesPath(runId));
  if (!buf) throw new Error(`${where} is missing: the run's list of input files`);
  const lines = createInterface({ input: Readable.from([buf]).pipe(createGunzip()), crlfDelay: Infinity });
  let batch: RunFile[] = [];
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line === '') continue;
      batch.push(parseLine(line, lineNo, where));
      if (batch.length >= FILE_BATCH) {
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(where)) throw err;
    throw new Error(`${where}: cannot read it (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  } finally {
    lines.close();
  }
  if (batch.length > 0) yield batch;
}

/** Reads the list, lets `update` change each batch in place, and writes it back; returns the new counts. */
export async function updateRunFiles(store: OutputStore, runId: string, update: (batch: RunFile[]) => Promise<void> | void): Promise<FileCounts> {
  async function* updated(): AsyncGenerator<RunFile[]> {
    for await (const batch of readRunFiles(store, runId)) {
      await update(batch);
      yield batch;
    }
  }
  return writeRunFiles(store, runId, updated());
}

/** The files of the list that `keep` selects (for reports: the failed ones, the retried ones). */
export async function selectRunFiles(store: OutputStore, runId: string, keep: (f: RunFile) => boolean): Promise<RunFile[]> {
  const out: RunFile[] = [];
  for await (const batch of readRunFiles(store, runId)) for (const f of batch) if (keep(f)) out.push(f);
  return out;
}
