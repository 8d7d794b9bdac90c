/**
 * The coordinator of one run. `start` creates a run: resolves the inputs, writes the manifest, enqueues one BullMQ
 * job per input (job id = file id, so a file is never enqueued twice). `resume` continues a run from its manifest
 * and the commit records in the output store (the source of truth, not Redis). Both then start the run's fleet (local processes or EC2 spot),
 * wait until every file is committed or failed (re-enqueueing files whose jobs Redis lost), enqueue the reduce tasks
 * (which the same workers run; see reduce-phase.ts), wait for them, and finalise the manifest. The coordinator itself
 * never loads DuckDB or a row.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobDefinition } from '../job/types.js';
import type { Logger } from '../log/index.js';
import { redactUrl } from '../log/index.js';
import {
  ACTIVE_RUNS_KEY, carryLiveTotals, createRunRecord, finishRunRecord, openQueue, openRedis, queueName, readLiveTotals, reduceQueueName,
  removePrivateUrl, savePrivateUrl, readWorkersSeen, setRunStatus, startRedisServer, type EmbeddedRedis, type LiveTotals,
} from '../redis/index.js';
import { IoSession, manifestPath, openStore, runDir, withOwnPut, type IoSettings, type OutputStore } from '../storage/index.js';
import { mergeCounters, type CounterMap } from '../extract/index.js';
import { planIndex, planInputs, type InputRequest } from './crawl.js';
import { emptyStats, selectFromIndex } from './index-selection.js';
import { readManifest, runStart, writeManifest, type Manifest, type RunSettings } from './manifest.js';
import { writeRunFiles, type FileCounts } from './run-files.js';
import { newRunId } from './run-id.js';
import { FleetDriver } from '../fleet/driver.js';
import type { Fleet, FleetPlan } from '../fleet/fleet.js';
import { markCommitted, markInterrupted } from './stopped-run.js';
import { enqueueFiles, syncCommitted, waitUntilSettled, CancelledError, InterruptedError, type ProgressSnapshot } from './settle.js';
import { collectCommits, collectReduce, defaultPartitions, enqueueReduce, reduceTasks, rollUp, rollupBuckets, waitForReduce } from './reduce-phase.js';
import { buildLookup, LookupFailedError } from './lookup-phase.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { SETTINGS } from '../config/index.js';

/** How this coordinator session runs (not part of the run's identity; may differ on resume). */
export interface SessionOptions {
  /** Where the run's workers come from (local processes or EC2 spot); absent: workers started elsewhere (`wikireverse worker`). */
  readonly fleet?: FleetPlan | undefined;
  /** Shared Redis; absent: a private redis-server is started and stopped. */
  readonly redisUrl?: string | undefined;
  readonly redisServerBin: string;
  readonly pollMillis: number;
  /** Storage settings of the coordinator's own requests (listing, manifest, reducer reads and writes). */
  readonly io: IoSettings;
  /** Input files started per second across all workers (recorded in the manifest; enforced by the workers). */
  readonly rateLimit?: number | undefined;
  readonly log: Logger;
  /** Lines for the person running the command: the run's start, periodic counts, how to start workers (stderr by default). */
  readonly say: (line: string) => void;
  /** An observer (src/progress) draws the progress display, so the coordinator prints no periodic `files ...` lines. */
  readonly progressDisplay?: boolean | undefined;
  /** Extensions that follow the run (progress display, cost ledger and budget cap, report.html). */
  readonly observers?: readonly RunObserver[];
}

/** Follows a run's life; every hook is optional. A throw from `onTick` aborts the run (CancelledError: cancelled). */
export interface RunObserver {
  /**
   * Redis and the queue are up, files are enqueued, the fleet started. `store` is the run's output store as the
   * coordinator opened it: writes through it (cost.json, the timeline) are counted with the coordinator's own requests.
   * `fleet`: the run's workers when this coordinator started them (their instance lifetimes for the cost ledger).
   */
  onStart?(run: {
    readonly manifest: Manifest; readonly redis: Redis; readonly queue: Queue; readonly redisUrl: string; readonly store: OutputStore; readonly fleet?: Fleet | undefined;
  }): Promise<void> | void;
  onTick?(snapshot: ProgressSnapshot): Promise<void> | void;
  /** The run ended (succeeded, failed, cancelled, interrupted, or an error); the manifest is final. `store` as in onStart. */
  onFinish?(manifest: Manifest, store: OutputStore): Promise<void> | void;
}

