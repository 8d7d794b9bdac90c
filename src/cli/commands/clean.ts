/**
 * `wikireverse clean <runId> --out DIR [--redis URL] [--dry-run] [--force]`: what a finished run no longer needs;
 * `wikireverse clean --stale (--out DIR | --redis URL) [--older-than-days N]`: the same for every run that ended that long ago.
 */
import type { Command } from 'commander';
import { intOption, secretOption } from '../io.js';
import { SETTINGS } from '../../config/index.js';
import type { CommandContext } from '../context.js';
import { addStorageOptions } from '../storage.js';
import type { CleanFlags } from './clean-run.js';

export function registerClean(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('clean')
    .description("remove what finished runs no longer need: their partials and reduce records (outputs, manifest and reports stay) and their keys in Redis")
    .argument('[runId]', 'the run (or --stale for every run that ended long enough ago)')
    .option('--out <dir>', 'the output location of the run(s)')
    .addOption(secretOption('--redis <url>', "the runs' Redis (their queues and keys are removed too)", ctx.config.redisUrl, SETTINGS.redisUrl))
    .option('--stale', 'every run that ended at least --older-than-days ago (succeeded ones only under --out; ended or interrupted ones in Redis)', false)
    .option('--older-than-days <n>', 'with --stale: how long ago a run must have ended', intOption('--older-than-days'), 7)
    .option('--dry-run', 'show what would be removed, remove nothing', false)
    .option('--force', 'also for a run that did not succeed (it can then not be resumed or retried)', false);
  addStorageOptions(cmd, ctx).action(async (runId: string | undefined, o: CleanFlags) => {
      const { cleanCommand } = await import('./clean-run.js');
      await cleanCommand(ctx, runId, o);
    });
}
