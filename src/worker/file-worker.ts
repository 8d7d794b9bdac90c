/**
 * A worker process's BullMQ side: one BullMQ `Worker` per run it serves (a given run, or every active run
 * found in Redis), each processing input files with `processFile`.
 */
import { Worker, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { resolveJob, type JobRegistry } from '../job/index.js';
import { ACTIVE_RUNS_KEY, QUEUE_PREFIX, connect, recordCommitted, redisOptions, queueName, type FileJobData, type FileResult } from '../queue/index.js';
import { InputNotFoundError, IoSession, openStore, type IoSettings } from '../storage/index.js';
import type { Logger } from '../log/index.js';
import { processFile } from './process-file.js';

export interface FileWorkerOptions {
  readonly redisUrl: string;
  /** Serve only this run; when absent, serve every run in the active-runs set, discovered as they start. */
  readonly runId?: string | undefined;
  readonly jobs: JobRegistry;
  readonly log: Logger;
  /** Files processed at once by this process. @default 1 */
  readonly concurrency: number;
  readonly lockDurationMillis: number;
  readonly stalledIntervalMillis: number;
  readonly maxStalledCount: number;
  /** Storage settings (S3 endpoint, retries, resumes); default: DEFAULT_IO_SETTINGS. */
  readonly io?: IoSettings | undefined;
  /** Input files started per second across all workers of a run (BullMQ's global limiter); 0 or absent: no limit. */
  readonly rateLimit?: number | undefined;
  /** How often to look for new runs when serving all runs. @default 2000 */
  readonly discoverIntervalMillis?: number;
}

export class FileWorker {
  private readonly workers = new Map<string, Worker<FileJobData, FileResult>>();
  private discovery: NodeJS.Timeout | undefined;
  private redis: Redis | undefined;
  /** Connection for the run's live progress totals, opened on the first commit. */
  private counters: Redis | undefined;
  private closing = false;

  constructor(private readonly opts: FileWorkerOptions) {}

  async start(): Promise<void> {
    if (this.opts.runId) {
      this.serve(this.opts.runId);
      return;
    }
    this.redis = connect(this.opts.redisUrl, 'wikireverse-discovery');
    await this.discover();
    this.discovery = setInterval(() => {
      this.discover().catch((err: unknown) => this.opts.log.warn({ err }, 'run discovery failed; retrying'));
    }, this.opts.discoverIntervalMillis ?? 2000);
  }

  /** Runs currently served. */
  get runs(): string[] {
    return [...this.workers.keys()];
  }

  private async discover(): Promise<void> {
    if (!this.redis || this.closing) return;
    const active = new Set(await this.redis.smembers(ACTIVE_RUNS_KEY));
    for (const runId of active) if (!this.workers.has(runId)) this.serve(runId);
    for (const [runId, worker] of this.workers) {
      if (!active.has(runId)) {
        this.workers.delete(runId);
        await worker.close();
        this.opts.log.info({ runId }, 'run no longer active; stopped serving it');
      }
    }
  }

  private serve(runId: string): void {
    const { log } = this.opts;
    const worker = new Worker<FileJobData, FileResult>(queueName(runId), (job) => this.process(job), {
      connection: redisOptions(this.opts.redisUrl, `wikireverse-worker-${runId}`),
      prefix: QUEUE_PREFIX,
      concurrency: this.opts.concurrency,
      lockDuration: this.opts.lockDurationMillis,
      stalledInterval: this.opts.stalledIntervalMillis,
      maxStalledCount: this.opts.maxStalledCount,
      ...(this.opts.rateLimit ? { limiter: { max: this.opts.rateLimit, duration: 1000 } } : {}),
      autorun: true,
    });
    worker.on('error', (err) => log.warn({ runId, err: err.message }, 'worker error'));
    worker.on('failed', (job, err) =>
      log.warn({ runId, jobId: job?.id, input: job?.data.input, attempt: job?.attemptsMade, err: err.message }, 'file attempt failed'),
    );
    this.workers.set(runId, worker);
    log.info({ runId }, 'serving run');
  }

  private async process(job: Job<FileJobData, FileResult>): Promise<FileResult> {
    const { data } = job;
    const log = this.opts.log.child({ runId: data.runId, jobId: job.id, input: data.input });
    let definition;
    try {
      definition = resolveJob(this.opts.jobs, data.job);
    } catch (err) {
      throw new UnrecoverableError((err as Error).message);
    }
    log.info({ attempt: job.attemptsMade + 1 }, 'file started');
    // One storage session per file: its counters (requests, bytes, retries, resumes) go into the file's result.
    const io = new IoSession(this.opts.io);
    let result: FileResult;
    try {
      result = await processFile(data, definition, openStore(data.out, io), job.attemptsMade + 1, io);
    } catch (err) {
      // A missing input will still be missing next time: fail the file now instead of after every retry.
      if (err instanceof InputNotFoundError) throw new UnrecoverableError(err.message);
      throw err;
    } finally {
      io.close();
    }
    log.info({ rows: result.rows, seconds: result.seconds, kind: result.kind }, 'file committed');
    this.counters ??= connect(this.opts.redisUrl, 'wikireverse-progress');
    await recordCommitted(this.counters, data.runId, result).catch((err: unknown) =>
      log.warn({ err: (err as Error).message }, 'could not add the file to the live progress totals (display only)'));
    return result;
  }

  /** Stops taking files. Graceful by default (finishes active files); `force` abandons them to be retried elsewhere. */
  async close(force = false): Promise<void> {
    this.closing = true;
    if (this.discovery) clearInterval(this.discovery);
    await Promise.all([...this.workers.values()].map((w) => w.close(force)));
    this.workers.clear();
    this.redis?.disconnect();
    this.counters?.disconnect();
  }
}
