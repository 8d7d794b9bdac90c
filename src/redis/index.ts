/** Everything the run keeps in Redis: BullMQ queue names and task data (checked), connections, a private redis-server, the run's record, its live totals and counts. */
export * from './names.js';
export { connect, openQueue, openRedis, redisOptions, waitForRedis, RedisUnavailableError, REDIS_CONNECT_MILLIS } from './connection.js';
export { startRedisServer, type EmbeddedRedis } from './redis-server.js';
export { checkFileTask, checkLookupTask, checkReduceTask, checkRollupTask, TaskDataError } from './task-data.js';
export { readPrivateUrl, removePrivateUrl, savePrivateUrl } from './private-url.js';
export { carryLiveTotals, recordCommitted, recordCommittedIds, recordReduced, readLiveTotals, readRunUsage, readCostUsd, type LiveTotals } from './live-totals.js';
export {
  costKey, liveTotalsKey, runKeys, listRunIds, readRunRecord, readRunStatus, createRunRecord, restoreRunRecord, setRunStatus,
  finishRunRecord, cancelRunRecord, hasFinished, isGoing, RUN_STATUSES, type RunStatus, type RunStart,
} from './run-record.js';
export { formatCounts, readReduceCounts, readRunCounts, type RunCounts } from './run-counts.js';
export { recordWorkerSeen, readWorkersSeen, WORKER_SEEN_INTERVAL_MILLIS, MAX_WORKERS_SEEN } from './workers-seen.js';
