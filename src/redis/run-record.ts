/**
 * A run's record in Redis, and the names of every key a run has there (its BullMQ queues aside, see names.ts).
 *
 * The record is one hash per run: what its coordinator wrote when it started the run (`out`, `job`, `files`,
 * `createdAt`) and how the run stands (`status`, with `finishedAt` and `reason` once it ended or was stopped). Every
 * write goes through this module (the coordinator, `cancel`, the cost ledger's budget cap), and so does every read, which
 * validates: a status this module does not write reads as `unknown`, a count as a bounded integer, a date as a date, a
 * text within a bound and without control characters. Nothing read from Redis is trusted beyond what a run put there.
 */
import { withoutControlChars } from '../log/index.js';
import type { Redis } from 'ioredis';

const KEY_PREFIX = 'wikireverse:run:';
/** The run ids of records (`runKeys` forbids `:` in one, so a sub-key never reads as a run). */
const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function runKey(runId: string): string {
  return `${KEY_PREFIX}${runId}`;
}

/** Hash of live totals over a run's committed files (`files`, `pages`, `rows`, `bytes`, `workerMillis`), for progress displays. */
export function liveTotalsKey(runId: string): string {
  return `${runKey(runId)}:progress`;
}

/** Set of the file ids already counted in `liveTotalsKey` (a file committed twice is counted once). */
export function liveTotalsFilesKey(runId: string): string {
  return `${runKey(runId)}:progress:files`;
}

/** Hash kept by the cost ledger (src/cost); field `totalUsd` is the run's cost so far. */
export function costKey(runId: string): string {
  return `${runKey(runId)}:cost`;
}

/** Hash of the run's workers and when each was last seen (workers-seen.ts). */
export function workersSeenKey(runId: string): string {
  return `${runKey(runId)}:workers`;
}

/** Every key of a run in Redis but its queues': the record, the live totals and their set of files, the cost ledger, its workers. */
export function runKeys(runId: string): string[] {
  return [runKey(runId), liveTotalsKey(runId), liveTotalsFilesKey(runId), costKey(runId), workersSeenKey(runId)];
}

/** The ids of the runs a Redis holds a record of (not their sub-keys), sorted. */
export async function listRunIds(redis: Redis): Promise<string[]> {
  const ids = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', runKey('*'), 'COUNT', 500);
    cursor = next;
    for (const k of keys) {
      const id = k.slice(KEY_PREFIX.length);
      if (RUN_ID_RE.test(id)) ids.add(id);
    }
  } while (cursor !== '0');
  return [...ids].sort();
}

/**
 * A run's status, in its record and in its manifest. `interrupted`: the coordinator was stopped (a signal) before the
 * run ended; `resume` continues it.
 */
export const RUN_STATUSES = ['running', 'reducing', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** The statuses after which a run stays as it is: nothing resumes it. */
const ENDED: readonly string[] = ['succeeded', 'failed', 'cancelled'];

/** A coordinator is (or was, until it died) working on the run. */
export function isGoing(status: string | null | undefined): boolean {
  return status === 'running' || status === 'reducing';
}

/** The run has ended for good: nothing resumes it, and it stays as it ended. */
export function hasFinished(status: string | null | undefined): boolean {
  return ENDED.includes(status ?? '');
}

/** What the coordinator writes when a session of the run starts. */
export interface RunStart {
  /** Output store location (`--out`): workers accept only tasks that write there. */
  readonly out: string;
  readonly job: string;
  /** The run's input files (or index tasks). */
  readonly files: number;
  readonly createdAt: string;
  /** The lookup source (`--titles`): workers build a lookup only from this. */
  readonly titles?: string | undefined;
}

/** A run's record as read back, every field validated. */
export interface RunRecord {
  readonly runId: string;
  /** `unknown` when the record holds something no run writes. */
  readonly status: RunStatus | 'unknown';
  readonly out: string | null;
  readonly job: string | null;
  readonly files: number;
  readonly createdAt: string | null;
  readonly finishedAt: string | null;
  readonly reason: string | null;
  readonly titles: string | null;
}

/** Most input files a run has (a bound on `files` as read, far above a crawl's ~100,000). */
export const MAX_RUN_FILES = 1e9;
const MAX_TEXT = 2000;
const JOB_RE = /^[a-z0-9][a-z0-9_-]{0,99}$/i;

/** A count read from Redis: a non-negative integer up to `max`, anything else 0. */
export function readCount(v: string | null | undefined, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v ?? 0);
  return Number.isSafeInteger(n) && n >= 0 && n <= max ? n : 0;
}

