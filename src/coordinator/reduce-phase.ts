/**
 * The coordinator's side of the aggregate: it never merges a row itself. When the map phase is settled it reads the
 * files' commit records (each partial's footer: one suffix-range GET; many in flight, nothing kept but counters), writes the reduce tasks' input list to the store,
 * enqueues one reduce task per run of partitions into the run's reduce queue (job id from the first partition, so a
 * task is never enqueued twice), waits until each is committed or failed, and reads the partitions' commit records.
 */
import type { Job, Queue } from 'bullmq';
import { formatCounts, readReduceCounts, reduceTaskId, rollupTaskId, type ReduceTaskData, type RollupTaskData } from '../redis/index.js';
import type { JobDefinition } from '../job/types.js';
import {
  partialPath, readCommit, reduceInputsPath, type FileResult, type OutputFile, type OutputStore,
} from '../storage/index.js';
import { mergeCounters } from '../extract/index.js';
import { committedBucket, committedPartition, forEachLimit, inputLine, LinesDigest, parseCommitRecord, rollupsOf } from '../reduce/index.js';
import { SETTINGS } from '../config/index.js';
import type { Manifest } from './manifest.js';
import { updateRunFiles, type FileCounts } from './run-files.js';
import { throwIfStopped, throwIfWorkersDead, type SettleOptions } from './settle.js';

/** Input files per partition when `--partitions` is not given (a WAT file gives ~600 links: ~1.2 M rows a partition). */
export const FILES_PER_PARTITION = 2000;
export const MAX_DEFAULT_PARTITIONS = SETTINGS.partitions.max; // the most a user may choose, too

/** The partitions of a run of `files` inputs when the user did not choose: one per 2,000 files, 1 to 256. */
export function defaultPartitions(files: number): number {
  return Math.min(MAX_DEFAULT_PARTITIONS, Math.max(1, Math.ceil(files / FILES_PER_PARTITION)));
}

/** Commit records read at once. */
const READ_CONCURRENCY = 32;

/**
 * Identifies a set of committed files whatever the order they are read in: their count and the digest of their lines
 * in the reduce list (LinesDigest: the reduce tasks check the list against it). A partition merged from another set
 * (before `resume --retry-failed` committed more files) is merged again.
 */
class InputsDigest {
  private readonly lines = new LinesDigest();
  private count = 0;
  add(line: string | null): void {
    if (line !== null) this.lines.add(line);
    this.count++;
  }
  toString(): string {
    return `${this.count}-${this.lines.toString()}`;
  }
}

/** A file's parts as they identify its bytes: partition, range, rows and checksum each. */
function partsKey(parts: unknown): string | null {
  if (!Array.isArray(parts)) return null;
  return JSON.stringify((parts as Array<Record<string, unknown>>).map((p) => [p.partition, p.offset, p.bytes, p.rows, p.sha256]));
}

/**
 * Reads every file's commit record (the store is the source of truth; a record that is not what the file's worker
 * reported through Redis, when Redis still holds its job's result, was changed in the store: it is removed and the
 * file failed, so `resume --retry-failed` maps it again), sets each file's outcome in the run's list,
 * sums the counters into the manifest, and writes the committed files' list for the reduce tasks. Returns the list's
 * counts and the digest of the committed set.
 */