export interface StartOptions extends InputRequest {
  readonly out: string;
  readonly runId?: string | undefined;
  readonly settings: Omit<RunSettings, 'out'>;
}

export interface RunResult {
  readonly manifest: Manifest;
  /** 0 succeeded; 1 finished with failed inputs; 3 cancelled; 130 interrupted (resumable). */
  readonly exitCode: ExitCode;
}

/** A temporary file not written for this long is a dead writer's (a live one writes at least every no-progress deadline). */
const STALE_TEMPORARY_MILLIS = 10 * 60_000;
/** How long a manifest save waits for the run's live totals in Redis. */
const LIVE_TOTALS_WAIT_MILLIS = 2_000;

export class Coordinator {
  private embedded: EmbeddedRedis | undefined;
  /** The run whose Redis URL (with its password) this coordinator saved in a private file, removed at close. */
  private urlFileRun: string | undefined;
  private privateUrlFile: string | undefined;
  private redis: Redis | undefined;
  private queue: Queue | undefined;
  private reduceQueue: Queue | undefined;
  private fleet: FleetDriver | undefined;
  private interrupted = false;
  /** The run being coordinated (for `abandon`). */
  private current: { readonly store: OutputStore; readonly manifest: Manifest } | undefined;
  private io: IoSession | undefined;
  /** The `io.*` counters of earlier coordinator sessions of the run being resumed. */
  private carriedIo: CounterMap = {};
  /** This session's place in the manifest's `sessionsMillis`, and when it started. */
  private part: { readonly index: number; readonly startedAt: number } | undefined;

  constructor(
    private readonly jobs: ReadonlyMap<string, JobDefinition>,
    private readonly session: SessionOptions,
  ) {}

  /** Creates a new run and executes it. */
  async start(opts: StartOptions): Promise<RunResult> {
    const { store, manifest } = await this.beforeExecute(() => this.create(opts));
    return this.execute(store, manifest, false, false);
  }

