/**
 * One meaning of a run's counts on every screen (src/redis/run-counts.ts). Against a real redis-server, a run's jobs are
 * put by hand into a known mix of states: committed (once at the first attempt, once after a retry), completed without a
 * commit record, failed for good, in a retry's backoff, held by a worker, waiting, and two files committed in the store
 * before this Redis knew the run. At that instant the coordinator's progress line, `status` (text and JSON) and the
 * progress view say the same, and it is what was planted: done = the files committed, each once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import {
  createRunRecord, queueName, readLiveTotals, recordCommitted, recordCommittedIds, redisOptions, startRedisServer, QUEUE_PREFIX,
  type EmbeddedRedis, type FileJobData,
} from '../../src/redis/index.js';
import { LocalStore, type FileResult } from '../../src/storage/index.js';
import { waitUntilSettled, type ProgressSnapshot } from '../../src/coordinator/settle.js';
import type { Manifest } from '../../src/coordinator/index.js';
import { buildView, formatLine } from '../../src/progress/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

const RUN = 'counts-1';
const TOTAL = 10;
/** What was planted below, counted by hand. */
const PLANTED = { total: TOTAL, done: 4, failed: 1, active: 2, waiting: 2, retrying: 2 };

let redis: EmbeddedRedis;
let work: string;

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('run-counts');
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

const result = (fileId: string, attempt: number): FileResult => ({
  fileId, input: `${fileId}.wat.gz`, kind: 'wat', rows: 10, parts: [], counters: { pages: 5 }, compressedBytes: 100, seconds: 1, attempt,
});

describe('a run\'s counts', () => {
  it('agree between the coordinator\'s line, status and the progress view, and equal the planted states', async () => {
    const r = new Redis(redis.url);
    const queue = new Queue<FileJobData>(queueName(RUN), { connection: redisOptions(redis.url), prefix: QUEUE_PREFIX });
    const worker = new Worker<FileJobData>(queueName(RUN), null, { connection: redisOptions(redis.url), prefix: QUEUE_PREFIX, autorun: false });
    const token = 'test-token';
    const manifest = {
      runId: RUN, createdAt: new Date().toISOString(), counters: {}, files: { total: TOTAL },
      settings: { out: work, job: 'wikipedia-links', partitions: 1, attempts: 2, backoffMillis: 3_600_000, maxRecordBytes: 1 },
    } as unknown as Manifest;
    try {
      await createRunRecord(r, RUN, { out: work, job: 'wikipedia-links', files: TOTAL, createdAt: manifest.createdAt });
      const add = async (fileId: string): Promise<void> => {
        await queue.add('file', { runId: RUN, fileId, input: `${fileId}.wat.gz`, out: work, job: 'wikipedia-links', partitions: 1, maxRecordBytes: 1 },
          { jobId: fileId, attempts: 2, backoff: { type: 'fixed', delay: 3_600_000 }, removeOnComplete: false, removeOnFail: false });
      };
      const take = async (fileId: string): Promise<Job> => {
        const job = (await worker.getNextJob(token)) as Job | undefined;
        expect(job?.id).toBe(fileId);
        return job as Job;
      };
      const failOnce = async (fileId: string): Promise<void> => {
        await (await take(fileId)).moveToFailed(new Error('planted failure'), token);
      };
      const commit = async (job: Job, attempt: number): Promise<void> => {
        await recordCommitted(r, RUN, result(String(job.id), attempt));
        await job.moveToCompleted('ok', token, false);
      };
      // f1: committed at its first attempt.
      await add('f1');
      await commit(await take('f1'), 1);
      // f2: failed once, retried, committed (counted once).
      await add('f2');
      await failOnce('f2');
      await (await queue.getJob('f2'))?.promote();
      await commit(await take('f2'), 2);
      // f3: completed without a commit record (not done).
      await add('f3');
      await (await take('f3')).moveToCompleted('ok', token, false);
      // f4: failed at both attempts (failed for good).
      await add('f4');
      await failOnce('f4');
      await (await queue.getJob('f4'))?.promote();
      await failOnce('f4');
      // f5: failed once, in its retry's backoff (waiting).
      await add('f5');
      await failOnce('f5');
      // f6: held by a worker (active).
      await add('f6');
      await take('f6');
      // f7: failed once, held by a worker again (active, retrying).
      await add('f7');
      await failOnce('f7');
      await (await queue.getJob('f7'))?.promote();
      await take('f7');
      // f8: waiting.
      await add('f8');
      // f9, f10: committed in the store before this Redis knew the run (the coordinator counts them); f1 again counts once.
      await recordCommittedIds(r, RUN, ['f9', 'f10', 'f1']);

      // The queue as BullMQ sees it, so the planted mix is what the test says it is.
      const jobs = await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed');
      expect(jobs).toEqual({ completed: 3, failed: 1, active: 2, waiting: 1, delayed: 1 });
      expect((await readLiveTotals(r, RUN)).files).toBe(4);

      // The coordinator: one poll's snapshot and its progress line (stopped at the second poll).
      const lines: string[] = [];
      const snaps: ProgressSnapshot[] = [];
      const stop = new Error('stop after one poll');
      const started = Date.now();
      await expect(waitUntilSettled({
        queue, redis: r, store: new LocalStore(work), manifest, pollMillis: 10, started,
        say: (l) => lines.push(l), workersAlive: () => undefined, interrupted: () => false,
        onTick: (s) => {
          if (snaps.push(s) > 1) throw stop;
        },
      })).rejects.toBe(stop);
      const snap = snaps[0] as ProgressSnapshot;
      expect(snap).toMatchObject({ runId: RUN, ...PLANTED });
      expect(lines[0]).toMatch(/^files 4\/10 \(failed 1, active 2, waiting 2, retrying 2\) \d+\.\ds$/);

      // The progress view of that snapshot starts with the same line.
      const view = buildView(snap, await readLiveTotals(r, RUN), 'running');
      expect(formatLine(view).startsWith(`${lines[0] ?? ''} | pages 10,`)).toBe(true);

      // `status`, as a user runs it.
      const json = await runCli(['status', RUN, '--redis', redis.url, '--json']);
      expect(json.code, json.stderr).toBe(0);
      const s = JSON.parse(json.stdout) as Record<string, unknown>;
      expect(s).toMatchObject({ runId: RUN, status: 'running', files: PLANTED.total, done: PLANTED.done, failed: PLANTED.failed, active: PLANTED.active, waiting: PLANTED.waiting, retrying: PLANTED.retrying });
      const text = await runCli(['status', RUN, '--redis', redis.url]);
      expect(text.stdout).toContain(`run ${RUN} running: files 10, waiting 2, active 2, done 4, failed 1, retrying 2\n`);
      expect(text.stdout).toMatch(/\nfiles 4\/10 \(failed 1, active 2, waiting 2, retrying 2\) /);
    } finally {
      await worker.close(true);
      await queue.close();
      r.disconnect();
    }
  });
});
