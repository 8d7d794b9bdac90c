/**
 * `wikireverse dashboard --redis URL [--port P]`: a queue dashboard (bull-board) for the runs' BullMQ queues, served
 * on loopback only (it can retry and remove jobs: reach it from elsewhere through an SSH tunnel, not an open port).
 * The runs shown are the active ones (`wikireverse:runs:active`) plus every run queue found in Redis, refreshed
 * every few seconds.
 */
import type { Command } from 'commander';
import { intOption, secretOption } from '../io.js';
import { SETTINGS } from '../../config/index.js';
import type { CommandContext } from '../context.js';

export function registerDashboard(program: Command, ctx: CommandContext): void {
  program
    .command('dashboard')
    .description("a web dashboard of the runs' queues (bull-board) on 127.0.0.1: jobs by state, failures, retries")
    .addOption(secretOption('--redis <url>', 'Redis URL', ctx.config.redisUrl, SETTINGS.redisUrl, true))
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', intOption('--port'), ctx.config.dashboardPort)
    .option('--refresh-ms <n>', 'how often the list of runs is refreshed', intOption('--refresh-ms', 100), 5000)
    .action(async (o: { redis: string; port: number; refreshMs: number }) => {
      const { dashboardCommand } = await import('./dashboard-run.js');
      await dashboardCommand(ctx, o);
    });
}