function readStatus(v: string | null | undefined): RunStatus | 'unknown' {
  return (RUN_STATUSES as readonly string[]).includes(v ?? '') ? (v as RunStatus) : 'unknown';
}

function readDate(v: string | null | undefined): string | null {
  return v && v.length <= 40 && Number.isFinite(Date.parse(v)) ? v : null;
}

function readText(v: string | null | undefined): string | null {
  return v ? withoutControlChars(v.slice(0, MAX_TEXT)) : null;
}

/** The run's record, or null when Redis has none. */
export async function readRunRecord(redis: Redis, runId: string): Promise<RunRecord | null> {
  const h = await redis.hgetall(runKey(runId));
  if (Object.keys(h).length === 0) return null;
  const job = h.job && JOB_RE.test(h.job) ? h.job : null;
  return {
    runId, status: readStatus(h.status), out: h.out && h.out.length <= MAX_TEXT ? h.out : null, job, files: readCount(h.files, MAX_RUN_FILES),
    createdAt: readDate(h.createdAt), finishedAt: readDate(h.finishedAt), reason: readText(h.reason),
    titles: h.titles && h.titles.length <= MAX_TEXT ? h.titles : null,
  };
}

/** The run's status alone (one field, for a poll); null when Redis has no record of the run. */
export async function readRunStatus(redis: Redis, runId: string): Promise<RunStatus | 'unknown' | null> {
  const v = await redis.hget(runKey(runId), 'status');
  return v === null ? null : readStatus(v);
}

/** A session of the run starts: its record says what it is, and `running` (an earlier end or stop is forgotten). */
export async function createRunRecord(redis: Redis, runId: string, s: RunStart): Promise<void> {
  await redis.multi()
    .hdel(runKey(runId), 'finishedAt', 'reason', 'titles')
    .hset(runKey(runId), { out: s.out, job: s.job, files: String(s.files), createdAt: s.createdAt, status: 'running', ...(s.titles !== undefined ? { titles: s.titles } : {}) })
    .exec();
}

/** Writes the record again if Redis lost it (restarted empty, or flushed); returns whether it had to. */
export async function restoreRunRecord(redis: Redis, runId: string, s: RunStart): Promise<boolean> {
  if ((await redis.exists(runKey(runId))) === 1) return false;
  await createRunRecord(redis, runId, s);
  return true;
}

/** The run stopped without ending (`interrupted`), or was cancelled with a reason (a budget cap). */
export async function setRunStatus(redis: Redis, runId: string, status: 'interrupted' | 'cancelled', reason?: string): Promise<void> {
  await redis.hset(runKey(runId), { status, ...(reason === undefined ? {} : { reason }) });
}

/** The run ended. */
export async function finishRunRecord(redis: Redis, runId: string, status: 'succeeded' | 'failed', finishedAt: string): Promise<void> {
  await redis.hset(runKey(runId), { status, finishedAt });
}

const CANCEL = `local s = redis.call('HGET', KEYS[1], 'status')
for i = 1, #ARGV do if s == ARGV[i] then return s end end
redis.call('HSET', KEYS[1], 'status', 'cancelled')
return 'ok'`;

/**
 * `cancel`: marks the run cancelled unless it ended meanwhile (a cancel racing the end of a run must not relabel it).
 * Returns `ok`, or the status the run ended with.
 */
export async function cancelRunRecord(redis: Redis, runId: string): Promise<'ok' | RunStatus | 'unknown'> {
  const r = String(await redis.eval(CANCEL, 1, runKey(runId), ...ENDED));
  return r === 'ok' ? 'ok' : readStatus(r);
}
