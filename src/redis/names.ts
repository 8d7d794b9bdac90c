/** Names and shapes shared by the coordinator and the workers through Redis (a run's own keys: run-record.ts). */

/** BullMQ key prefix for all WikiReverse queues. */
export const QUEUE_PREFIX = 'wikireverse';
/** Redis set of run ids that workers should serve. */
export const ACTIVE_RUNS_KEY = 'wikireverse:runs:active';

export function queueName(runId: string): string {
  return `run-${runId}`;
}

/** The queue of a run's reduce tasks (separate from its files, so file counts stay file counts). */
export function reduceQueueName(runId: string): string {
  return `reduce-${runId}`;
}

/** The data of one queued job: one input file of one run. Self-contained, so any worker can take it. */
export interface FileJobData {
  readonly runId: string;
  /** Stable id of the input within the run; names its partial output. */
  readonly fileId: string;
  /** Input location as listed (path or URL). */
  readonly input: string;
  /** Output store location (`--out`). */
  readonly out: string;
  /** Job definition name (registry key), e.g. `wikipedia-links`. */
  readonly job: string;
  readonly partitions: number;
  readonly maxRecordBytes: number;
  /**
   * Only these records of `input`, each [offset, length] and read with its own Range request (a selection through the
   * index, `run --where`); absent: the whole file.
   */
  readonly ranges?: ReadonlyArray<readonly [number, number]>;
  /** Read `input` from public addresses only (it came from a listing fetched over the network; storage/address-policy.ts). */
  readonly publicOnly?: true;
}

/** The data of one reduce task: a run of partitions, merged from the committed files listed in `inputs`. */
export interface ReduceTaskData {
  readonly runId: string;
  readonly out: string;
  readonly job: string;
  readonly partitions: number;
  /** First partition of the task, and how many (partitions first .. first + count - 1). */
  readonly first: number;
  readonly count: number;
  /** Path in the output store of the committed files' list (one `FileResult` per line). */
  readonly inputs: string;
  /** Identifies the set of files in `inputs`: a partition committed from another set is merged again. */
  readonly inputsDigest: string;
  /** The SHA-256 of the run's lookup commit record (`--titles`), when it has one: the merge joins it. */
  readonly lookup?: string;
  /** Buckets of the job's rollup outputs: each partition's rows of them are shuffled into these (absent: no rollups). */
  readonly buckets?: number;
}

/** The data of a rollup task: buckets first .. first + count - 1 of the run's rollup outputs, from every partition. */
export interface RollupTaskData {
  readonly runId: string;
  readonly out: string;
  readonly job: string;
  readonly partitions: number;
  readonly buckets: number;
  readonly first: number;
  readonly count: number;
  /** The partitions' inputs (their commit records must name it), and the run's lookup digest when it has one. */
  readonly inputsDigest: string;
  readonly lookup?: string;
}

/** The job id of the rollup task that starts at bucket `first`. */
export function rollupTaskId(first: number): string {
  return `rollup-${String(first).padStart(5, '0')}`;
}

/** The data of a run's lookup task (`--titles`): built from `source` before the map, partitioned as the run is. */
export interface LookupTaskData {
  readonly runId: string;
  readonly out: string;
  readonly job: string;
  readonly partitions: number;
  /** The source directory. */
  readonly source: string;
}

/** The job id of a run's lookup task, in its reduce queue (never a reduce task's: those start with `reduce-`). */
export const LOOKUP_TASK_ID = 'lookup';

/** The job id of the reduce task that starts at partition `first` (file ids start with `f`, so never collide). */
export function reduceTaskId(first: number): string {
  return `reduce-${String(first).padStart(5, '0')}`;
}
