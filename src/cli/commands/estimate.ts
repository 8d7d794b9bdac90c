/**
 * `wikireverse estimate --paths|--crawl ...`: before spending anything, processes a sample of the selection locally,
 * measures its throughput, and projects the wall time and cost of the whole selection on an EC2 spot fleet
 * (current spot prices from the API, or the price table).
 */
import { Option, type Command } from 'commander';
import { addInputOptions } from '../inputs.js';
import { intOption } from '../io.js';
import { jobOption, type CommandContext } from '../context.js';
import { addStorageOptions } from '../storage.js';
import type { EstimateFlags } from './estimate-run.js';

export function registerEstimate(program: Command, ctx: CommandContext): void {
  const { config } = ctx;
  const cmd = program
    .command('estimate')
    .description('process a sample locally, then project the wall time and cost of the whole selection on EC2 spot')
    .option('--files-total <n>', 'project for this many files (default: the size of the selection)', intOption('--files-total', 1))
    .option('--sample-files <n>', 'files processed locally to measure throughput', intOption('--sample-files', 1), 1)
    .option('--instances <n>', 'EC2 spot instances', intOption('--instances', 1), config.instances)
    .option('--instance-types <list>', 'candidate spot instance types, comma-separated; the cheapest per file is projected (default: all: every type in the price table)', 'all')
    .option('--prices <file>', 'JSON file overriding the price table', config.prices)
    .addOption(new Option('--prices-from <where>', 'spot prices: api (DescribeSpotPriceHistory, falls back to the table) or table').choices(['api', 'table']).default('api'))
    .option('--json', 'print JSON', false)
    .addOption(jobOption(ctx));
  addStorageOptions(addInputOptions(cmd, ctx), ctx).action(async (o: EstimateFlags) => {
    const { estimateCommand } = await import('./estimate-run.js');
    await estimateCommand(ctx, o);
  });
}
