/** The queue layer: BullMQ queue names, job data, Redis connections, a private redis-server. */
export * from './names.js';
export { connect, openQueue, openRedis, redisOptions, waitForRedis, RedisUnavailableError, REDIS_CONNECT_MILLIS } from './connection.js';
export { startRedisServer, type EmbeddedRedis } from './redis-server.js';
export { checkFileTask, checkReduceTask, TaskDataError } from './task-data.js';
export { readPrivateUrl, removePrivateUrl, savePrivateUrl } from './private-url.js';
export { recordCommitted, recordReduced, readLiveTotals, readRunUsage, type LiveTotals } from './progress.js';
