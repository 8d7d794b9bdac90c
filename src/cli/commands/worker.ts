/** `wikireverse worker`: a standalone worker process (what the container runs). */
import type { Command } from 'commander';
import { createLogger, redactUrl } from '../../log/index.js';
import { checkRunId } from '../../coordinator/index.js';
import { FileWorker } from '../../worker/index.js';
import { intOption } from '../io.js';
import { onSignals, type CommandContext } from '../context.js';

export function registerWorker(program: Command, ctx: CommandContext): void {
  const { config } = ctx;
  program
    .command('worker')
    .description('a standalone worker process: takes input files from the queue of a run (or of every active run)')
    .requiredOption('--redis <url>', 'Redis URL', config.redisUrl)
    .option('--run <runId>', 'serve only this run (default: every active run)')
    .option('--concurrency <n>', 'files processed at once', intOption('--concurrency', 1), config.concurrency)
    .option('--log-level <level>', 'log level', config.logLevel ?? 'info')
    .action(async (o: { redis: string; run?: string; concurrency: number; logLevel: string }) => {
      const log = createLogger(o.logLevel, { cmd: 'worker' });
      const worker = new FileWorker({
        redisUrl: o.redis, runId: o.run ? checkRunId(o.run) : undefined, jobs: ctx.jobs, log, concurrency: o.concurrency,
        lockDurationMillis: config.lockDurationMillis, stalledIntervalMillis: config.stalledIntervalMillis,
        maxStalledCount: config.maxStalledCount,
      });
      await worker.start();
      log.info({ redis: redactUrl(o.redis), run: o.run ?? '(all active runs)' }, 'worker ready');
      if (process.send) {
        // Started by a local coordinator: when it goes away (even SIGKILLed), stop too; our file goes back to the queue.
        process.once('disconnect', () => {
          log.warn('coordinator gone; stopping');
          void worker.close(true).finally(() => process.exit(0));
        });
      }
      await new Promise<void>((resolve) => {
        const unhook = onSignals(() => {
          log.info('stopping: finishing active files (signal again to exit now)');
          void worker.close().then(() => {
            unhook();
            resolve();
          });
        });
      });
    });
}
