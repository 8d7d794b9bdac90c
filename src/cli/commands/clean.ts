/** `wikireverse clean <runId> --out DIR [--redis URL] [--dry-run] [--force]`: what a finished run no longer needs. */
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';

export function registerClean(program: Command, ctx: CommandContext): void {
  program
    .command('clean')
    .description("remove what a finished run no longer needs: its partials and reduce records (outputs, manifest and reports stay) and its keys in Redis")
    .argument('<runId>')
    .requiredOption('--out <dir>', 'the output location of the run')
    .option('--redis <url>', "the run's Redis (its queues and keys are removed too)", ctx.config.redisUrl)
    .option('--dry-run', 'show what would be removed, remove nothing', false)
    .option('--force', 'also for a run that did not succeed (it can then not be resumed or retried)', false)
    .action(async (runId: string, o: { out: string; redis?: string; dryRun: boolean; force: boolean }) => {
      const { cleanCommand } = await import('./clean-run.js');
      await cleanCommand(ctx, runId, o);
    });
}