  /** What comes before `execute` (which always shuts down): on a throw, the storage session it opened is closed. */
  private async beforeExecute<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      await this.shutdown();
      throw err;
    }
  }

  /** Resolves the inputs and writes the run's file list and manifest (the inputs are not kept: nothing here holds the list). */
  private async create(opts: StartOptions): Promise<{ store: OutputStore; manifest: Manifest }> {
    const runId = opts.runId ?? newRunId();
    if (opts.settings.titles !== undefined) {
      // The source's files are listed here (cheap); they are read by a worker's lookup task.
      const lookup = this.jobs.get(opts.settings.job)?.lookup;
      if (!lookup) throw new UsageError(`job ${opts.settings.job} takes no --titles`);
      await lookup.source(opts.settings.titles).catch((err: unknown) => {
        throw new UsageError((err as Error).message);
      });
    }
    const store = openStore(opts.out, this.ioSession());
    if (await readManifest(store, runId)) {
      throw new Error(`Run ${runId} already exists in ${store.location}: choose another --run-id, or continue it with \`wikireverse resume ${runId} --out ${opts.out}\``);
    }
    // The list goes to the store first; this process keeps only its counts (its memory does not grow with the run).
    let files: FileCounts;
    let chosen: Record<string, unknown>;
    let publicInputsOnly = false;
    if (opts.where !== undefined) {
      const plan = await planIndex(opts, this.ioSession());
      const stats = emptyStats();
      const tasks = selectFromIndex({ ...plan, maxRecords: opts.settings.indexTaskRecords ?? SETTINGS.indexTaskRecords.default, maxMb: opts.settings.indexTaskMb ?? SETTINGS.indexTaskMb.default, io: this.ioSession() }, stats);
      files = await writeRunFiles(store, runId, (async function* () {
        for await (const batch of tasks) yield batch.map((t) => ({ fileId: t.fileId, input: t.input, status: 'pending' as const, ranges: t.ranges }));
      })());
      if (stats.records === 0) throw new Error(`--where ${JSON.stringify(plan.where)}: no records of ${plan.crawl} selected (${stats.indexFiles} index files read)`);
      chosen = { crawl: plan.crawl, input: 'warc', source: plan.source, listing: redactUrl(plan.index), listed: stats.indexFiles, where: plan.where,
        selected: { ...stats }, selectionText: `${stats.records} records of ${stats.files} WARC files selected by --where` };
    } else {
      const plan = await planInputs(opts, this.ioSession());
      files = await writeRunFiles(store, runId, plan.inputs.map((f) => ({ fileId: f.fileId, input: f.input, status: 'pending' as const })));
      publicInputsOnly = plan.publicOnly;
      for (const w of plan.warnings) this.session.say(w);
      chosen = { crawl: plan.crawl, input: plan.input, source: plan.source, listing: plan.listing, listed: plan.listed,
        selection: plan.selection, selectionText: plan.selectionText };
    }
    const manifest: Manifest = {
      version: 2, runId, job: opts.settings.job, status: 'running', createdAt: new Date().toISOString(),
      settings: {
        ...opts.settings, out: opts.out, partitions: opts.settings.partitions > 0 ? opts.settings.partitions : defaultPartitions(files.total),
        ...(publicInputsOnly ? { publicInputsOnly } : {}),
      },
      options: { paths: opts.paths ?? null, inputBase: opts.inputBase ? redactUrl(opts.inputBase) : null, out: store.location,
        redis: this.session.redisUrl ? redactUrl(this.session.redisUrl) : 'embedded', ...chosen, rateLimit: this.session.rateLimit ?? 0,
        fleet: this.session.fleet?.kind ?? 'none', workers: this.session.fleet?.maxWorkers ?? 0,
        s3Endpoint: this.session.io.s3Endpoint ? redactUrl(this.session.io.s3Endpoint) : null },
      counters: {}, outputs: [], sessions: 0, files,
    };
    await this.save(store, manifest);
    this.session.say(`run ${runId}: ${files.total} ${opts.where !== undefined ? 'tasks' : 'files'} -> ${store.location}/${runDir(runId)}`);
    return { store, manifest };
  }

  /** Continues a run from the output store. Resuming a finished run does nothing (unless `retryFailed`). */
  async resume(out: string, runId: string, retryFailed: boolean): Promise<RunResult> {
    const store = openStore(out, this.ioSession());
    const manifest = await this.beforeExecute(() => readManifest(store, runId));
    if (!manifest) {
      await this.shutdown();
      throw new Error(`No run ${runId} in ${store.location} (no ${manifestPath(runId)})`);
    }
    this.carriedIo = { ...(manifest.coordinatorIo ?? {}) };
    // What an earlier session's writers left half-written (killed, or a full disk) goes; a writer still at work is spared.
    const swept = await this.beforeExecute(() => store.sweepTemporary(runDir(runId), STALE_TEMPORARY_MILLIS));
    if (swept > 0) this.session.say(`run ${runId}: removed ${swept} temporary files left by earlier writers`);
    const failed = manifest.files.failed;
    if (manifest.status === 'succeeded' || (manifest.status === 'failed' && manifest.outputs.length > 0 && !retryFailed)) {
      this.session.say(
        `run ${runId} already finished (${manifest.status}); nothing to do` + (failed > 0 ? `. ${failed} inputs failed: add --retry-failed to retry just those` : ''),
      );
      await this.shutdown();
      return { manifest, exitCode: manifest.status === 'succeeded' ? ExitCode.Ok : ExitCode.Failed };
    }
    manifest.status = 'running';
    delete manifest.reason;
    await this.beforeExecute(() => this.save(store, manifest));
    this.session.say(`run ${runId}: resuming (${manifest.files.total} files) -> ${store.location}/${runDir(runId)}`);
    return this.execute(store, manifest, true, retryFailed);
  }

  private async execute(store: OutputStore, manifest: Manifest, resuming: boolean, retryFailed: boolean): Promise<RunResult> {
    // A resumed run reads as one run: its elapsed time (progress, rates, the summary's seconds) counts the earlier sessions' walls.
    const now = Date.now();
    const earlier = manifest.sessionsMillis ?? [];
    this.part = { index: earlier.length, startedAt: now };
    const started = now - earlier.reduce((a, b) => a + b, 0);
    const { runId, settings } = manifest;
    const definition = this.jobs.get(settings.job);
    if (!definition) throw new Error(`Run ${runId} uses job "${settings.job}", which this build does not know`);
    const log = this.session.log.child({ runId });
    manifest.sessions = (manifest.sessions ?? 0) + 1;
    this.current = { store, manifest };
    try {
      const redisUrl = await this.startRedis(runId);
      this.redis = await openRedis(redisUrl, 'wikireverse-coordinator');
      this.queue = openQueue(queueName(runId), redisUrl, 'wikireverse-queue');
      if (resuming) await this.queue.resume(); // paused when the run was interrupted (pauseQueues)
      if (!resuming) {
        // A run id reused on a shared Redis: its old jobs would be taken for this run's (BullMQ ignores a job id it has).
        const counts = await this.queue.getJobCounts();
        if (Object.values(counts).some((n) => n > 0)) {
          throw new UsageError(`Run id ${runId} already has jobs in this Redis (an earlier run with the same --run-id): choose another --run-id`);
        }
      }
      await createRunRecord(this.redis, runId, runStart(manifest));
      manifest.redis = redactUrl(redisUrl);
      await this.save(store, manifest);
      await this.redis.sadd(ACTIVE_RUNS_KEY, runId);

      // Everything not committed in the store goes (back) into the queue.
      const committed = resuming ? await syncCommitted(this.redis, store, runId) : undefined;
      if (resuming) await carryLiveTotals(this.redis, runId, manifest.liveTotals);
      // A run with a lookup (`--titles`) builds it on the workers first: its files are queued once it is built.
      const lookup = settings.titles !== undefined ? definition.lookup : undefined;
      if (settings.titles !== undefined && !lookup) throw new UsageError(`job ${settings.job} takes no --titles`);
      const enqueue = async (): Promise<void> => {
        const requeued = await enqueueFiles(this.queue as Queue, store, manifest, resuming ? 'resume' : 'fresh', retryFailed, committed);
        if (resuming) log.info({ requeued }, 'resuming run');
      };
      if (!lookup) await enqueue();
      let fleet: Fleet | undefined;
      if (this.session.fleet) {
        this.fleet = new FleetDriver(this.session.fleet, log);
        const redis = this.redis;
        fleet = await this.fleet.start({ runId, redisUrl, log, workersSeen: () => readWorkersSeen(redis, runId) });
      } else {
        // Nothing will happen until workers come: say how to start one, as a command that can be pasted. A URL with a
        // password goes into this user's private file (as the private redis-server's does), never onto the terminal.
        if (!this.privateUrlFile && redactUrl(redisUrl) !== redisUrl) {
          this.privateUrlFile = await savePrivateUrl(runId, redisUrl);
          this.urlFileRun = runId;
        }
        const redisEnv = this.privateUrlFile ? `WIKIREVERSE_REDIS_URL_FILE=${this.privateUrlFile}` : `WIKIREVERSE_REDIS_URL='${redisUrl}'`;
        this.session.say(`run ${runId}: no local workers (--workers 0); start workers with: ${redisEnv} wikireverse worker --run ${runId}`);
      }
      const observers = this.session.observers ?? [];
      for (const ob of observers) await ob.onStart?.({ manifest, redis: this.redis, queue: this.queue, redisUrl, store, fleet });
      const workersAlive = (): number | undefined => this.fleet?.aliveLocal();
      if (lookup) {
        this.reduceQueue = openQueue(reduceQueueName(runId), redisUrl, 'wikireverse-reduce-queue');
        if (resuming) await this.reduceQueue.resume();
        await buildLookup({
          queue: this.reduceQueue, redis: this.redis, store, manifest, lookup, pollMillis: this.session.pollMillis, say: this.session.say, workersAlive,
          interrupted: () => this.interrupted,
        });
        await this.save(store, manifest);
        await enqueue();
      }
      await waitUntilSettled({
        onTick: async (snap) => {
          await this.fleet?.tick(snap);
          for (const ob of observers) await ob.onTick?.(snap);
        },
        queue: this.queue, redis: this.redis, store, manifest, pollMillis: this.session.pollMillis, started,
        say: this.session.say, progressDisplay: this.session.progressDisplay, workersAlive,
        interrupted: () => this.interrupted,
      });
      // The aggregate: reduce tasks on the same workers (local and fleet alike); the run stays active until they end.
      const { files, digest } = await collectCommits(store, this.queue, manifest);
      manifest.files = files;
      manifest.status = 'reducing';
      await this.save(store, manifest);
      if (!this.reduceQueue) {
        this.reduceQueue = openQueue(reduceQueueName(runId), redisUrl, 'wikireverse-reduce-queue');
        if (resuming) await this.reduceQueue.resume();
      }
      const buckets = rollupBuckets(manifest, definition);
      const added = await enqueueReduce(this.reduceQueue, store, manifest, digest, buckets);
      this.session.say(
        `run ${runId}: reducing ${files.done} committed files into ${settings.partitions} partitions (${reduceTasks(manifest).length} reduce tasks, ${added} to run)`,
      );
      await waitForReduce({
        queue: this.reduceQueue, redis: this.redis, manifest, pollMillis: this.session.pollMillis, started, say: this.session.say,
        workersAlive, interrupted: () => this.interrupted,
      });
      const reduced = await collectReduce(store, manifest, digest);
      const whyFailed = async (): Promise<string> =>
        (await (this.reduceQueue as Queue).getFailed()).map((j) => `${j.id}: ${j.failedReason}`).join('; ') || 'not committed';
      if (reduced.missing.length > 0) throw new Error(`${reduced.missing.length} of ${settings.partitions} partitions were not merged (${await whyFailed()})`);
      // The outputs keyed across partitions (domains, items, canonical articles): a rollup task a bucket.
      if (buckets > 0) {
        const rolled = await rollUp({
          queue: this.reduceQueue, redis: this.redis, manifest, pollMillis: this.session.pollMillis, started, say: this.session.say,
          workersAlive, interrupted: () => this.interrupted,
        }, store, definition, digest, buckets);
        if (rolled.missing.length > 0) throw new Error(`${rolled.missing.length} of ${buckets} rollup buckets were not aggregated (${await whyFailed()})`);
        reduced.outputs.push(...rolled.outputs);
        for (const [k, v] of Object.entries(rolled.totals)) reduced.totals[k] = (reduced.totals[k] ?? 0) + v;
        mergeCounters(reduced.counters, rolled.counters);
      }
      await this.redis.srem(ACTIVE_RUNS_KEY, runId);
      await this.fleet?.stop();
      // The coordinators' own requests (listing, manifests, commit records) and the reduce tasks' join the files' io.* counters.
      mergeCounters(manifest.counters, reduced.counters);
      mergeCounters(manifest.counters, this.coordinatorIo());
      const failed = files.total - files.done;
      manifest.outputs = reduced.outputs;
      const ended = failed === 0 ? 'succeeded' : 'failed';
      manifest.status = ended;
      if (failed > 0) {
        manifest.reason = `${failed} of ${files.total} input files failed; retry just those with: wikireverse resume ${runId} --out ${settings.out} --retry-failed`;
      }
      const finishedAt = new Date().toISOString();
      manifest.finishedAt = finishedAt;
      manifest.summary = {
        files: files.total,
        filesDone: files.done,
        filesFailed: failed,
        pages: manifest.counters.pages ?? 0,
        links: reduced.totals[definition.rowsOutput] ?? 0,
        articles: reduced.totals[definition.derived[0]?.name ?? ''] ?? 0,
        seconds: Math.round((Date.now() - started) / 100) / 10,
      };
      await this.save(store, manifest);
      await finishRunRecord(this.redis, runId, ended, finishedAt);
      log.info({ status: manifest.status, summary: manifest.summary }, 'run finished');
      return { manifest, exitCode: manifest.status === 'succeeded' ? ExitCode.Ok : ExitCode.Failed };
    } catch (err) {
      if (err instanceof CancelledError) {
        manifest.status = 'cancelled';
        manifest.reason = err.message;
        manifest.finishedAt = new Date().toISOString();
        await markCommitted(store, manifest);
        await this.save(store, manifest).catch(() => undefined);
        return { manifest, exitCode: ExitCode.Cancelled };
      }
      if (err instanceof LookupFailedError) {
        // Nothing was mapped: the run fails, saying why (a malformed dump names the file and the byte offset).
        manifest.status = 'failed';
        manifest.reason = `${err.message}; fix the dumps, then: wikireverse resume ${runId} --out ${settings.out}`;
        manifest.finishedAt = new Date().toISOString();
        await this.save(store, manifest).catch(() => undefined);
        if (this.redis) await finishRunRecord(this.redis, runId, 'failed', manifest.finishedAt).catch(() => undefined);
        return { manifest, exitCode: ExitCode.Failed };
      }
      if (err instanceof InterruptedError) {
        await Promise.race([this.pauseQueues().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
        markInterrupted(manifest);
        await markCommitted(store, manifest);
        await this.save(store, manifest).catch(() => undefined);
        if (this.redis) await setRunStatus(this.redis, runId, 'interrupted').catch(() => undefined);
        return { manifest, exitCode: ExitCode.Interrupted };
      }
      manifest.reason = `${err instanceof Error ? err.message : String(err)}; the run can be resumed: wikireverse resume ${runId} --out ${settings.out}`;
      await this.save(store, manifest).catch(() => undefined);
      if (/no space left on device|disk quota exceeded|ENOSPC|EDQUOT/.test(err instanceof Error ? err.message : '')) {
        throw new Error(`${(err as Error).message}; free space there, then continue with: wikireverse resume ${runId} --out ${settings.out}`, { cause: err });
      }
      throw err;
    } finally {
      // A fleet of priced machines (EC2) stops first, so the cost ledger's last update sees every machine's end. Local
      // processes stop in shutdown(), after the observers: their drain may take its grace time (10 s), and the
      // final cost.json, timeline and report.html are written meanwhile, within the interrupt's bound.
      if (this.fleet?.fleet?.lifetimes) await this.fleet.stop();
      for (const ob of this.session.observers ?? []) await Promise.resolve(ob.onFinish?.(manifest, store)).catch(() => undefined);
      await this.recordLateWrites(store, manifest);
      await this.shutdown();
    }
  }

  private async startRedis(runId: string): Promise<string> {
    if (this.session.redisUrl) return this.session.redisUrl;
    this.embedded = await startRedisServer(this.session.redisServerBin);
    this.urlFileRun = runId;
    this.privateUrlFile = await savePrivateUrl(runId, this.embedded.url); // for `cancel` and hand-started workers
    this.session.log.info({ port: this.embedded.port }, 'private redis-server started');
    return this.embedded.url;
  }

  /** First Ctrl-C: stop waiting, let local workers finish their current files, leave the run resumable. */
  interrupt(): void {
    this.interrupted = true;
  }

  /**
   * The coordinator could not stop by itself (it waits on a Redis that is gone): marks the manifest interrupted and
   * stops the workers and the private redis-server, each within a bound. The caller then exits.
   */
  async abandon(): Promise<void> {
    const bound = <T>(p: Promise<T>, millis: number): Promise<unknown> => Promise.race([p.catch(() => undefined), new Promise((r) => setTimeout(r, millis).unref())]);
    await bound(this.pauseQueues(), 2000);
    if (this.current) {
      markInterrupted(this.current.manifest);
      await bound(this.save(this.current.store, this.current.manifest), 3000);
    }
    await bound(this.fleet?.stop() ?? Promise.resolve(), 3000);
    await bound(this.embedded?.stop() ?? Promise.resolve(), 3000);
  }

  /**
   * An interrupted run's queues stop handing out tasks (BullMQ's global pause): workers started elsewhere (`--workers 0`,
   * a fleet) finish the files they hold and take no more; `resume` un-pauses them.
   */
  private async pauseQueues(): Promise<void> {
    await Promise.all([this.queue?.pause(), this.reduceQueue?.pause()]);
  }

  /** The coordinators' own `io.*` counters: earlier sessions' and this one's. */
  private coordinatorIo(): CounterMap {
    return mergeCounters({ ...this.carriedIo }, this.ioSession().counters.toJSON());
  }

  /**
   * The observers' last writes (the final cost.json, timeline.json, report.html) go through the store after the run's
   * last manifest write: when they made requests, the manifest is written once more, counting them and its own PUT.
   */
  private async recordLateWrites(store: OutputStore, manifest: Manifest): Promise<void> {
    const saved = manifest.coordinatorIo ?? {};
    const late: CounterMap = {};
    for (const [k, v] of Object.entries(this.coordinatorIo())) if (v !== (saved[k] ?? 0)) late[k] = v - (saved[k] ?? 0);
    if (Object.keys(late).length === 0) return;
    const counted = withOwnPut(late, store.protocol);
    manifest.coordinatorIo = mergeCounters({ ...saved }, counted);
    // A finished run's totals hold the coordinator's requests (merged before its last save); a stopped one's do not.
    if (manifest.status === 'succeeded' || manifest.status === 'failed') mergeCounters(manifest.counters, counted);
    await writeManifest(store, manifest).catch(() => undefined);
  }

  /** Writes the manifest with the coordinators' own counters so far (a later `resume` carries them on). */
  private async save(store: OutputStore, manifest: Manifest): Promise<void> {
    manifest.coordinatorIo = this.coordinatorIo();
    if (this.part) (manifest.sessionsMillis ??= [])[this.part.index] = Date.now() - this.part.startedAt;
    if (this.redis) {
      // A Redis that is gone does not hold the save up (an interrupt's save must end in seconds).
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), LIVE_TOTALS_WAIT_MILLIS); });
      const t: LiveTotals | undefined = await Promise.race([readLiveTotals(this.redis, manifest.runId).catch(() => undefined), late]);
      clearTimeout(timer);
      if (t && t.files > 0) manifest.liveTotals = { pages: t.pages, rows: t.rows, bytes: t.bytes, workerMillis: t.workerMillis };
    }
    await writeManifest(store, manifest);
  }

  private ioSession(): IoSession {
    this.io ??= new IoSession(this.session.io);
    return this.io;
  }

  /** Stops the fleet, closes connections, stops the private redis-server. Safe to call twice. */
  async shutdown(): Promise<void> {
    this.io?.close();
    this.io = undefined;
    await this.fleet?.stop();
    this.fleet = undefined;
    await this.queue?.close().catch(() => undefined);
    this.queue = undefined;
    await this.reduceQueue?.close().catch(() => undefined);
    this.reduceQueue = undefined;
    this.redis?.disconnect();
    this.redis = undefined;
    await this.embedded?.stop().catch(() => undefined);
    this.embedded = undefined;
    if (this.urlFileRun) await removePrivateUrl(this.urlFileRun).catch(() => undefined);
    this.urlFileRun = undefined;
    this.privateUrlFile = undefined;
  }
}
