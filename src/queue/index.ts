/** The queue layer: BullMQ queue names, job data, Redis connections, a private redis-server. */
export * from './names.js';
export { connect, redisOptions, waitForRedis } from './connection.js';
export { startRedisServer, type EmbeddedRedis } from './redis-server.js';
export { recordCommitted, recordReduced, readLiveTotals, readRunUsage, type LiveTotals } from './progress.js';
