/**
 * The coordinator of one run: resolves the inputs, writes the manifest, enqueues one BullMQ job per input
 * (job id = file id, so a file is never enqueued twice in a run), starts local workers, waits for every
 * file to be committed or failed, runs the reducer over the committed partials, and finalises the manifest.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobDefinition } from '../job/types.js';
import type { Logger } from '../log/index.js';
import { redactUrl } from '../log/index.js';
import {
  ACTIVE_RUNS_KEY, QUEUE_PREFIX, connect, queueName, redisOptions, runKey, startRedisServer, waitForRedis,
  type EmbeddedRedis, type FileJobData, type FileResult,
} from '../queue/index.js';
import { openStore, successPath, type OutputStore } from '../storage/index.js';
import { mergeCounters } from '../extract/index.js';
import { reduceRun } from '../reduce/index.js';
import { resolveInputs, type InputFile } from './listing.js';
import { writeManifest, type Manifest } from './manifest.js';
import { newRunId } from './run-id.js';
import { LocalWorkers } from './local-workers.js';

export interface RunOptions {
  readonly paths: string;
  readonly inputBase?: string | undefined;
  readonly out: string;
  readonly job: JobDefinition;
  /** Local worker processes; 0 = rely on workers started elsewhere (`wikireverse worker`). */
  readonly workers: number;
  /** Shared Redis; absent: a private redis-server is started and stopped. */
  readonly redisUrl?: string | undefined;
  readonly redisServerBin: string;
  readonly partitions: number;
  readonly attempts: number;
  readonly backoffMillis: number;
  readonly maxRecordBytes: number;
  readonly maxWorkerRestarts: number;
  readonly reducerMemoryMb: number;
  readonly pollMillis: number;
  /** Arguments passed on to local `worker` children (their settings). */
  readonly workerArgs: readonly string[];
  readonly log: Logger;
  /** Where progress lines go (stderr by default). */
  readonly progress: (line: string) => void;
  readonly runId?: string | undefined;
}

export interface RunResult {
  readonly manifest: Manifest;
  readonly exitCode: number;
}

interface Counts { done: number; failed: number; active: number; waiting: number }

async function countFiles(queue: Queue): Promise<Counts> {
  const c = await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed', 'prioritized', 'waiting-children');
  return {
    done: c.completed ?? 0,
    failed: c.failed ?? 0,
    active: c.active ?? 0,
    waiting: (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0),
  };
}

async function enqueue(queue: Queue, runId: string, inputs: InputFile[], opts: RunOptions): Promise<void> {
  const BATCH = 1000;
  for (let i = 0; i < inputs.length; i += BATCH) {
    await queue.addBulk(
      inputs.slice(i, i + BATCH).map((f) => {
        const data: FileJobData = {
          runId, fileId: f.fileId, input: f.input, out: opts.out, job: opts.job.name,
          partitions: opts.partitions, maxRecordBytes: opts.maxRecordBytes,
        };
        return {
          name: 'file',
          data,
          opts: {
            jobId: f.fileId,
            attempts: opts.attempts,
            backoff: { type: 'exponential', delay: opts.backoffMillis },
            removeOnComplete: false,
            removeOnFail: false,
          },
        };
      }),
    );
  }
}

export class Coordinator {
  private embedded: EmbeddedRedis | undefined;
  private redis: Redis | undefined;
  private queue: Queue | undefined;
  private workers: LocalWorkers | undefined;

  constructor(private readonly opts: RunOptions) {}

