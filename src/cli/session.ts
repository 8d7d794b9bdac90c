/** Options shared by the commands that coordinate a run (`run`, `resume`): storage, Redis, local workers, logging. */
import type { Command } from 'commander';
import type { SessionOptions } from '../coordinator/index.js';
import { createLogger } from '../log/index.js';
import { DEFAULT_LOG_LEVEL, SETTINGS } from '../config/index.js';
import { intOption, secretOption, type CliIO } from './io.js';
import type { CommandContext } from './context.js';
import { addStorageOptions, storageSettings, type StorageFlags } from './storage.js';

export interface SessionFlags extends StorageFlags {
  workers: number;
  redis?: string;
  logLevel: string;
  rateLimit: number;
}

export function addSessionOptions(cmd: Command, ctx: CommandContext): Command {
  const { config } = ctx;
  return addStorageOptions(cmd, ctx)
    .option('--workers <n>', 'local worker processes (0: only external `wikireverse worker`s)', intOption('--workers'), config.workers)
    .addOption(secretOption('--redis <url>', 'shared Redis URL (unset: a private redis-server is started)', config.redisUrl, SETTINGS.redisUrl))
    .option('--log-level <level>', 'log level', config.logLevel ?? DEFAULT_LOG_LEVEL.other)
    .option('--rate-limit <n>', 'input files started per second across all workers (requests to the source); 0: no limit', intOption('--rate-limit'), config.rateLimit);
}

/** The coordinator's session without its fleet and observers (run-session.ts adds them). */
export async function sessionOptions(ctx: CommandContext, f: SessionFlags, io: CliIO, cmd: string): Promise<SessionOptions> {
  const { config } = ctx;
  return {
    redisUrl: f.redis,
    redisServerBin: config.redisServerBin,
    pollMillis: config.pollMillis,
    io: await storageSettings(ctx, f),
    rateLimit: f.rateLimit,
    log: createLogger(f.logLevel, { cmd }),
    say: (line) => io.stderr.write(`${line}\n`),
  };
}
