/**
 * What a worker accepts of a task read back from Redis: the shape the coordinator wrote, for the run whose queue it came
 * from, writing under the output location the run registered (its run hash), nothing else. Redis is shared with other
 * processes; a task that does not pass fails at once, for good, naming what is wrong.
 */
import type { FileJobData, LookupTaskData, ReduceTaskData, RollupTaskData } from './names.js';

/** A task that is not one the run's coordinator could have written. */
export class TaskDataError extends Error {
  override readonly name = 'TaskDataError';
}

const FILE_ID = /^f\d{6,}-[0-9a-f]{10}$/;
const JOB_NAME = /^[a-z][a-z0-9-]{0,63}$/;
const SHA256 = /^[0-9a-f]{64}$/;
/** Largest payload a task may ask a worker to read per record (the setting's ceiling). */
const MAX_RECORD_BYTES = 1 << 30;

type Fields = Record<string, unknown>;

function str(d: Fields, k: string, re?: RegExp): string {
  const v = d[k];
  if (typeof v !== 'string' || v.length === 0 || v.length > 4096 || /[\x00-\x1f]/.test(v) || (re && !re.test(v))) {
    throw new TaskDataError(`task field ${k} is not valid`);
  }
  return v;
}

function int(d: Fields, k: string, min: number, max: number): number {
  const v = d[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new TaskDataError(`task field ${k} is not an integer in ${min}..${max}`);
  return v;
}

function common(raw: unknown, runId: string, out: string | undefined): Fields {
  if (typeof raw !== 'object' || raw === null) throw new TaskDataError('task data is not an object');
  const d = raw as Fields;
  if (d.runId !== runId) throw new TaskDataError(`task names run ${JSON.stringify(d.runId)}, but came from the queue of run ${runId}`);
  if (out === undefined) throw new TaskDataError(`run ${runId} has no registered output location in Redis (not started by a coordinator)`);
  if (d.out !== out) throw new TaskDataError(`task writes to ${JSON.stringify(d.out)}, not to the run's output location`);
  str(d, 'job', JOB_NAME);
  return d;
}

/** Records per task at most (the coordinator's groups are smaller), and a record's largest length. */
export const MAX_TASK_RANGES = 10_000;
const MAX_RANGE_BYTES = 1 << 30;

function checkRanges(v: unknown): void {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_TASK_RANGES) throw new TaskDataError(`task field ranges is not a list of 1..${MAX_TASK_RANGES} records`);
  for (const r of v as unknown[]) {
    const [o, l] = Array.isArray(r) && r.length === 2 ? (r as unknown[]) : [];
    if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0 || typeof l !== 'number' || !Number.isInteger(l) || l < 1 || l > MAX_RANGE_BYTES) {
      throw new TaskDataError('task field ranges holds a record that is not [offset, length]');
    }
  }
}

/** A file task of run `runId` whose registered output location is `out`. */
export function checkFileTask(raw: unknown, runId: string, out: string | undefined): FileJobData {
  const d = common(raw, runId, out);
  str(d, 'fileId', FILE_ID);
  str(d, 'input');
  int(d, 'partitions', 1, 4096);
  int(d, 'maxRecordBytes', 1, MAX_RECORD_BYTES);
  if (d.ranges !== undefined) checkRanges(d.ranges);
  if (d.publicOnly !== undefined && d.publicOnly !== true) throw new TaskDataError('task field publicOnly is not true');
  return d as unknown as FileJobData;
}

/** A reduce task of run `runId`, reading its run's own list of committed files. */
export function checkReduceTask(raw: unknown, runId: string, out: string | undefined, inputsPath: string): ReduceTaskData {
  const d = common(raw, runId, out);
  const partitions = int(d, 'partitions', 1, 4096);
  const first = int(d, 'first', 0, partitions - 1);
  int(d, 'count', 1, partitions - first);
  if (d.inputs !== inputsPath) throw new TaskDataError(`reduce task reads ${JSON.stringify(d.inputs)}, not the run's list of committed files`);
  str(d, 'inputsDigest', /^\d+-[0-9a-f]{16}$/);
  if (d.lookup !== undefined) str(d, 'lookup', SHA256);
  if (d.buckets !== undefined) int(d, 'buckets', 1, 4096);
  return d as unknown as ReduceTaskData;
}

/** A rollup task of run `runId`: a run of its buckets, from the partitions merged from one set of files. */
export function checkRollupTask(raw: unknown, runId: string, out: string | undefined): RollupTaskData {
  const d = common(raw, runId, out);
  int(d, 'partitions', 1, 4096);
  const buckets = int(d, 'buckets', 1, 4096);
  const first = int(d, 'first', 0, buckets - 1);
  int(d, 'count', 1, buckets - first);
  str(d, 'inputsDigest', /^\d+-[0-9a-f]{16}$/);
  if (d.lookup !== undefined) str(d, 'lookup', SHA256);
  return d as unknown as RollupTaskData;
}

/** The lookup task of run `runId`, building from the source the run registered (`source`, from its run record). */
export function checkLookupTask(raw: unknown, runId: string, out: string | undefined, source: string | undefined): LookupTaskData {
  const d = common(raw, runId, out);
  int(d, 'partitions', 1, 4096);
  if (source === undefined || d.source !== source) throw new TaskDataError(`lookup task reads ${JSON.stringify(d.source)}, not the source its run registered`);
  return d as unknown as LookupTaskData;
}
