/**
 * Configuration, declared once. Every setting has a default and an environment variable;
 * values resolve as: explicit options > environment > defaults. This is the only module that reads `process.env`.
 * Values are checked as they are read: a boolean is true/false (1/0, yes/no, on/off), a choice one of its values, a
 * number within its bounds; anything else ends the command with exit code 2 and one line naming the variable.
 */
import fs from 'node:fs';
import os from 'node:os';
import { UsageError } from '../exit-codes.js';

type Kind = 'int' | 'number' | 'string' | 'bool' | 'choice';

export interface SettingSpec {
  readonly env: string;
  readonly kind: Kind;
  readonly default: number | string | boolean | undefined;
  readonly doc: string;
  /** `choice`: the values it takes (exactly as written). */
  readonly choices?: readonly string[];
  /** `int`/`number`: the smallest value taken. @default 0 */
  readonly min?: number;
  /** `int`/`number`: the largest value taken. */
  readonly max?: number;
  /** `number`: values must be above this one (not equal to it). */
  readonly above?: number;
}

/** pino's levels, least to most severe, and `silent`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The log level of a command when neither `--log-level` nor WIKIREVERSE_LOG_LEVEL gives one: a worker reports each
 * file (and `fleet up` each launch) at info; the commands a person watches only warn, their progress is on screen.
 */
export const DEFAULT_LOG_LEVEL = { worker: 'info', other: 'warn' } as const satisfies Record<string, LogLevel>;

const PORT = { min: 0, max: 65535 } as const;

