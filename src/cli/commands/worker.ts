/** `wikireverse worker`: a standalone worker process (what the container runs). */
import type { Command } from 'commander';
import { DEFAULT_LOG_LEVEL, SETTINGS } from '../../config/index.js';
import { intOption, secretOption } from '../io.js';
import type { CommandContext } from '../context.js';
import { addStorageOptions } from '../storage.js';
import type { WorkerFlags } from './worker-run.js';

export function registerWorker(program: Command, ctx: CommandContext): void {
  const { config } = ctx;
  const cmd = program
    .command('worker')
    .description('a standalone worker process: takes input files from the queue of a run (or of every active run)')
    .addOption(secretOption('--redis <url>', 'Redis URL', config.redisUrl, SETTINGS.redisUrl, true))
    .option('--run <runId>', 'serve only this run (default: every active run)')
    .option('--concurrency <n>', 'files processed at once', intOption('--concurrency', 1), config.concurrency)
    .option('--log-level <level>', 'log level', config.logLevel ?? DEFAULT_LOG_LEVEL.worker)
    .option('--rate-limit <n>', 'input files started per second across all workers of a run (give every worker the same); 0: no limit', intOption('--rate-limit'), config.rateLimit)
    .option('--health-port <port>', 'serve GET /healthz and /metrics on this port; 0: off', intOption('--health-port'), config.healthPort)
    .option('--imds-url <url>', 'instance-metadata URL polled for spot notices (default: http://169.254.169.254 on EC2, off elsewhere)', config.imdsUrl)
    .option('--exit-when-idle <secs>', 'exit after this long without a file (fleet instances); 0: never', intOption('--exit-when-idle'), config.idleExitSecs);
  addStorageOptions(cmd, ctx).action(async (o: WorkerFlags) => {
    const { workerCommand } = await import('./worker-run.js');
    await workerCommand(ctx, o);
  });
}
