/** `wikireverse cancel <runId>` */
import type { Command } from 'commander';
import { checkRunId } from '../../coordinator/run-id.js';
import { UsageError, secretOption } from '../io.js';
import { SETTINGS } from '../../config/index.js';
import type { CommandContext } from '../context.js';
import { addStorageOptions, withStorage, type StorageFlags } from '../storage.js';
import { ExitCode } from '../../exit-codes.js';

export function registerCancel(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('cancel')
    .description('stop a run: remove its queued jobs, stop its workers, mark its manifest cancelled')
    .argument('<runId>')
    .addOption(secretOption('--redis <url>', "the run's Redis (unset: the private redis-server of a run going on this machine)", ctx.config.redisUrl, SETTINGS.redisUrl))
    .option('--out <dir>', 'the output directory of the run (to mark its manifest)');
  addStorageOptions(cmd, ctx).action(async (runId: string, o: StorageFlags & { redis?: string; out?: string }) => {
    checkRunId(runId);
    const [{ cancelRun, cancelStoredRun, NoSuchRunError }, { readPrivateUrl }] = await Promise.all([import('../../coordinator/index.js'), import('../../redis/index.js')]);
    // A run on a private redis-server: its coordinator on this machine keeps the server's URL for this user only.
    const redis = o.redis ?? (await readPrivateUrl(runId));
    if (!redis && !o.out) throw new UsageError('cancel needs --redis URL or --out DIR (see wikireverse cancel --help)');
    let r: Awaited<ReturnType<typeof cancelRun>>;
    try {
      // No Redis to reach (a private one goes with its coordinator): the run is not going on here; its manifest is marked.
      r = await withStorage(ctx, o, (io) => (redis ? cancelRun(redis, runId, o.out, io) : cancelStoredRun(o.out as string, runId, io)));
    } catch (err) {
      if (!(err instanceof NoSuchRunError)) throw err;
      ctx.io.stderr.write(`${err.message}\n`);
      ctx.setExit(ExitCode.Failed);
      return;
    }
    if (r.alreadyEnded !== undefined) {
      ctx.io.stdout.write(`run ${runId} had already ended (${r.alreadyEnded}): nothing cancelled\n`);
      return;
    }
    ctx.io.stdout.write(`run ${runId} cancelled: ${r.removedJobs} queued tasks removed${r.manifestUpdated ? ', manifest marked cancelled' : ''}\n`);
  });
}