/** The table of settings. Units are in the names. */
export const SETTINGS = {
  redisUrl: { env: 'WIKIREVERSE_REDIS_URL', kind: 'string', default: undefined, doc: 'Redis URL; unset: `run` starts a private redis-server' },
  redisServerBin: { env: 'WIKIREVERSE_REDIS_SERVER', kind: 'string', default: 'redis-server', doc: 'redis-server binary started by `run` without --redis' },
  workers: { env: 'WIKIREVERSE_WORKERS', kind: 'int', default: Math.max(1, os.availableParallelism()), doc: 'local worker processes' },
  concurrency: { env: 'WIKIREVERSE_CONCURRENCY', kind: 'int', min: 1, default: 1, doc: 'files processed at once by one worker process' },
  partitions: { env: 'WIKIREVERSE_PARTITIONS', kind: 'int', min: 0, max: 256, default: 0, doc: 'partitions of the output (part-*.parquet files); 0: sized to the run, one per 2,000 input files (1 to 256)' },
  titles: { env: 'WIKIREVERSE_TITLES', kind: 'string', default: undefined, doc: 'a directory of Wikimedia dump files (page, redirect, wb_items_per_site .sql.gz) the links are joined with: canonical articles (redirects followed) and Wikidata ids (`--titles`)' },
  reduceTaskPartitions: { env: 'WIKIREVERSE_REDUCE_TASK_PARTITIONS', kind: 'int', min: 1, default: 16, doc: 'partitions merged by one reduce task, one after the other (one ranged read per input file and task: a full crawl of 50 partitions takes 4 tasks, 4 GETs a file)' },
  indexTaskRecords: { env: 'WIKIREVERSE_INDEX_TASK_RECORDS', kind: 'int', min: 1, default: 1000, doc: 'with --where: records of one WARC file per task at most (each one Range request)' },
  indexTaskMb: { env: 'WIKIREVERSE_INDEX_TASK_MB', kind: 'int', min: 1, default: 64, doc: 'with --where: compressed MB of records per task at most (a task holds at least one record)' },
  attempts: { env: 'WIKIREVERSE_ATTEMPTS', kind: 'int', min: 1, default: 5, doc: 'attempts per input file before it is failed' },
  backoffMillis: { env: 'WIKIREVERSE_BACKOFF_MS', kind: 'int', default: 2000, doc: 'first retry delay (exponential)' },
  lockDurationMillis: { env: 'WIKIREVERSE_LOCK_MS', kind: 'int', min: 1, default: 30000, doc: 'job lock; a dead worker\'s file is retried after this' },
  stalledIntervalMillis: { env: 'WIKIREVERSE_STALLED_INTERVAL_MS', kind: 'int', min: 1, default: 15000, doc: 'how often workers look for stalled files' },
  maxStalledCount: { env: 'WIKIREVERSE_MAX_STALLED', kind: 'int', default: 20, doc: 'times a file may stall (its worker died) before it is failed' },
  maxRecordBytes: { env: 'WIKIREVERSE_MAX_RECORD_BYTES', kind: 'int', min: 1, default: 16 * 1024 * 1024, doc: 'payload bytes read per record; the rest is skipped and counted' },
  inflate: { env: 'WIKIREVERSE_INFLATE', kind: 'choice', choices: ['auto', 'libdeflate', 'zlib'], default: 'auto', doc: 'what inflates gzip members: auto (libdeflate through the addon npm ci builds, else node\'s zlib), libdeflate (the addon or an error), zlib' },
  noProgressSecs: { env: 'WIKIREVERSE_NO_PROGRESS_SECS', kind: 'int', min: 1, default: 120, doc: 'a file whose reading makes no progress this long fails (a reader stuck in a loop: for good; no bytes arriving: this attempt)' },
  fileHeapMb: { env: 'WIKIREVERSE_FILE_HEAP_MB', kind: 'int', min: 16, default: 1536, doc: 'heap of the thread a worker reads a file in; past it the file fails, not the worker' },
  maxWorkerRestarts: { env: 'WIKIREVERSE_MAX_WORKER_RESTARTS', kind: 'int', default: 20, doc: 'local worker processes restarted after a crash, per run' },
  logLevel: { env: 'WIKIREVERSE_LOG_LEVEL', kind: 'choice', choices: LOG_LEVELS, default: undefined, doc: 'log level on stderr (--log-level); unset: DEFAULT_LOG_LEVEL (info for `worker` and `fleet up`, warn otherwise)' },
  logFormat: { env: 'WIKIREVERSE_LOG_FORMAT', kind: 'choice', choices: ['auto', 'json', 'pretty'], default: 'auto', doc: 'auto is human-readable (pino-pretty) when stderr is a terminal and CI is unset, else JSON lines' },
  dashboardPort: { env: 'WIKIREVERSE_DASHBOARD_PORT', kind: 'int', ...PORT, default: 3030, doc: '`wikireverse dashboard` port (on 127.0.0.1)' },
  progress: { env: 'WIKIREVERSE_PROGRESS', kind: 'bool', default: true, doc: '`run`/`resume` progress display on stderr (false: as --no-progress, plain lines even on a terminal)' },
  reducerMemoryMb: { env: 'WIKIREVERSE_REDUCER_MEMORY_MB', kind: 'int', min: 16, default: 512, doc: 'memory budget of a reduce task on a worker (DuckDB gets a quarter and spills to disk past it)' },
  pollMillis: { env: 'WIKIREVERSE_POLL_MS', kind: 'int', min: 1, default: 500, doc: 'coordinator progress poll interval' },
  source: { env: 'WIKIREVERSE_SOURCE', kind: 'choice', choices: ['https', 's3'], default: undefined, doc: 'where `--crawl` reads Common Crawl: https (data.commoncrawl.org) or s3 (s3://commoncrawl/); default: s3 when AWS credentials are found, else https' },
  s3Endpoint: { env: 'WIKIREVERSE_S3_ENDPOINT', kind: 'string', default: undefined, doc: 'S3-compatible endpoint for every s3:// location (MinIO, R2, Ceph); KEY:SECRET@ in the URL is used as credentials and never logged' },
  s3Region: { env: 'WIKIREVERSE_S3_REGION', kind: 'string', default: 'us-east-1', doc: 'S3 region (Common Crawl is in us-east-1)' },
  s3ForcePathStyle: { env: 'WIKIREVERSE_S3_FORCE_PATH_STYLE', kind: 'bool', default: false, doc: 'path-style bucket addressing (always on with an S3 endpoint)' },
  ioAttempts: { env: 'WIKIREVERSE_IO_ATTEMPTS', kind: 'int', min: 1, default: 10, doc: 'requests per storage operation before a transient failure (503 SlowDown, 5xx, reset) is final' },
  ioBackoffMillis: { env: 'WIKIREVERSE_IO_BACKOFF_MS', kind: 'int', default: 500, doc: 'first storage retry delay (jittered, doubling)' },
  ioMaxBackoffMillis: { env: 'WIKIREVERSE_IO_MAX_BACKOFF_MS', kind: 'int', default: 30000, doc: 'largest storage retry delay' },
  ioResumes: { env: 'WIKIREVERSE_IO_RESUMES', kind: 'int', default: 20, doc: 'Range-request resumes per input body whose connection died' },
  ioIdleTimeoutMillis: { env: 'WIKIREVERSE_IO_IDLE_TIMEOUT_MS', kind: 'int', min: 1, default: 30000, doc: 'an input response that sends nothing for this long is abandoned and resumed' },
  ioConnectTimeoutMillis: { env: 'WIKIREVERSE_IO_CONNECT_TIMEOUT_MS', kind: 'int', min: 1, default: 10000, doc: 'a storage connection not established within this long is abandoned (and retried)' },
  ioFirstByteTimeoutMillis: { env: 'WIKIREVERSE_IO_FIRST_BYTE_TIMEOUT_MS', kind: 'int', min: 1, default: 20000, doc: 'an input request answered by no response headers within this long is abandoned (and retried)' },
  ioGiveUpMillis: { env: 'WIKIREVERSE_IO_GIVE_UP_MS', kind: 'int', min: 1, default: 60000, doc: 'an input that delivers no byte for this long, through all its retries and resumes, fails this attempt' },
  rateLimit: { env: 'WIKIREVERSE_RATE_LIMIT', kind: 'int', default: 0, doc: 'input files started per second across all workers of a run (BullMQ limiter); 0: no limit' },
  healthPort: { env: 'WIKIREVERSE_HEALTH_PORT', kind: 'int', ...PORT, default: 0, doc: 'port of a worker\'s /healthz and /metrics; 0: off (local workers: child i uses port+i)' },
  healthHost: { env: 'WIKIREVERSE_HEALTH_HOST', kind: 'string', default: '127.0.0.1', doc: 'address a worker\'s /healthz and /metrics listen on (loopback; the container image sets 0.0.0.0 for its published port)' },
  imdsUrl: { env: 'WIKIREVERSE_IMDS_URL', kind: 'string', default: undefined, doc: 'instance-metadata base URL polled for spot notices; default: http://169.254.169.254 on EC2, off elsewhere' },
  imdsPollMillis: { env: 'WIKIREVERSE_IMDS_POLL_MS', kind: 'int', min: 1, default: 2000, doc: 'how often a worker polls the instance metadata for a spot notice' },
  workerRedisWaitMillis: { env: 'WIKIREVERSE_WORKER_REDIS_WAIT_MS', kind: 'int', min: 1, default: 60000, doc: 'a standalone worker waits this long for Redis at start, and exits when its Redis has been down this long' },
  idleExitSecs: { env: 'WIKIREVERSE_EXIT_WHEN_IDLE_SECS', kind: 'int', default: 0, doc: 'a worker exits after this long without a file (fleet instances then shut down); 0: never' },
  fleet: { env: 'WIKIREVERSE_FLEET', kind: 'choice', choices: ['local', 'ec2'], default: 'local', doc: 'where `run` starts workers: local (processes) or ec2 (spot instances)' },
  instances: { env: 'WIKIREVERSE_INSTANCES', kind: 'int', min: 1, default: 2, doc: 'EC2 instances at most (--fleet ec2)' },
  instanceTypes: { env: 'WIKIREVERSE_INSTANCE_TYPES', kind: 'string', default: 'm6i.large,m6a.large,m5.large,c6i.large,c6a.large,c5.large', doc: 'spot instance types, comma-separated (x86_64)' },
  image: { env: 'WIKIREVERSE_IMAGE', kind: 'string', default: undefined, doc: 'worker container image the instances run (e.g. an ECR URI)' },
  subnets: { env: 'WIKIREVERSE_SUBNETS', kind: 'string', default: undefined, doc: 'subnet ids, comma-separated (default: the default VPC)' },
  securityGroups: { env: 'WIKIREVERSE_SECURITY_GROUPS', kind: 'string', default: undefined, doc: 'security group ids for the instances, comma-separated' },
  instanceProfile: { env: 'WIKIREVERSE_INSTANCE_PROFILE', kind: 'string', default: undefined, doc: 'instance profile (name or ARN) allowed to read --redis-param and pull the image' },
  redisParam: { env: 'WIKIREVERSE_REDIS_PARAM', kind: 'string', default: undefined, doc: 'SSM parameter (SecureString) holding the Redis URL the instances use; never put in user-data' },
  ec2Region: { env: 'WIKIREVERSE_EC2_REGION', kind: 'string', default: 'us-east-1', doc: 'region of the EC2 fleet (Common Crawl is in us-east-1)' },
  amiId: { env: 'WIKIREVERSE_AMI', kind: 'string', default: undefined, doc: 'AMI of the instances (default: latest ECS-optimized Amazon Linux 2023 of the instance types\' architecture, via SSM)' },
  imageArchs: { env: 'WIKIREVERSE_IMAGE_ARCHS', kind: 'string', default: 'x86_64', doc: 'architectures the worker image is built for, comma-separated (x86_64, arm64): instance types of another are refused' },
  volumeGb: { env: 'WIKIREVERSE_VOLUME_GB', kind: 'int', min: 1, default: 30, doc: 'root EBS volume per instance, GB' },
  prices: { env: 'WIKIREVERSE_PRICES', kind: 'string', default: undefined, doc: 'JSON file overriding the price table (src/cost/prices.ts)' },
  budgetUsd: { env: 'WIKIREVERSE_BUDGET_USD', kind: 'number', above: 0, default: undefined, doc: 'cancel a run when its cost ledger reaches this many USD' },
  costIntervalMillis: { env: 'WIKIREVERSE_COST_INTERVAL_MS', kind: 'int', min: 1, default: 10000, doc: 'how often the cost ledger is recomputed and written (cost.json)' },
  containerTest: { env: 'WIKIREVERSE_CONTAINER_TEST', kind: 'choice', choices: ['auto', 'require'], default: 'auto', doc: 'the container test only (test/integration/container.test.ts): auto skips it, saying why, where no container engine can run; require (CI) fails it there' },
  fuzzSelftest: { env: 'WIKIREVERSE_FUZZ_SELFTEST', kind: 'choice', choices: ['hang', 'crash', 'memory'], default: undefined, doc: 'the fuzz harness\'s own tests only: makes its reader child fail on purpose on inputs starting with FUZZ-SELFTEST' },
  fleetHealthPort: { env: 'WIKIREVERSE_FLEET_HEALTH_PORT', kind: 'int', min: 1, max: 65535, default: 9464, doc: 'port of /healthz and /metrics of the worker container on each fleet instance (published on the instance)' },
  fleetIdleExitSecs: { env: 'WIKIREVERSE_FLEET_EXIT_WHEN_IDLE_SECS', kind: 'int', min: 1, default: 120, doc: 'a fleet instance\'s worker exits after this long without a file, and the instance shuts down' },
  fleetBootSecs: { env: 'WIKIREVERSE_FLEET_BOOT_SECS', kind: 'int', min: 1, default: 600, doc: 'a fleet instance whose worker has not connected to Redis this long after launch is terminated, a failed launch' },
  fleetMaxFailedLaunches: { env: 'WIKIREVERSE_FLEET_MAX_FAILED_LAUNCHES', kind: 'int', min: 1, default: 3, doc: 'failed launches in a row (instances that never became workers) after which the run fails, naming the cause; each one doubles the wait before the next top-up' },
  fleetLaunchBackoffMillis: { env: 'WIKIREVERSE_FLEET_LAUNCH_BACKOFF_MS', kind: 'int', min: 1, default: 30000, doc: 'wait before the next top-up after a failed launch, doubling with each one in a row (at most 10 min)' },
  instanceId: { env: 'WIKIREVERSE_INSTANCE_ID', kind: 'string', default: undefined, doc: 'the EC2 instance a worker runs on (the user-data sets it): its name in the run\'s list of workers; unset: host:pid' },
  fleetResizeMillis: { env: 'WIKIREVERSE_FLEET_RESIZE_MS', kind: 'int', min: 1, default: 30000, doc: 'how often the EC2 fleet is resized to the work left' },
} as const satisfies Record<string, SettingSpec>;

