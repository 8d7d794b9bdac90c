/**
 * A worker process's BullMQ side: for each run it serves (a given run, or every active run found in Redis), one BullMQ
 * `Worker` on the run's file queue (`processFile`) and one on its reduce queue (`runReduceTask`): the map and the
 * aggregate run on the same processes.
 */
import { Worker, UnrecoverableError, WaitingError, type Job, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { LookupSourceError, resolveJob, type JobDefinition, type JobRegistry } from '../job/index.js';
import {
  ACTIVE_RUNS_KEY, LOOKUP_TASK_ID, QUEUE_PREFIX, TaskDataError, checkFileTask, checkLookupTask, checkReduceTask, checkRollupTask, connect, recordCommitted, recordReduced, redisOptions, queueName, reduceQueueName,
  readRunRecord, recordWorkerSeen, WORKER_SEEN_INTERVAL_MILLIS, type FileJobData, type LookupTaskData, type ReduceTaskData, type RollupTaskData,
} from '../redis/index.js';
import { IoSession, openStore, reduceInputsPath, type FileResult, type IoSettings, type LookupResult, type PartitionResult, type RollupResult } from '../storage/index.js';
import { runLookupTask, runReduceTask, runRollupTask } from '../reduce/index.js';
import type { Logger } from '../log/index.js';
import { SETTINGS } from '../config/index.js';
import { CpuShare } from './cpu-share.js';
import { FileSandbox, SandboxError, type SandboxOptions } from './file-sandbox.js';
import type { InflateChoice } from '../warc/index.js';
import type { WorkerMetrics } from './metrics.js';

/** The same queue error is logged at most this often. */
const ERROR_LOG_INTERVAL_MILLIS = 30_000;

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
  /** Storage settings (S3 endpoint, retries, resumes): each file and reduce task gets a session of its own with them. */
  readonly io: IoSettings;
  /** Input files started per second across all workers of a run (BullMQ's global limiter); 0 or absent: no limit. */
  readonly rateLimit?: number | undefined;
  /** How often to look for new runs when serving all runs. @default 2000 */
  readonly discoverIntervalMillis?: number;
  /** Counters and timings for /metrics (src/worker/metrics.ts). */
  readonly metrics?: WorkerMetrics | undefined;
  /** Memory budget of a reduce task (DuckDB spills to disk past its share). @default SETTINGS.reducerMemoryMb.default */
  readonly reducerMemoryMb?: number | undefined;
  /** Files are read in threads under a watchdog (file-sandbox.ts): how long one may make no progress, and its heap. */
  readonly sandbox: SandboxOptions;
  /** What inflates the inputs' gzip members (WIKIREVERSE_INFLATE). @default auto */
  readonly inflate?: InflateChoice | undefined;
  /** This worker's name in its runs' lists of workers seen (redis/workers-seen.ts): its instance id on EC2. */
  readonly workerId: string;
}

/** A task being processed (a file or a reduce task): its job, the lock token, and how to abandon it when it is handed back. */
interface ActiveFile {
  readonly job: Job;
  readonly token: string | undefined;
  abort: (err: Error) => void;
}

export class FileWorker {
  private readonly workers = new Map<string, Worker<FileJobData, FileResult>>();
  private readonly reducers = new Map<string, Worker<ReduceTaskData, PartitionResult[] | LookupResult | RollupResult[]>>();
  private discovery: NodeJS.Timeout | undefined;
  private redis: Redis | undefined;
  /** Connection for the run's live progress totals, opened on the first commit. */
  /** A plain Redis connection for the run's record and live totals (BullMQ's are its own). */
  private runState: Redis | undefined;
  private closing = false;
  private readonly active = new Set<ActiveFile>();
  /** CPU time of each file being processed, shared fairly when several run at once. */
  private readonly cpu = new CpuShare();
  /** The threads files are read in, each watched from this thread. */
  private readonly sandbox: FileSandbox;
  private health: Redis | undefined;
  private seen: NodeJS.Timeout | undefined;
  /** When a file last started or ended (or the worker started): the heartbeat of /healthz and the idle exit. */
  lastProgressAt = Date.now();
  /** When this worker's own Redis connection was last seen up. */
  private redisUpAt = Date.now();
  /** When each queue's error was last logged (a Redis that is down errs twice a second per queue). */
  private readonly errorLoggedAt = new Map<string, number>();

