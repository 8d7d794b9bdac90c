/** `wikireverse cancel <runId>` */
import type { Command } from 'commander';
import { cancelRun, checkRunId, readManifest } from '../../coordinator/index.js';
import { openStore } from '../../storage/index.js';
import type { CommandContext } from '../context.js';

export function registerCancel(program: Command, ctx: CommandContext): void {
  program
    .command('cancel')
    .description('stop a run: remove its queued jobs, stop its workers, mark its manifest cancelled')
    .argument('<runId>')
    .option('--redis <url>', "the run's Redis (default: the private redis-server recorded in the manifest under --out)", ctx.config.redisUrl)
    .option('--out <dir>', 'the output directory of the run (to mark its manifest)')
    .action(async (runId: string, o: { redis?: string; out?: string }) => {
      checkRunId(runId);
      let redis = o.redis;
      if (!redis && o.out) {
        const m = await readManifest(openStore(o.out), runId);
        if (m?.redis?.startsWith('redis://127.0.0.1:')) redis = m.redis;
      }
      if (!redis) throw new Error('cancel needs --redis URL (or --out DIR of a run that uses a private redis-server)');
      const r = await cancelRun(redis, runId, o.out);
      ctx.io.stdout.write(`run ${runId} cancelled: ${r.removedJobs} queued files removed${r.manifestUpdated ? ', manifest marked cancelled' : ''}\n`);
    });
}
