import os from 'node:os';
/** The work of `wikireverse worker` (commands/worker.ts parses its flags), loaded only when it runs. */
import { createLogger, redactUrl } from '../../log/index.js';
import { prettyLogs, workerEnv, type Config } from '../../config/index.js';
import { checkRunId } from '../../coordinator/index.js';
import { FileWorker, HealthServer, IMDS_DEFAULT_URL, WorkerMetrics, leaveOnSpotNotice, onEc2 } from '../../worker/index.js';
import { openRedis } from '../../redis/index.js';
import { onSignals, type CommandContext } from '../context.js';
import { storageSettings, type StorageFlags } from '../storage.js';
import { ExitCode, UsageError } from '../../exit-codes.js';
import { inflateFor } from '../../warc/index.js';

/** On a signal: how long an idle worker, and one finishing its files, may take to close (the container's stop timeout is 110 s). */
const IDLE_CLOSE_MILLIS = 3_000;
const BUSY_CLOSE_MILLIS = 100_000;


export interface WorkerFlags extends StorageFlags {
  redis: string;
  run?: string;
  concurrency: number;
  logLevel: string;
  rateLimit: number;
  healthPort: number;
  imdsUrl?: string;
  exitWhenIdle: number;
}

/** Closes the worker, giving up waiting after `millis` (BullMQ's close waits on a Redis that may be gone). */
function closeWithin(worker: FileWorker, millis: number): Promise<unknown> {
  return Promise.race([worker.close(), new Promise((r) => setTimeout(r, millis).unref())]);
}

export async function workerCommand(ctx: CommandContext, o: WorkerFlags): Promise<void> {
  const { config } = ctx;
  const log = createLogger(o.logLevel, { cmd: 'worker' }, { pretty: prettyLogs(config.logFormat) });
  const metrics = new WorkerMetrics();
  // What inflates the inputs' gzip members (WIKIREVERSE_INFLATE): the libdeflate addon, or node's zlib, saying why.
  let inflate: ReturnType<typeof inflateFor>;
  try {
    inflate = inflateFor(config.inflate);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  metrics.inflateEngine(inflate.inflate.name);
  if (inflate.fallback !== undefined) log.warn({ reason: inflate.fallback }, "inflating with node's zlib: the libdeflate addon is not available");
  const storage = await storageSettings(ctx, o);
  // Started by a local coordinator: when it goes away (even SIGKILLed), stop too; our file goes back to the queue.
  // Listened for first thing: a coordinator may die while this worker is still starting (its threads, Redis).
  let worker: FileWorker | undefined;
  if (process.send) {
    process.once('disconnect', () => {
      log.warn('coordinator gone; stopping');
      void (worker?.close(true) ?? Promise.resolve()).finally(() => process.exit(ExitCode.Ok));
    });
  }
  // Redis must answer before the worker takes anything (a wrong URL or password: one line, exit 2). A fleet instance
  // may boot before its network is up: it waits longer than a command at the terminal does.
  (await openRedis(o.redis, 'wikireverse-worker-check', config.workerRedisWaitMillis)).disconnect();
  worker = new FileWorker({
    redisUrl: o.redis, runId: o.run ? checkRunId(o.run) : undefined, jobs: ctx.jobs, log, concurrency: o.concurrency,
    lockDurationMillis: config.lockDurationMillis, stalledIntervalMillis: config.stalledIntervalMillis,
    maxStalledCount: config.maxStalledCount, io: storage, rateLimit: o.rateLimit, metrics, reducerMemoryMb: config.reducerMemoryMb,
    sandbox: { noProgressMillis: config.noProgressSecs * 1000, heapMb: config.fileHeapMb }, inflate: config.inflate,
    workerId: config.instanceId ?? `${os.hostname().replace(/[^A-Za-z0-9.-]/g, '') || 'host'}:${process.pid}`,
  });
  await worker.start();
  let leaving: string | null = null;
  const health = o.healthPort > 0 ? new HealthServer({ port: o.healthPort, host: config.healthHost, source: worker, metrics, leaving: () => leaving }) : undefined;
  if (health) log.info({ port: await health.start() }, 'serving /healthz and /metrics');
  // The settings it runs with, as a coordinator passes them to every kind of worker (credentials taken out).
  const settings = workerEnv({ ...config, concurrency: o.concurrency, rateLimit: o.rateLimit, logLevel: o.logLevel as Config['logLevel'] }, { credentials: false });
  log.info({ redis: redactUrl(o.redis), run: o.run ?? '(all active runs)', node: process.version, arch: process.arch, inflate: inflate.inflate.name, settings }, 'worker ready');
  const timers: Array<{ stop(): void }> = [];
  let redisLost = false;
  await new Promise<void>((resolve) => {
    const unhook = onSignals(() => {
      log.info('stopping: finishing active files (signal again to exit now)');
      // Idle, a worker has nothing to finish: it stops within seconds even when Redis is gone (BullMQ's close then waits on it).
      const idle = worker.activeFiles === 0;
      void Promise.race([worker.close(), new Promise((r) => setTimeout(r, idle ? IDLE_CLOSE_MILLIS : BUSY_CLOSE_MILLIS).unref())]).then(() => {
        unhook();
        resolve();
      });
    });
    const leave = (): void => {
      unhook();
      resolve();
    };
    // On EC2 (or with --imds-url): a spot notice hands the files back to the queue at once, then the worker exits.
    const imds = o.imdsUrl ?? (onEc2() ? IMDS_DEFAULT_URL : undefined);
    if (imds) timers.push(leaveOnSpotNotice(worker, { baseUrl: imds, pollMillis: config.imdsPollMillis, log, onLeaving: (r) => (leaving = r), onDone: leave }));
    if (o.exitWhenIdle > 0) {
      const t = setInterval(() => {
        if (leaving || worker.activeFiles > 0 || Date.now() - worker.lastProgressAt < o.exitWhenIdle * 1000) return;
        leaving = 'idle';
        log.info({ idleSecs: o.exitWhenIdle }, 'no file for a while; exiting');
        void closeWithin(worker, IDLE_CLOSE_MILLIS).then(leave);
      }, 1000);
      timers.push({ stop: () => clearInterval(t) });
    }
    // A Redis that stays down: nothing to serve and nobody to tell; stop instead of retrying forever.
    const redisCheck = setInterval(() => {
      if (leaving || worker.redisDownMillis() < config.workerRedisWaitMillis) return;
      leaving = 'redis';
      redisLost = true;
      void closeWithin(worker, IDLE_CLOSE_MILLIS).then(leave);
    }, 1000);
    timers.push({ stop: () => clearInterval(redisCheck) });
  });
  for (const t of timers) t.stop();
  await health?.stop();
  if (redisLost) {
    throw new Error(
      `Redis ${redactUrl(o.redis)} has not answered for ${Math.round(config.workerRedisWaitMillis / 1000)} s: this worker stops ` +
        '(a file it was reading goes back to the queue when Redis is back; start a worker again then)',
    );
  }
}