  constructor(private readonly opts: FileWorkerOptions) {
    this.sandbox = new FileSandbox(opts.sandbox);
  }

  async start(): Promise<void> {
    await this.sandbox.warm(this.opts.concurrency);
    this.seen = setInterval(() => void this.sayAlive(), WORKER_SEEN_INTERVAL_MILLIS);
    await this.sayAlive();
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

  /** Tells the runs served that this worker is alive (the EC2 fleet's check that an instance became a worker). */
  private async sayAlive(): Promise<void> {
    if (this.closing) return;
    this.runState ??= connect(this.opts.redisUrl, 'wikireverse-run-state');
    const runs = this.opts.runId ? [this.opts.runId] : this.runs;
    await Promise.all(runs.map((r) => recordWorkerSeen(this.runState as Redis, r, this.opts.workerId))).catch((err: unknown) => {
      this.opts.log.debug({ err: (err as Error).message }, 'could not record this worker as seen; trying again');
    });
  }

  /** How long this worker's Redis connection has been down; 0 while it is up. */
  redisDownMillis(): number {
    if (!this.runState || this.runState.status === 'ready') this.redisUpAt = Date.now();
    return Date.now() - this.redisUpAt;
  }

  /** Logs a queue's error, at most one of each queue every ERROR_LOG_INTERVAL_MILLIS (a Redis going away errs in several ways). */
  private queueError(runId: string, what: string, err: Error): void {
    const key = `${runId}\u0000${what}`;
    const now = Date.now();
    if (now - (this.errorLoggedAt.get(key) ?? 0) < ERROR_LOG_INTERVAL_MILLIS) return;
    if (this.errorLoggedAt.size > 100) this.errorLoggedAt.clear();
    this.errorLoggedAt.set(key, now);
    this.opts.log.warn({ runId, err: err.message }, `${what} (further errors of this queue within ${ERROR_LOG_INTERVAL_MILLIS / 1000} s are not logged)`);
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
        const reducer = this.reducers.get(runId);
        this.reducers.delete(runId);
        await Promise.all([worker.close(), reducer?.close()]);
        this.opts.log.info({ runId }, 'run no longer active; stopped serving it');
      }
    }
  }

  private serve(runId: string): void {
    const { log } = this.opts;
    const worker = new Worker<FileJobData, FileResult>(queueName(runId), (job, token) => this.process(runId, job, token), {
      ...this.workerOptions(`wikireverse-worker-${runId}`),
      concurrency: this.opts.concurrency,
      ...(this.opts.rateLimit ? { limiter: { max: this.opts.rateLimit, duration: 1000 } } : {}),
    });
    worker.on('error', (err) => this.queueError(runId, 'worker error', err));
    worker.on('failed', (job, err) =>
      log.warn({ runId, jobId: job?.id, input: job?.data.input, attempt: job?.attemptsMade, err: err.message }, 'file attempt failed'),
    );
    this.workers.set(runId, worker);
    // The reduce queue also holds the run's lookup task (`--titles`), built before any file is queued.
    const reducer = new Worker<ReduceTaskData, PartitionResult[] | LookupResult | RollupResult[]>(reduceQueueName(runId), (job, token) => this.track<PartitionResult[] | LookupResult | RollupResult[]>(job, token, () =>
      job.name === LOOKUP_TASK_ID ? this.lookupOne(runId, job as unknown as Job<LookupTaskData, LookupResult>)
      : job.name === 'rollup' ? this.rollupOne(runId, job as unknown as Job<RollupTaskData, RollupResult[]>)
      : this.reduceOne(runId, job as Job<ReduceTaskData, PartitionResult[]>)), {
      ...this.workerOptions(`wikireverse-reducer-${runId}`),
      concurrency: 1,
    });
    reducer.on('error', (err) => this.queueError(runId, 'reducer error', err));
    reducer.on('failed', (job, err) => log.warn({ runId, jobId: job?.id, attempt: job?.attemptsMade, err: err.message }, `${job?.name === LOOKUP_TASK_ID ? 'lookup' : job?.name === 'rollup' ? 'rollup' : 'reduce'} attempt failed`));
    this.reducers.set(runId, reducer);
    log.info({ runId }, 'serving run');
  }

  /** What the file and reduce queues' BullMQ workers share: the connection, the lock and the stalled-job check. */
  private workerOptions(connectionName: string): WorkerOptions {
    return {
      connection: redisOptions(this.opts.redisUrl, connectionName),
      prefix: QUEUE_PREFIX,
      lockDuration: this.opts.lockDurationMillis,
      stalledInterval: this.opts.stalledIntervalMillis,
      maxStalledCount: this.opts.maxStalledCount,
      autorun: true,
    };
  }

  /** The job definition a queued task names; an unknown one fails the task at once (no retry can help). */
  private definition(name: string): JobDefinition {
    try {
      return resolveJob(this.opts.jobs, name);
    } catch (err) {
      throw new UnrecoverableError((err as Error).message);
    }
  }

  /** Files being processed now. */
  get activeFiles(): number {
    return this.active.size;
  }

  /** Whether the BullMQ connections are up (for /healthz). */
  async redisReady(): Promise<boolean> {
    if (this.closing || this.workers.size === 0 || ![...this.workers.values()].every((w) => w.isRunning())) return false;
    this.health ??= connect(this.opts.redisUrl, 'wikireverse-health');
    return (await this.health.ping()) === 'PONG';
  }

  /** Runs one task as an active entry: counted for /healthz and the idle exit, abandoned at once when handed back. */
  private async track<T>(job: Job, token: string | undefined, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const abandon = new AbortController();
    const entry: ActiveFile = { job, token, abort: () => undefined };
    const handedBack = new Promise<never>((_, reject) => {
      entry.abort = (err) => {
        abandon.abort(err);
        reject(err);
      };
    });
    // One entry per call: two runs over the same inputs (or a stalled file fetched again) may share a job id.
    this.active.add(entry);
    this.lastProgressAt = Date.now();
    try {
      return await Promise.race([run(abandon.signal), handedBack]);
    } finally {
      this.active.delete(entry);
      this.lastProgressAt = Date.now();
    }
  }

  /**
   * The output location run `runId` registered in Redis (its coordinator writes the run hash before any task): a task
   * is accepted only when it writes there.
   */
  private async registered(runId: string): Promise<{ out: string | undefined; titles: string | undefined }> {
    this.runState ??= connect(this.opts.redisUrl, 'wikireverse-run-state');
    const r = await readRunRecord(this.runState, runId);
    return { out: r?.out ?? undefined, titles: r?.titles ?? undefined };
  }

  /** The task's data, checked (redis/task-data.ts); a task the run's coordinator could not have written fails for good. */
  private async accept<T>(check: (out: string | undefined, titles: string | undefined) => T, runId: string): Promise<T> {
    try {
      const r = await this.registered(runId);
      return check(r.out, r.titles);
    } catch (err) {
      if (err instanceof TaskDataError) throw new UnrecoverableError(`refused a task of run ${runId}: ${err.message}`);
      throw err;
    }
  }

  private async process(runId: string, job: Job<FileJobData, FileResult>, token?: string): Promise<FileResult> {
    const started = Date.now();
    this.opts.metrics?.fileStarted();
    const cpu = this.cpu.start();
    try {
      const data = await this.accept((out) => checkFileTask(job.data, runId, out), runId);
      const result = await this.track(job, token, (signal) => this.processOne(job, data, signal));
      const withCpu: FileResult = { ...result, cpuSeconds: this.cpu.end(cpu) };
      this.opts.metrics?.fileCommitted(withCpu, (Date.now() - started) / 1000);
      this.runState ??= connect(this.opts.redisUrl, 'wikireverse-run-state');
      await recordCommitted(this.runState, job.data.runId, withCpu).catch((err: unknown) =>
        this.opts.log.warn({ err: (err as Error).message, jobId: job.id }, 'could not add the file to the live totals (display and cost so far only)'));
      return withCpu;
    } catch (err) {
      this.opts.metrics?.fileEnded(err instanceof WaitingError ? 'handed_back' : 'failed', (Date.now() - started) / 1000);
      throw err;
    } finally {
      this.cpu.end(cpu); // no-op after a commit
    }
  }

  /** A run's lookup task: its source read, the lookup built and committed (one committed earlier is kept). */
  private async lookupOne(runId: string, job: Job<LookupTaskData, LookupResult>): Promise<LookupResult> {
    const data = await this.accept((out, titles) => checkLookupTask(job.data, runId, out, titles), runId);
    const log = this.opts.log.child({ runId: data.runId, jobId: job.id });
    const lookup = this.definition(data.job).lookup;
    if (!lookup) throw new UnrecoverableError(`job ${data.job} takes no lookup`);
    log.info({ attempt: job.attemptsMade + 1, source: data.source }, 'lookup task started');
    const io = new IoSession(this.opts.io);
    const cpu = this.cpu.start();
    try {
      const result = await runLookupTask(data, { lookup, store: openStore(data.out, io), memoryMb: this.opts.reducerMemoryMb ?? SETTINGS.reducerMemoryMb.default });
      log.info({ rows: result.rows, parts: result.parts.length, seconds: result.seconds, cpuSeconds: this.cpu.end(cpu) }, 'lookup task committed');
      return result;
    } catch (err) {
      // A malformed source stays malformed: fail the run's lookup now, naming the file and the offset.
      if (err instanceof LookupSourceError) throw new UnrecoverableError(err.message);
      throw err;
    } finally {
      this.cpu.end(cpu);
      io.close();
    }
  }

  /** One rollup task: its buckets aggregated from every partition and committed (those committed earlier are skipped). */
  private async rollupOne(runId: string, job: Job<RollupTaskData, RollupResult[]>): Promise<RollupResult[]> {
    const data = await this.accept((out) => checkRollupTask(job.data, runId, out), runId);
    const log = this.opts.log.child({ runId: data.runId, jobId: job.id });
    const definition = this.definition(data.job);
    log.info({ attempt: job.attemptsMade + 1, first: data.first, count: data.count }, 'rollup task started');
    const io = new IoSession(this.opts.io);
    const cpu = this.cpu.start();
    try {
      const results = await runRollupTask(data, {
        job: definition, store: openStore(data.out, io), memoryMb: this.opts.reducerMemoryMb ?? SETTINGS.reducerMemoryMb.default, counters: () => io.counters.toJSON(),
      });
      const cpuSeconds = this.cpu.end(cpu);
      log.info({ buckets: results.length, cpuSeconds }, 'rollup task committed');
      this.runState ??= connect(this.opts.redisUrl, 'wikireverse-run-state');
      await recordReduced(this.runState, data.runId, `${String(job.id)}@${data.inputsDigest}`, cpuSeconds, io.counters.toJSON()).catch((err: unknown) =>
        log.warn({ err: (err as Error).message }, 'could not add the rollup task to the live totals (cost so far only)'));
      return results;
    } finally {
      this.cpu.end(cpu);
      io.close();
    }
  }

  /** One reduce task: its partitions merged and committed (those committed earlier are skipped). */
  private async reduceOne(runId: string, job: Job<ReduceTaskData, PartitionResult[]>): Promise<PartitionResult[]> {
    const data = await this.accept((out) => checkReduceTask(job.data, runId, out, reduceInputsPath(runId)), runId);
    const log = this.opts.log.child({ runId: data.runId, jobId: job.id });
    const definition = this.definition(data.job);
    log.info({ attempt: job.attemptsMade + 1, first: data.first, count: data.count }, 'reduce task started');
    const io = new IoSession(this.opts.io);
    const cpu = this.cpu.start();
    try {
      const results = await runReduceTask(data, {
        job: definition, store: openStore(data.out, io), memoryMb: this.opts.reducerMemoryMb ?? SETTINGS.reducerMemoryMb.default, counters: () => io.counters.toJSON(),
      });
      const cpuSeconds = this.cpu.end(cpu);
      log.info({ partitions: results.length, rows: results.reduce((n, r) => n + (r.outputs[0]?.rows ?? 0), 0), cpuSeconds }, 'reduce task committed');
      this.runState ??= connect(this.opts.redisUrl, 'wikireverse-run-state');
      // Every request of this attempt, the partitions' commit records included (as each record counts its own PUT).
      await recordReduced(this.runState, data.runId, `${String(job.id)}@${data.inputsDigest}`, cpuSeconds, io.counters.toJSON()).catch((err: unknown) =>
        log.warn({ err: (err as Error).message }, 'could not add the reduce task to the live totals (cost so far only)'));
      return results;
    } finally {
      this.cpu.end(cpu);
      io.close();
    }
  }

  private async processOne(job: Job<FileJobData, FileResult>, data: FileJobData, signal: AbortSignal): Promise<FileResult> {
    const log = this.opts.log.child({ runId: data.runId, jobId: job.id, input: data.input });
    this.definition(data.job); // an unknown job fails here, for good
    log.info({ attempt: job.attemptsMade + 1 }, 'file started');
    let result: FileResult;
    try {
      // One storage session per file (in its thread): its counters (requests, bytes, retries, resumes) go into the file's result.
      result = await this.sandbox.run({ data, attempt: job.attemptsMade + 1, io: this.opts.io, inflate: this.opts.inflate ?? 'auto' }, signal);
    } catch (err) {
      // A missing input will still be missing next time, and a file that loops or exhausts memory will do it again:
      // fail the file now instead of after every retry.
      if ((err instanceof SandboxError && err.final) || (err as { notFound?: boolean }).notFound === true) throw new UnrecoverableError((err as Error).message);
      throw err;
    }
    log.info({ rows: result.rows, seconds: result.seconds, kind: result.kind }, 'file committed');
    return result;
  }

  /**
   * Stops taking files and puts the files in progress back into the queue at once (a spot interruption notice):
   * each active job is moved back to waiting with its lock token, so another worker takes it now, not after a
   * stall timeout. The abandoned processing is left to die with the process. Returns the files handed back.
   */
  async handBack(reason: string): Promise<number> {
    this.closing = true;
    if (this.discovery) clearInterval(this.discovery);
    if (this.seen) clearInterval(this.seen);
    const closed = [...this.workers.values(), ...this.reducers.values()].map((w) => w.close());
    const entries = [...this.active];
    await Promise.all(entries.map(async (e) => {
      try {
        await e.job.moveToWait(e.token);
      } catch (err) {
        this.opts.log.warn({ jobId: e.job.id, err: (err as Error).message }, 'could not hand the file back; it will be retried after its lock expires');
      }
      e.abort(new WaitingError(`handed back: ${reason}`));
    }));
    await Promise.all(closed);
    await this.sandbox.close();
    this.workers.clear();
    this.reducers.clear();
    this.redis?.disconnect();
    this.runState?.disconnect();
    this.health?.disconnect();
    return entries.length;
  }

  /** Stops taking files. Graceful by default (finishes active files); `force` abandons them to be retried elsewhere. */
  async close(force = false): Promise<void> {
    this.closing = true;
    if (this.discovery) clearInterval(this.discovery);
    if (this.seen) clearInterval(this.seen);
    await Promise.all([...this.workers.values(), ...this.reducers.values()].map((w) => w.close(force)));
    await this.sandbox.close();
    this.workers.clear();
    this.reducers.clear();
    this.redis?.disconnect();
    this.runState?.disconnect();
    this.health?.disconnect();
  }
}
