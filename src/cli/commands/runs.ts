/** `wikireverse runs (--out DIR | --redis URL) [--json]`: the runs under an output location, or in a Redis. */
import { SETTINGS } from '../../config/index.js';
import { secretOption } from '../io.js';
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { addStorageOptions } from '../storage.js';
import type { RunsFlags } from './runs-run.js';

export function registerRuns(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('runs')
    .description('the runs under an output location (from their manifests) or in a Redis: status, files, links, cost, age')
    .option('--out <dir>', 'an output location (directory or s3://bucket/prefix)')
    .addOption(secretOption('--redis <url>', 'a Redis (the runs it holds)', ctx.config.redisUrl, SETTINGS.redisUrl))
    .option('--json', 'print JSON', false);
  addStorageOptions(cmd, ctx).action(async (o: RunsFlags) => {
    const { runsCommand } = await import('./runs-run.js');
    await runsCommand(ctx, o);
  });
}
