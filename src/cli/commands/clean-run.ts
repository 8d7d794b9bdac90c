/** The work of `wikireverse clean` (commands/clean.ts parses its flags), loaded only when it runs. */
import { checkRunId, readManifest } from '../../coordinator/index.js';
import { manifestPath, removableDirs, runDir, type OutputStore } from '../../storage/index.js';
import {
  ACTIVE_RUNS_KEY, hasFinished, listRunIds, openQueue, openRedis, queueName, readRunRecord, reduceQueueName, runKeys,
} from '../../redis/index.js';
import type { Redis } from 'ioredis';
import { UsageError } from '../io.js';
import type { CommandContext } from '../context.js';
import { withStore, type StorageFlags } from '../storage.js';
import { runIdsUnder } from './runs-run.js';

export interface CleanFlags extends StorageFlags {
  out?: string;
  redis?: string;
  stale: boolean;
  olderThanDays: number;
  dryRun: boolean;
  force: boolean;
}

const DAY_MILLIS = 86_400_000;

/** Removes (or, dry, counts) a run's partials and reduce records; returns how many objects. */
async function cleanStore(store: OutputStore, runId: string, dryRun: boolean): Promise<number> {
  const dirs = removableDirs(runId);
  const objects = (await Promise.all(dirs.map((d) => store.list(d)))).flat().length;
  if (!dryRun) for (const d of dirs) await store.removePrefix(d);
  // The run has ended: every temporary file left in its directory is a dead writer's (a full disk, a killed process).
  return objects + (dryRun ? 0 : await store.sweepTemporary(runDir(runId), 0));
}

/** Removes (or, dry, counts) a run's two queues and keys; returns [jobs, keys]. */
async function cleanRedis(redis: Redis, url: string, runId: string, dryRun: boolean): Promise<[number, number]> {
  const queues = [openQueue(queueName(runId), url, 'wikireverse-clean-files'), openQueue(reduceQueueName(runId), url, 'wikireverse-clean-reduce')];
  try {
    const keys = runKeys(runId);
    const present = (await Promise.all(keys.map((k) => redis.exists(k)))).reduce((n, e) => n + e, 0);
    const jobs = (await Promise.all(queues.map((q) => q.count()))).reduce((n, c) => n + c, 0);
    if (!dryRun) {
      for (const q of queues) await q.obliterate({ force: true });
      await redis.del(...keys);
      await redis.srem(ACTIVE_RUNS_KEY, runId);
    }
    return [jobs, present];
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
}

export async function cleanCommand(ctx: CommandContext, id: string | undefined, o: CleanFlags): Promise<void> {
  const verb = o.dryRun ? 'would remove' : 'removed';
  const say = (s: string): boolean => ctx.io.stdout.write(`${s}\n`);
  if (o.stale) {
    if (id !== undefined) throw new UsageError('clean: give a run id or --stale, not both');
    if (!o.out && !o.redis) throw new UsageError('clean --stale needs --out DIR or --redis URL');
    await cleanStale(ctx, o, verb, say);
    return;
  }
  if (id === undefined || !o.out) throw new UsageError('clean needs a run id and --out DIR (or --stale; see wikireverse clean --help)');
  const runId = checkRunId(id);
  await withStore(ctx, o, o.out, (store) => cleanRun(store, runId, o, verb, say));
  if (o.redis) {
    const redis = await openRedis(o.redis, 'wikireverse-clean');
    try {
      const [jobs, keys] = await cleanRedis(redis, o.redis, runId, o.dryRun);
      say(`${verb} the run's 2 queues (${jobs} jobs waiting or delayed) and ${keys} keys in Redis`);
    } finally {
      redis.disconnect();
    }
  }
}

/** One run's partials and reduce records, when the run succeeded (or with --force). */
async function cleanRun(store: OutputStore, runId: string, o: CleanFlags, verb: string, say: (s: string) => boolean): Promise<void> {
  const m = await readManifest(store, runId);
  if (!m) throw new Error(`No run ${runId} in ${store.location} (no ${manifestPath(runId)})`); // exit 1, as every command's "no such run"
  if (m.status !== 'succeeded' && !o.force) {
    throw new UsageError(
      `run ${runId} is ${m.status}: its partials are what ${m.status === 'failed' ? 'resume --retry-failed' : 'resume'} needs. ` +
        'Add --force to remove them anyway (the run can then not be resumed or retried)',
    );
  }
  const objects = await cleanStore(store, runId, o.dryRun);
  say(`${verb} ${objects} objects under ${removableDirs(runId).map((d) => `${store.location}/${d}/`).join(' and ')} (outputs, manifest, reports and cost.json stay)`);
}

/** Every run that ended at least `olderThanDays` ago: succeeded ones' partials under --out, ended runs' keys in Redis. */
async function cleanStale(ctx: CommandContext, o: CleanFlags, verb: string, say: (s: string) => boolean): Promise<void> {
  const before = Date.now() - o.olderThanDays * DAY_MILLIS;
  const old = (iso: string | undefined | null): boolean => Number.isFinite(Date.parse(iso ?? '')) && Date.parse(iso ?? '') <= before;
  const out = o.out;
  if (out) {
    await withStore(ctx, o, out, async (store) => {
      let runs = 0;
      let objects = 0;
      for (const runId of await runIdsUnder(store, out)) {
        const m = await readManifest(store, runId).catch(() => null);
        if (!m || m.status !== 'succeeded' || !old(m.finishedAt ?? m.createdAt)) continue;
        const n = await cleanStore(store, runId, o.dryRun);
        if (n === 0) continue;
        runs++;
        objects += n;
        say(`${verb} ${n} objects of run ${runId} (succeeded ${m.finishedAt ?? m.createdAt})`);
      }
      say(`${verb} ${objects} objects of ${runs} succeeded runs older than ${o.olderThanDays} days under ${store.location}`);
    });
  }
  if (o.redis) {
    const redis = await openRedis(o.redis, 'wikireverse-clean');
    try {
      const active = new Set(await redis.smembers(ACTIVE_RUNS_KEY));
      let runs = 0;
      for (const runId of await listRunIds(redis)) {
        const r = await readRunRecord(redis, runId);
        if (!r) continue;
        const status = r.status;
        if (active.has(runId) || !(hasFinished(status) || status === 'interrupted') /* an interrupted run resumes from its store */ || !old(r.finishedAt ?? r.createdAt)) continue;
        const [jobs, keys] = await cleanRedis(redis, o.redis, runId, o.dryRun);
        runs++;
        say(`${verb} run ${runId} (${status}) from Redis: 2 queues (${jobs} jobs waiting or delayed), ${keys} keys`);
      }
      say(`${verb} ${runs} runs that ended more than ${o.olderThanDays} days ago from Redis`);
    } finally {
      redis.disconnect();
    }
  }
}
