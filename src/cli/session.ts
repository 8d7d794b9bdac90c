/** Options shared by the commands that coordinate a run (`run`, `resume`): Redis, local workers, storage, logging. */
import type { Command } from 'commander';
import type { SessionOptions } from '../coordinator/index.js';
import { createLogger } from '../log/index.js';
import { DEFAULT_LOG_LEVEL } from '../config/index.js';
import { intOption, type CliIO } from './io.js';
import type { CommandContext } from './context.js';

export interface SessionFlags {
  workers: number;
  redis?: string;
  logLevel: string;
  s3Endpoint?: string;
  rateLimit: number;
}

export function addSessionOptions(cmd: Command, ctx: CommandContext): Command {
  const { config } = ctx;
  return cmd
    .option('--workers <n>', 'local worker processes (0: only external `wikireverse worker`s)', intOption('--workers'), config.workers)
    .option('--redis <url>', 'shared Redis URL (default: start a private redis-server)', config.redisUrl)
    .option('--log-level <level>', 'log level', config.logLevel ?? DEFAULT_LOG_LEVEL.other)
    .option('--s3-endpoint <url>', 'S3-compatible endpoint for s3:// inputs and outputs (MinIO, R2, Ceph); KEY:SECRET@ in it is used as credentials', config.s3Endpoint)
    .option('--rate-limit <n>', 'input files started per second across all workers (requests to the source); 0: no limit', intOption('--rate-limit'), config.rateLimit);
}

/** The coordinator's session without its fleet and observers (run-session.ts adds them). */
export async function sessionOptions(ctx: CommandContext, f: SessionFlags, io: CliIO, cmd: string): Promise<SessionOptions> {
  const { configureStorage, ioSettingsFromConfig } = await import('../storage/index.js');
  const { config } = ctx;
  const storage = ioSettingsFromConfig(config, f.s3Endpoint);
  configureStorage(storage); // for the run's observers and reports that open the output store themselves
  return {
    redisUrl: f.redis,
    redisServerBin: config.redisServerBin,
    pollMillis: config.pollMillis,
    io: storage,
    rateLimit: f.rateLimit,
    log: createLogger(f.logLevel, { cmd }),
    progress: (line) => io.stderr.write(`${line}\n`),
  };
}
