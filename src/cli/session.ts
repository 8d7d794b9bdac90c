/** Options shared by the commands that coordinate a run (`run`, `resume`): Redis, local workers, logging. */
import type { Command } from 'commander';
import type { SessionOptions } from '../coordinator/index.js';
import { createLogger } from '../log/index.js';
import { intOption, type CliIO } from './io.js';
import type { CommandContext } from './context.js';

export interface SessionFlags {
  workers: number;
  redis?: string;
  logLevel: string;
}

export function addSessionOptions(cmd: Command, ctx: CommandContext): Command {
  const { config } = ctx;
  return cmd
    .option('--workers <n>', 'local worker processes (0: only external `wikireverse worker`s)', intOption('--workers'), config.workers)
    .option('--redis <url>', 'shared Redis URL (default: start a private redis-server)', config.redisUrl)
    .option('--log-level <level>', 'log level', config.logLevel ?? 'warn');
}

export function sessionOptions(ctx: CommandContext, f: SessionFlags, io: CliIO, cmd: string): SessionOptions {
  const { config } = ctx;
  return {
    workers: f.workers,
    redisUrl: f.redis,
    redisServerBin: config.redisServerBin,
    maxWorkerRestarts: config.maxWorkerRestarts,
    reducerMemoryMb: config.reducerMemoryMb,
    pollMillis: config.pollMillis,
    workerArgs: ['--log-level', f.logLevel, '--concurrency', String(config.concurrency)],
    log: createLogger(f.logLevel, { cmd }),
    progress: (line) => io.stderr.write(`${line}\n`),
  };
}
