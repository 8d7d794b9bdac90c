/**
 * Configuration, declared once. Every setting has a default and an environment variable;
 * values resolve as: explicit options > environment > defaults. This is the only module that reads `process.env`.
 */
import os from 'node:os';

type Kind = 'int' | 'string' | 'bool';

interface SettingSpec {
  readonly env: string;
  readonly kind: Kind;
  readonly default: number | string | boolean | undefined;
  readonly doc: string;
}

/** The table of settings. Units are in the names. */
export const SETTINGS = {
  redisUrl: { env: 'WIKIREVERSE_REDIS_URL', kind: 'string', default: undefined, doc: 'Redis URL; unset: `run` starts a private redis-server' },
  redisServerBin: { env: 'WIKIREVERSE_REDIS_SERVER', kind: 'string', default: 'redis-server', doc: 'redis-server binary started by `run` without --redis' },
  workers: { env: 'WIKIREVERSE_WORKERS', kind: 'int', default: Math.max(1, os.availableParallelism()), doc: 'local worker processes' },
  concurrency: { env: 'WIKIREVERSE_CONCURRENCY', kind: 'int', default: 1, doc: 'files processed at once by one worker process' },
  partitions: { env: 'WIKIREVERSE_PARTITIONS', kind: 'int', default: 8, doc: 'partitions of the output (part-*.parquet files)' },
  attempts: { env: 'WIKIREVERSE_ATTEMPTS', kind: 'int', default: 5, doc: 'attempts per input file before it is failed' },
  backoffMillis: { env: 'WIKIREVERSE_BACKOFF_MS', kind: 'int', default: 2000, doc: 'first retry delay (exponential)' },
  lockDurationMillis: { env: 'WIKIREVERSE_LOCK_MS', kind: 'int', default: 30000, doc: 'job lock; a dead worker\'s file is retried after this' },
  stalledIntervalMillis: { env: 'WIKIREVERSE_STALLED_INTERVAL_MS', kind: 'int', default: 15000, doc: 'how often workers look for stalled files' },
  maxStalledCount: { env: 'WIKIREVERSE_MAX_STALLED', kind: 'int', default: 20, doc: 'times a file may stall (its worker died) before it is failed' },
  maxRecordBytes: { env: 'WIKIREVERSE_MAX_RECORD_BYTES', kind: 'int', default: 16 * 1024 * 1024, doc: 'payload bytes read per record; the rest is skipped and counted' },
  maxWorkerRestarts: { env: 'WIKIREVERSE_MAX_WORKER_RESTARTS', kind: 'int', default: 20, doc: 'local worker processes restarted after a crash, per run' },
  logLevel: { env: 'WIKIREVERSE_LOG_LEVEL', kind: 'string', default: undefined, doc: 'trace|debug|info|warn|error|silent (default: info for `worker`, warn otherwise)' },
  reducerMemoryMb: { env: 'WIKIREVERSE_REDUCER_MEMORY_MB', kind: 'int', default: 512, doc: 'memory limit of the reducer (spills to disk past it)' },
  pollMillis: { env: 'WIKIREVERSE_POLL_MS', kind: 'int', default: 500, doc: 'coordinator progress poll interval' },
} as const satisfies Record<string, SettingSpec>;

type Specs = typeof SETTINGS;
type ValueOf<S extends SettingSpec> = S['kind'] extends 'int' ? number : S['kind'] extends 'bool' ? boolean : string;
export type Config = {
  readonly [K in keyof Specs]: Specs[K]['default'] extends undefined ? ValueOf<Specs[K]> | undefined : ValueOf<Specs[K]>;
};
export type ConfigOverrides = { [K in keyof Config]?: Config[K] | undefined };

function parse(name: string, spec: SettingSpec, raw: string): number | string | boolean {
  if (spec.kind === 'int') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`Invalid value for ${name} (${spec.env}=${JSON.stringify(raw)}): expected a non-negative integer`);
    }
    return n;
  }
  if (spec.kind === 'bool') return raw === '1' || raw.toLowerCase() === 'true';
  return raw;
}

/** Resolves the configuration: overrides > environment > defaults. The result is frozen. */
export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(SETTINGS) as [string, SettingSpec][]) {
    const given = (overrides as Record<string, unknown>)[name];
    const fromEnv = env[spec.env];
    if (given !== undefined) out[name] = given;
    else if (fromEnv !== undefined && fromEnv !== '') out[name] = parse(name, spec, fromEnv);
    else out[name] = spec.default;
  }
  return Object.freeze(out) as Config;
}

/** Environment for child processes we spawn (workers inherit the parent's environment). */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/** Whether stderr is a terminal (for human-readable logs). */
export function isInteractive(): boolean {
  return Boolean(process.stderr.isTTY) && process.env.CI === undefined;
}
