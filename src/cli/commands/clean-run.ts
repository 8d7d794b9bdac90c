/** The work of `wikireverse clean` (commands/clean.ts parses its flags), loaded only when it runs. */
import { checkRunId, readManifest } from '../../coordinator/index.js';
import { openStore, partialsDir } from '../../storage/index.js';
import { ACTIVE_RUNS_KEY, costKey, openQueue, openRedis, progressFilesKey, progressKey, queueName, reduceQueueName, runKey } from '../../queue/index.js';
import { UsageError } from '../io.js';
import type { CommandContext } from '../context.js';

/** What a run's reduce tasks read and record (`<runId>/reduce/`): needed only to resume the run. */
const reduceDir = (runId: string): string => `${runId}/reduce`;

export async function cleanCommand(ctx: CommandContext, id: string, o: { out: string; redis?: string; dryRun: boolean; force: boolean }): Promise<void> {
  const runId = checkRunId(id);
  const store = openStore(o.out);
  const m = await readManifest(store, runId);
  if (!m) throw new UsageError(`No run ${runId} in ${store.location} (no ${runId}/manifest.json)`);
  if (m.status !== 'succeeded' && !o.force) {
    throw new UsageError(
      `run ${runId} is ${m.status}: its partials are what ${m.status === 'failed' ? 'resume --retry-failed' : 'resume'} needs. ` +
        'Add --force to remove them anyway (the run can then not be resumed or retried)',
    );
  }
  const dirs = [partialsDir(runId), reduceDir(runId)];
  const objects = (await Promise.all(dirs.map((d) => store.list(d)))).flat();
  const say = (s: string): boolean => ctx.io.stdout.write(`${o.dryRun ? 'would remove' : 'removed'} ${s}\n`);
  if (!o.dryRun) for (const d of dirs) await store.removePrefix(d);
  say(`${objects.length} objects under ${store.location}/${runId}/partials/ and reduce/ (outputs, manifest, reports and cost.json stay)`);
  if (o.redis) {
    const redis = await openRedis(o.redis, 'wikireverse-clean');
    const queues = [openQueue(queueName(runId), o.redis, 'wikireverse-clean-files'), openQueue(reduceQueueName(runId), o.redis, 'wikireverse-clean-reduce')];
    try {
      const keys = [runKey(runId), progressKey(runId), progressFilesKey(runId), costKey(runId)];
      const present = (await Promise.all(keys.map((k) => redis.exists(k)))).reduce((n, e) => n + e, 0);
      const jobs = (await Promise.all(queues.map((q) => q.count()))).reduce((n, c) => n + c, 0);
      if (!o.dryRun) {
        for (const q of queues) await q.obliterate({ force: true });
        await redis.del(...keys);
        await redis.srem(ACTIVE_RUNS_KEY, runId);
      }
      say(`the run's 2 queues (${jobs} jobs waiting or delayed) and ${present} keys in Redis`);
    } finally {
      await Promise.all(queues.map((q) => q.close()));
      redis.disconnect();
    }
  }
}