export async function collectCommits(store: OutputStore, queue: Queue, manifest: Manifest): Promise<{ files: FileCounts; digest: string }> {
  const requeued = manifest.counters.files_requeued;
  manifest.counters = requeued ? { files_requeued: requeued } : {};
  const pending = await store.openWrite(reduceInputsPath(manifest.runId));
  const digest = new InputsDigest();
  const write = async (line: string): Promise<void> => {
    if (!pending.stream.write(line)) await new Promise((res) => pending.stream.once('drain', res));
  };
  try {
    const files = await updateRunFiles(store, manifest.runId, async (batch) => {
      const lines: string[] = [];
      await forEachLimit(batch, READ_CONCURRENCY, async (entry) => {
        const [marker, job] = await Promise.all([
          readCommit(store, partialPath(manifest.runId, entry.fileId)),
          queue.getJob(entry.fileId) as Promise<Job | undefined>,
        ]);
        let r: FileResult | null;
        let refused: string | null = null;
        try {
          if (marker && 'invalid' in marker) throw new Error(`the partial of ${entry.fileId}: ${marker.invalid}`);
          r = marker ? parseCommitRecord(marker, entry.fileId, manifest.settings.partitions) : null;
        } catch (err) {
          r = null;
          refused = `${(err as Error).message} (not what a worker writes)`;
        }
        const reported = partsKey((job?.returnvalue as { parts?: unknown } | undefined)?.parts);
        if (r && reported !== null && partsKey(r.parts) !== reported) refused = 'its commit record in the store is not what its worker reported (changed in the store after the commit)';
        if (refused !== null) {
          // Not the run's record: the object is removed, so the file is not counted as committed and a resume maps it again.
          await store.remove(partialPath(manifest.runId, entry.fileId));
          entry.status = 'failed';
          entry.attempts = job?.attemptsMade ?? entry.attempts ?? 0;
          entry.error = `${refused}; \`wikireverse resume ${manifest.runId} --retry-failed\` redoes it`;
        } else if (r) {
          mergeCounters(manifest.counters, r.counters);
          Object.assign(entry, { status: 'done', rows: r.rows, kind: r.kind, seconds: r.seconds, attempts: Math.max(r.attempt, job?.attemptsMade ?? 0) });
          delete entry.error;
          const line = r.parts.length > 0 ? inputLine(r) : null;
          digest.add(line);
          if (line !== null) lines.push(line);
        } else {
          entry.status = 'failed';
          entry.attempts = job?.attemptsMade ?? entry.attempts ?? 0;
          entry.error = job?.failedReason || entry.error || 'not committed';
        }
      });
      for (const line of lines) await write(line);
    });
    await pending.commit();
    return { files, digest: digest.toString() };
  } catch (err) {
    await pending.abort().catch(() => undefined);
    throw err;
  }
}

/** Buckets of the job's rollup outputs: one a reduce task (a rollup task each), none when the job has no rollups. */
export function rollupBuckets(manifest: Manifest, job: JobDefinition): number {
  return rollupsOf(job, manifest.lookup !== undefined).length > 0 ? reduceTasks(manifest).length : 0;
}

function reduceJob(manifest: Manifest, first: number, count: number, inputsDigest: string, buckets: number): { name: string; data: ReduceTaskData; opts: Record<string, unknown> } {
  const s = manifest.settings;
  return {
    name: 'reduce',
    data: {
      runId: manifest.runId, out: s.out, job: s.job, partitions: s.partitions, first, count, inputs: reduceInputsPath(manifest.runId), inputsDigest,
      ...(manifest.lookup ? { lookup: manifest.lookup.digest } : {}), ...(buckets > 0 ? { buckets } : {}),
    },
    opts: { jobId: reduceTaskId(first), attempts: s.attempts, backoff: { type: 'exponential', delay: s.backoffMillis }, removeOnComplete: false, removeOnFail: false },
  };
}

/** The reduce tasks of a run: [first partition, count] each. */
export function reduceTasks(manifest: Manifest): Array<[number, number]> {
  const per = Math.max(1, manifest.settings.reduceTaskPartitions ?? SETTINGS.reduceTaskPartitions.default);
  const out: Array<[number, number]> = [];
  for (let first = 0; first < manifest.settings.partitions; first += per) out.push([first, Math.min(per, manifest.settings.partitions - first)]);
  return out;
}

/**
 * Enqueues the reduce tasks that still have an uncommitted partition. A task's job that completed or failed in an earlier
 * session (without all its commits) is removed and added again; one waiting or active is left alone. Returns the number added.
 */
export async function enqueueReduce(queue: Queue, store: OutputStore, manifest: Manifest, inputsDigest: string, buckets: number): Promise<number> {
  let added = 0;
  for (const [first, count] of reduceTasks(manifest)) {
    let open = false;
    for (let p = first; p < first + count && !open; p++) open = (await committedPartition(store, manifest.runId, p, inputsDigest, buckets)) === null;
    if (!open) continue;
    const job = await queue.getJob(reduceTaskId(first));
    if (job) {
      const state = await job.getState();
      if (state !== 'completed' && state !== 'failed') continue;
      await job.remove();
    }
    const j = reduceJob(manifest, first, count, inputsDigest, buckets);
    await queue.add(j.name, j.data, j.opts);
    added++;
  }
  return added;
}

