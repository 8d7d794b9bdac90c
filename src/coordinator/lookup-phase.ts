/**
 * The coordinator's side of a run's lookup (`--titles`): before any file is queued, one task in the run's reduce queue
 * builds it on a worker (the coordinator never reads a dump); the coordinator waits for it, then records the SHA-256 of
 * its commit record in the manifest, which the reduce tasks check before joining. A lookup that cannot be built (a
 * malformed dump: the error names the file and the byte offset) fails the run before any map work.
 */
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { LookupDefinition } from '../job/types.js';
import { LOOKUP_TASK_ID, type LookupTaskData } from '../redis/index.js';
import { lookupCommitPath, type OutputStore } from '../storage/index.js';
import { lookupDigest, parseLookupResult } from '../reduce/lookup-record.js';
import type { Manifest } from './manifest.js';
import { throwIfStopped, throwIfWorkersDead } from './settle.js';

/** The lookup could not be built: the run fails (no map work was done). */
export class LookupFailedError extends Error {
  override readonly name = 'LookupFailedError';
}

export interface LookupPhaseOptions {
  readonly queue: Queue;
  readonly redis: Redis;
  readonly store: OutputStore;
  readonly manifest: Manifest;
  readonly lookup: LookupDefinition;
  readonly pollMillis: number;
  readonly say: (line: string) => void;
  readonly workersAlive: () => number | undefined;
  readonly interrupted: () => boolean;
}

/** The commit record's digest and facts, when it is in the store; null when it is not. */
async function committed(o: LookupPhaseOptions): Promise<NonNullable<Manifest['lookup']> | null> {
  const body = await o.store.get(lookupCommitPath(o.manifest.runId, o.lookup.name), 64 << 20);
  if (!body) return null;
  const r = parseLookupResult(body, o.lookup.name, o.manifest.settings.partitions);
  return { name: r.name, digest: lookupDigest(body), rows: r.rows, sources: r.sources.length, seconds: r.seconds };
}

/** Builds the run's lookup unless the manifest already records the one in the store; sets `manifest.lookup`. */
export async function buildLookup(o: LookupPhaseOptions): Promise<void> {
  const { manifest, queue } = o;
  const { runId, settings } = manifest;
  const source = settings.titles as string;
  const had = manifest.lookup ? await committed(o) : null;
  if (had && had.digest === manifest.lookup?.digest) return;
  delete manifest.lookup;
  const old = (await queue.getJob(LOOKUP_TASK_ID)) as Job | undefined;
  if (old) {
    const state = await old.getState();
    if (state === 'completed' || state === 'failed') await old.remove();
  }
  const data: LookupTaskData = { runId, out: settings.out, job: settings.job, partitions: settings.partitions, source };
  await queue.add(LOOKUP_TASK_ID, data, {
    jobId: LOOKUP_TASK_ID, attempts: settings.attempts, backoff: { type: 'exponential', delay: settings.backoffMillis }, removeOnComplete: false, removeOnFail: false,
  });
  o.say(`run ${runId}: building the ${o.lookup.name} lookup from ${source} (before the map) ...`);
  // A state BullMQ calls unknown for a moment (between its lists) is seen again before the task is called gone.
  let unknown = 0;
  for (;;) {
    await throwIfStopped(o.redis, runId, o.interrupted);
    const job = (await queue.getJob(LOOKUP_TASK_ID)) as Job | undefined;
    const state = job ? await job.getState() : 'unknown';
    if (state === 'completed') break;
    unknown = state === 'unknown' ? unknown + 1 : 0;
    if (state === 'failed' || unknown > 10) {
      throw new LookupFailedError(`the ${o.lookup.name} lookup could not be built from ${source}: ${job?.failedReason || 'its task is gone from Redis'}`);
    }
    throwIfWorkersDead(o.workersAlive);
    await new Promise((r) => setTimeout(r, o.pollMillis));
  }
  const built = await committed(o);
  if (!built) throw new LookupFailedError(`the ${o.lookup.name} lookup's task ended without its commit record in ${o.store.location}`);
  // Its record is in the store: the task leaves the queue, whose counts are the reduce tasks'.
  await ((await queue.getJob(LOOKUP_TASK_ID)) as Job | undefined)?.remove();
  manifest.lookup = built;
  o.say(`run ${runId}: ${o.lookup.name} lookup built: ${built.rows} rows from ${built.sources} dump files in ${built.seconds.toFixed(1)} s`);
}
