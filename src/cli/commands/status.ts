/**
 * `wikireverse status <runId> [--watch] [--json]`: the progress of a run started elsewhere (e.g. on the fleet), from
 * Redis: its files (waiting, active, done, failed), the live totals the workers keep (pages, links, bytes), pages/s,
 * ETA and the cost so far. `--watch` redraws it (a bar on a terminal; plain lines or JSON events otherwise) until the
 * run ends.
 */
import type { Command } from 'commander';
import { intOption, secretOption } from '../io.js';
import { SETTINGS } from '../../config/index.js';
import type { CommandContext } from '../context.js';
import { addStorageOptions } from '../storage.js';
import type { StatusFlags } from './status-run.js';

export function registerStatus(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('status')
    .description("a run's progress from Redis: files waiting / active / done / failed, pages, links, pages/s, ETA, cost so far")
    .argument('<runId>')
    .addOption(secretOption('--redis <url>', 'Redis URL', ctx.config.redisUrl, SETTINGS.redisUrl))
    .option('--out <dir>', "the run's output location: its live state when it is going on this machine, else what its manifest says")
    .option('--json', 'print JSON (with --watch: JSON-lines progress events)', false)
    .option('--watch', 'keep showing the progress until the run ends (Ctrl-C to stop watching)', false)
    .option('--interval-ms <n>', 'with --watch: time between two polls', intOption('--interval-ms', 100), Math.max(1000, ctx.config.pollMillis));
  addStorageOptions(cmd, ctx).action(async (id: string, flags: StatusFlags) => {
    const { statusCommand } = await import('./status-run.js');
    await statusCommand(ctx, id, flags);
  });
}
