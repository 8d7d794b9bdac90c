/** `wikireverse cost <runId> --out DIR [--redis URL] [--json]`: a run's cost ledger, item by item. */
import type { Command } from 'commander';
import { checkRunId } from '../../coordinator/run-id.js';
import type { Ledger } from '../../cost/index.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../../exit-codes.js';
import { UsageError, secretOption } from '../io.js';
import { SETTINGS } from '../../config/index.js';
import { costPath } from '../../storage/layout.js';
import { addStorageOptions, withStore, type StorageFlags } from '../storage.js';

export function registerCost(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('cost')
    .description("a run's cost ledger: EC2 spot instances, EBS, S3 requests, fixed items, CPU time (from <out>/<runId>/cost.json, or live from Redis)")
    .argument('<runId>')
    .option('--out <dir>', 'the output directory of the run (reads cost.json)')
    .addOption(secretOption('--redis <url>', "the run's Redis (the live ledger of a running run)", ctx.config.redisUrl, SETTINGS.redisUrl))
    .option('--json', 'print JSON', false);
  addStorageOptions(cmd, ctx).action(async (id: string, o: StorageFlags & { out?: string; redis?: string; json: boolean }) => {
    const runId = checkRunId(id);
    if (!o.out && !o.redis) throw new UsageError('cost needs --out DIR (reads <out>/<runId>/cost.json) or --redis URL (the live ledger)');
    const { formatLedger, readCostFile, readCostSoFar } = await import('../../cost/index.js');
    let ledger: (Ledger & { status?: string }) | null = null;
    if (o.redis) ledger = await readCostSoFar(o.redis, runId);
    if (!ledger && o.out) ledger = await withStore(ctx, o, o.out, (store) => readCostFile(store, runId));
    if (!ledger) {
      ctx.io.stderr.write(`No cost ledger for run ${runId}${o.out ? ` in ${o.out}/${costPath(runId)}` : ''}${o.redis ? ' in Redis' : ''}\n`);
      ctx.setExit(ExitCode.Failed);
      return;
    }
    ctx.io.stdout.write(o.json ? JSON.stringify(ledger, null, 2) + '\n' : formatLedger(ledger) + (ledger.status ? `  run status: ${ledger.status}\n` : ''));
  });
}