type Specs = typeof SETTINGS;
type ValueOf<S extends SettingSpec> = S extends { readonly kind: 'choice'; readonly choices: readonly (infer C)[] }
  ? C
  : S['kind'] extends 'int' | 'number' ? number : S['kind'] extends 'bool' ? boolean : string;
export type Config = {
  readonly [K in keyof Specs]: Specs[K]['default'] extends undefined ? ValueOf<Specs[K]> | undefined : ValueOf<Specs[K]>;
};
export type ConfigOverrides = { [K in keyof Config]?: Config[K] | undefined };

/** A setting with a value it does not take: one line naming the variable, the value and what it takes; exit code 2. */
export class ConfigError extends UsageError {
  override name = 'ConfigError';
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

/** What a numeric setting takes, in words: "an integer from 0 to 65535", "a number above 0". */
function numberRange(spec: SettingSpec): string {
  const what = spec.kind === 'int' ? 'an integer' : 'a number';
  if (spec.above !== undefined) return `${what} above ${spec.above}`;
  const min = spec.min ?? 0;
  return spec.max === undefined ? `${what} >= ${min}` : `${what} from ${min} to ${spec.max}`;
}

/**
 * A setting's value from its text (`from`: where the text came from, e.g. the variable's name), or a ConfigError that
 * quotes the text, unless it came from a file (`inFile`: it may be a secret, or anything else the file held).
 */
export function parseSetting(spec: SettingSpec, raw: string, from: string = spec.env, inFile = false): number | string | boolean {
  const bad = (expected: string): ConfigError =>
    new ConfigError(inFile ? `${from}: the file's content is not a valid value (expected ${expected})` : `${from} ${JSON.stringify(raw)}: expected ${expected}`);
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      const ok = spec.kind === 'int' ? Number.isInteger(n) : Number.isFinite(n);
      const inRange = spec.above !== undefined ? n > spec.above : n >= (spec.min ?? 0) && (spec.max === undefined || n <= spec.max);
      if (!ok || !inRange) throw bad(numberRange(spec));
      return n;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (TRUE.includes(v)) return true;
      if (FALSE.includes(v)) return false;
      throw bad('true or false (or 1/0, yes/no, on/off)');
    }
    case 'choice':
      if (!spec.choices?.includes(raw)) throw bad(`one of ${(spec.choices ?? []).join(', ')}`);
      return raw;
    case 'string':
      return raw;
  }
}