/** Enqueues the rollup tasks (one a bucket) that have a bucket not committed from `inputsDigest`; returns how many. */
export async function enqueueRollups(queue: Queue, store: OutputStore, manifest: Manifest, inputsDigest: string, buckets: number): Promise<number> {
  const s = manifest.settings;
  let added = 0;
  for (let b = 0; b < buckets; b++) {
    if (await committedBucket(store, manifest.runId, b, inputsDigest)) continue;
    const job = await queue.getJob(rollupTaskId(b));
    if (job) {
      const state = await job.getState();
      if (state !== 'completed' && state !== 'failed') continue;
      await job.remove();
    }
    const data: RollupTaskData = {
      runId: manifest.runId, out: s.out, job: s.job, partitions: s.partitions, buckets, first: b, count: 1, inputsDigest,
      ...(manifest.lookup ? { lookup: manifest.lookup.digest } : {}),
    };
    await queue.add('rollup', data, { jobId: rollupTaskId(b), attempts: s.attempts, backoff: { type: 'exponential', delay: s.backoffMillis }, removeOnComplete: false, removeOnFail: false });
    added++;
  }
  return added;
}

/** What the commit records of a phase's units (partitions, rollup buckets) add up to, and the units not committed. */
export interface Collected {
  readonly outputs: OutputFile[];
  readonly totals: Record<string, number>;
  readonly counters: Record<string, number>;
  readonly missing: number[];
}

async function collect(units: number, read: (i: number) => Promise<{ outputs: readonly OutputFile[]; counters: Record<string, number> } | null>): Promise<Collected> {
  const c: Collected = { outputs: [], totals: {}, counters: {}, missing: [] };
  for (let i = 0; i < units; i++) {
    const r = await read(i);
    if (!r) {
      c.missing.push(i);
      continue;
    }
    mergeCounters(c.counters, r.counters);
    for (const o of r.outputs) {
      c.outputs.push(o);
      c.totals[o.output] = (c.totals[o.output] ?? 0) + o.rows;
    }
  }
  return c;
}

/** The buckets' commit records: their outputs and counters, and the buckets not committed. */
export async function collectRollups(store: OutputStore, manifest: Manifest, inputsDigest: string, buckets: number): Promise<Collected> {
  return collect(buckets, (b) => committedBucket(store, manifest.runId, b, inputsDigest));
}

/** The file wait's options, less the store and the progress display (the reduce phase prints plain lines). */
export type ReduceWaitOptions = Pick<SettleOptions, 'queue' | 'redis' | 'manifest' | 'pollMillis' | 'started' | 'say' | 'workersAlive' | 'interrupted'> & {
  /** The tasks shown as the total. @default the run's reduce tasks */
  readonly tasks?: number;
};

/** Polls the reduce queue until no task is waiting or active (cancel and interrupt are seen within a poll). */
export async function waitForReduce(o: ReduceWaitOptions): Promise<void> {
  const total = o.tasks ?? reduceTasks(o.manifest).length;
  let lastCounts = '';
  for (;;) {
    await throwIfStopped(o.redis, o.manifest.runId, o.interrupted);
    const counts = await readReduceCounts(o.queue, total);
    const shown = JSON.stringify(counts);
    if (shown !== lastCounts) {
      o.say(formatCounts('reduce tasks', counts, Date.now() - o.started));
      lastCounts = shown;
    }
    if (counts.waiting + counts.active === 0) return;
    throwIfWorkersDead(o.workersAlive);
    await new Promise((r) => setTimeout(r, o.pollMillis));
  }
}

/** The partitions' commit records: outputs, row totals, the reduce tasks' counters, and the partitions not committed. */
export async function collectReduce(store: OutputStore, manifest: Manifest, inputsDigest: string): Promise<Collected> {
  return collect(manifest.settings.partitions, (p) => committedPartition(store, manifest.runId, p, inputsDigest));
}

/** The rollup phase: its tasks enqueued (one a bucket), waited for, and their commit records collected. */
export async function rollUp(o: ReduceWaitOptions, store: OutputStore, job: JobDefinition, inputsDigest: string, buckets: number): Promise<Collected> {
  const rolling = await enqueueRollups(o.queue, store, o.manifest, inputsDigest, buckets);
  const names = rollupsOf(job, o.manifest.lookup !== undefined).map((r) => r.name).join(', ');
  o.say(`run ${o.manifest.runId}: rolling up ${buckets} buckets of ${names} (${rolling} rollup tasks to run)`);
  await waitForReduce({ ...o, tasks: reduceTasks(o.manifest).length + buckets });
  return collectRollups(store, o.manifest, inputsDigest, buckets);
}