  async run(): Promise<RunResult> {
    const { opts } = this;
    const started = Date.now();
    const inputs = await resolveInputs(opts.paths, opts.inputBase);
    const runId = opts.runId ?? newRunId();
    const store = openStore(opts.out);
    const log = opts.log.child({ runId });
    const manifest: Manifest = {
      version: 1, runId, job: opts.job.name, status: 'running', createdAt: new Date().toISOString(),
      options: {
        paths: opts.paths, inputBase: opts.inputBase ?? null, out: store.location, workers: opts.workers,
        redis: opts.redisUrl ? redactUrl(opts.redisUrl) : 'embedded', partitions: opts.partitions,
        attempts: opts.attempts, maxRecordBytes: opts.maxRecordBytes,
      },
      counters: {}, outputs: [],
      files: inputs.map((f) => ({ fileId: f.fileId, input: f.input, status: 'pending' })),
    };
    await writeManifest(store, manifest);
    log.info({ files: inputs.length, out: store.location }, 'run created');
    opts.progress(`run ${runId}: ${inputs.length} files -> ${store.location}/${runId}`);

    try {
      const redisUrl = await this.startRedis();
      this.redis = connect(redisUrl, 'wikireverse-coordinator');
      await waitForRedis(this.redis, opts.redisUrl ? redactUrl(opts.redisUrl) : 'the private redis-server');
      await this.redis.hset(runKey(runId), {
        out: opts.out, job: opts.job.name, files: String(inputs.length), createdAt: manifest.createdAt, status: 'running',
      });
      await this.redis.sadd(ACTIVE_RUNS_KEY, runId);
      this.queue = new Queue(queueName(runId), { connection: redisOptions(redisUrl, 'wikireverse-queue'), prefix: QUEUE_PREFIX });
      await enqueue(this.queue, runId, inputs, opts);
      if (opts.workers > 0) {
        this.workers = new LocalWorkers({
          count: opts.workers, redisUrl, runId, maxRestarts: opts.maxWorkerRestarts, log, extraArgs: opts.workerArgs,
        });
        this.workers.start();
      }
      await this.waitForFiles(this.queue, inputs.length, started);
      await this.redis.srem(ACTIVE_RUNS_KEY, runId);
      await this.workers?.stop();
      this.workers = undefined;

      // The output store is the source of truth: a file is done when its _SUCCESS marker exists.
      const results = await this.collect(store, runId, inputs, manifest);
      manifest.status = 'reducing';
      await writeManifest(store, manifest);
      opts.progress(`run ${runId}: reducing ${results.length} committed files into ${opts.partitions} partitions`);
      const reduced = await reduceRun({
        runId, job: opts.job, store, partitions: opts.partitions, files: results, memoryMb: opts.reducerMemoryMb,
      });
      const failed = manifest.files.filter((f) => f.status !== 'done');
      manifest.outputs = reduced.outputs;
      manifest.status = failed.length === 0 ? 'succeeded' : 'failed';
      if (failed.length > 0) manifest.reason = `${failed.length} of ${inputs.length} input files failed`;
      manifest.finishedAt = new Date().toISOString();
      manifest.summary = {
        files: inputs.length,
        filesDone: results.length,
        filesFailed: failed.length,
        pages: manifest.counters.pages ?? 0,
        links: reduced.totals[opts.job.rowsOutput] ?? 0,
        articles: reduced.totals[opts.job.derived[0]?.name ?? ''] ?? 0,
        seconds: Math.round((Date.now() - started) / 100) / 10,
      };
      await writeManifest(store, manifest);
      await this.redis.hset(runKey(runId), { status: manifest.status });
      log.info({ status: manifest.status, summary: manifest.summary }, 'run finished');
      return { manifest, exitCode: manifest.status === 'succeeded' ? 0 : 1 };
    } catch (err) {
      manifest.status = 'failed';
      manifest.reason = err instanceof Error ? err.message : String(err);
      manifest.finishedAt = new Date().toISOString();
      await writeManifest(store, manifest).catch(() => undefined);
      await this.redis?.srem(ACTIVE_RUNS_KEY, runId).catch(() => undefined);
      throw err;
    } finally {
      await this.shutdown();
    }
  }

  private async startRedis(): Promise<string> {
    if (this.opts.redisUrl) return this.opts.redisUrl;
    this.embedded = await startRedisServer(this.opts.redisServerBin);
    this.opts.log.info({ port: this.embedded.port }, 'private redis-server started');
    return this.embedded.url;
  }

  private async waitForFiles(queue: Queue, total: number, started: number): Promise<void> {
    let last = '';
    let lastPrint = 0;
    for (;;) {
      const c = await countFiles(queue);
      const line = `files ${c.done + c.failed}/${total} (done ${c.done}, failed ${c.failed}, active ${c.active}, waiting ${c.waiting})`;
      const now = Date.now();
      if (line !== last && now - lastPrint > 1000) {
        this.opts.progress(`${line} ${((now - started) / 1000).toFixed(1)}s`);
        last = line;
        lastPrint = now;
      }
      if (c.done + c.failed >= total) return;
      if (this.workers && this.workers.alive === 0) {
        throw new Error('All local worker processes died and could not be restarted; see the log above. The run can be resumed.');
      }
      await new Promise((r) => setTimeout(r, this.opts.pollMillis));
    }
  }

  private async collect(store: OutputStore, runId: string, inputs: InputFile[], manifest: Manifest): Promise<FileResult[]> {
    const results: FileResult[] = [];
    const queue = this.queue as Queue;
    for (const [i, f] of inputs.entries()) {
      const entry = manifest.files[i];
      if (!entry) continue;
      const marker = await store.get(successPath(runId, f.fileId));
      const job = await queue.getJob(f.fileId);
      entry.attempts = job?.attemptsMade ?? 0;
      if (marker) {
        const r = JSON.parse(marker.toString('utf8')) as FileResult;
        results.push(r);
        mergeCounters(manifest.counters, r.counters);
        Object.assign(entry, { status: 'done', rows: r.rows, kind: r.kind, seconds: r.seconds });
      } else {
        entry.status = 'failed';
        entry.error = job?.failedReason || 'not committed';
      }
    }
    return results;
  }

  /** Stops local workers, closes connections, stops the private redis-server. Safe to call twice. */
  async shutdown(): Promise<void> {
    await this.workers?.stop().catch(() => undefined);
    this.workers = undefined;
    await this.queue?.close().catch(() => undefined);
    this.queue = undefined;
    this.redis?.disconnect();
    this.redis = undefined;
    await this.embedded?.stop().catch(() => undefined);
    this.embedded = undefined;
  }
}