/** Largest `<ENV>_FILE` read (a URL, a password: bytes, not megabytes). */
export const SETTING_FILE_MAX_BYTES = 64 * 1024;

/**
 * A setting's value from the file named by `<ENV>_FILE` (as container secrets are given), when `<ENV>` itself is unset:
 * a password in a file is not on any command line (`ps`) or in the shell's history. The file must be a regular file
 * of at most SETTING_FILE_MAX_BYTES; an error names the file, never what it holds.
 */
function fromFile(envName: string, env: NodeJS.ProcessEnv): string | undefined {
  const file = env[`${envName}_FILE`];
  if (file === undefined || file === '') return undefined;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new ConfigError(`${envName}_FILE (${file}) is not a regular file`);
    if (st.size > SETTING_FILE_MAX_BYTES) throw new ConfigError(`${envName}_FILE (${file}) holds ${st.size} bytes; a setting is at most ${SETTING_FILE_MAX_BYTES}`);
    const buf = Buffer.alloc(SETTING_FILE_MAX_BYTES + 1);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    if (n > SETTING_FILE_MAX_BYTES) throw new ConfigError(`${envName}_FILE (${file}) grew past ${SETTING_FILE_MAX_BYTES} bytes`);
    return buf.toString('utf8', 0, n).trim();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`Cannot read ${envName}_FILE (${file}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(SETTINGS) as [string, SettingSpec][]) {
    const given = (overrides as Record<string, unknown>)[name];
    const fromEnv = env[spec.env] ?? fromFile(spec.env, env);
    if (given !== undefined) out[name] = given;
    else if (fromEnv !== undefined && fromEnv !== '') {
      const inFile = env[spec.env] === undefined;
      out[name] = parseSetting(spec, fromEnv, inFile ? `${spec.env}_FILE` : spec.env, inFile);
    } else out[name] = spec.default;
  }
  return Object.freeze(out) as Config;
}

/**
 * The settings a worker process takes, wherever it runs: local workers get them in their environment, a fleet
 * instance's worker in its container's env file (the user-data), all from the configuration of the command that
 * started the run, so that what a worker runs with never depends on where it runs. Not here: the Redis URL (a secret:
 * each kind of worker gets it its own way), a worker's own port and idle exit (flags of the `worker` command).
 */
export const WORKER_SETTINGS = [
  'concurrency', 'rateLimit', 'logLevel', 'logFormat', 'inflate', 'lockDurationMillis', 'stalledIntervalMillis', 'maxStalledCount', 'noProgressSecs',
  'fileHeapMb', 'reducerMemoryMb', 'imdsPollMillis', 's3Endpoint', 's3Region', 's3ForcePathStyle', 'ioAttempts', 'ioBackoffMillis',
  'ioMaxBackoffMillis', 'ioResumes', 'ioIdleTimeoutMillis', 'ioConnectTimeoutMillis', 'ioFirstByteTimeoutMillis', 'ioGiveUpMillis', 'workerRedisWaitMillis',
] as const satisfies ReadonlyArray<keyof typeof SETTINGS>;

/**
 * The environment that gives a worker `config`'s worker settings (unset ones left out). `credentials: false` (a fleet's
 * user-data, which anyone allowed to describe the instance can read): an S3 endpoint's KEY:SECRET@ is taken out, the
 * instances' role gives them S3 access instead.
 */
export function workerEnv(config: Config, opts: { credentials: boolean }): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of WORKER_SETTINGS) {
    const value = config[name];
    if (value === undefined) continue;
    let text = String(value);
    if (name === 's3Endpoint' && !opts.credentials) {
      const u = new URL(text);
      u.username = '';
      u.password = '';
      text = u.toString().replace(/\/$/, '');
    }
    env[SETTINGS[name].env] = text;
  }
  return env;
}

/** Environment for child processes we spawn (workers inherit the parent's environment). */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/** Whether stderr is a terminal (for human-readable logs). */
export function isInteractive(): boolean {
  return Boolean(process.stderr.isTTY) && process.env.CI === undefined;
}

/** Whether logs should be human-readable, for a `logFormat` setting (auto: on an interactive terminal). */
export function prettyLogs(logFormat: Config['logFormat']): boolean {
  if (logFormat === 'pretty') return true;
  if (logFormat === 'json') return false;
  return isInteractive();
}

/**
 * Node flags of worker processes (local workers, the container's ENTRYPOINT, the benchmark's workers). A fleet runs
 * one worker process per vCPU, so V8's background threads (JIT compiles, concurrent GC) only take CPU from the next
 * worker: `--single-threaded` keeps that work on the worker's own thread. Measured (`npm run bench`, 2 vCPUs, 4 WAT
 * files): 2 workers went from 14,063 to 14,780 pages/s/core; a lone worker no longer borrows ~0.25 of a second core.
 *
 * `--no-incremental-marking`: V8 13 (Node 24) counts ArrayBuffer memory (zlib's output, the record batches) against
 * its external-memory limit, and each 64 MB of it starts an incremental full collection; with `--single-threaded` that
 * marking crawls along on the main thread for ~100 ms, during which no young collection frees the buffers (V8 skips
 * the external-memory scavenge while a full marking runs) and buffers promoted meanwhile live to the collection after
 * next. Node 20 (V8 11) instead scavenged young buffers every 32 MB. Full collections done at once (a ~25 ms pause on
 * a reading thread's ~30 MB heap) keep the buffers from piling up. Measured (a warm worker's reading thread on the
 * 85 MB WAT bench file, medians of 3): Node 24 308 -> 221 MB peak RSS, 0.94 -> 0.88 s; Node 20 173 -> 148 MB,
 * 0.95 -> 0.81 s. It needs extractHtml's one parser for every page (without it, V8 discards the HTML parser's
 * optimized code at each full GC: WARC +15% time).
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--single-threaded', '--no-incremental-marking'];
