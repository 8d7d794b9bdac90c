/** Names and shapes shared by the coordinator and the workers through Redis. */

/** BullMQ key prefix for all WikiReverse queues. */
export const QUEUE_PREFIX = 'wikireverse';
/** Redis set of run ids that workers should serve. */
export const ACTIVE_RUNS_KEY = 'wikireverse:runs:active';

export function queueName(runId: string): string {
  return `run-${runId}`;
}

export function runKey(runId: string): string {
  return `wikireverse:run:${runId}`;
}

/** Hash of live totals over a run's committed files (`files`, `pages`, `rows`, `bytes`, `workerMillis`), for progress displays. */
export function progressKey(runId: string): string {
  return `wikireverse:run:${runId}:progress`;
}

/** Set of the file ids already counted in `progressKey` (a file committed twice is counted once). */
export function progressFilesKey(runId: string): string {
  return `wikireverse:run:${runId}:progress:files`;
}

/** Hash kept by the cost ledger (src/cost); field `totalUsd` is the run's cost so far. */
export function costKey(runId: string): string {
  return `wikireverse:run:${runId}:cost`;
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
}

/** What a worker returns for a committed file (also stored as its `_SUCCESS.json`). */
export interface FileResult {
  readonly fileId: string;
  readonly input: string;
  readonly kind: string;
  readonly rows: number;
  /** Rows per partition index; partitions without rows are absent. */
  readonly partitionRows: Record<string, number>;
  readonly counters: Record<string, number>;
  readonly compressedBytes: number;
  readonly seconds: number;
  readonly attempt: number;
  /** CPU seconds the worker process used for this file (user + system; set by the worker, not in `_SUCCESS.json`). */
  readonly cpuSeconds?: number;
}
