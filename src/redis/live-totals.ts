/**
 * Live totals of a run in Redis, for progress displays (`run`, `status`): workers add each committed file once,
 * coordinators and `status` read them. The output store stays the source of truth for the final summary.
 */
import type { Redis } from 'ioredis';
import { costKey, liveTotalsFilesKey, liveTotalsKey, readCount } from './run-record.js';
import type { FileResult } from '../storage/layout.js';

export interface LiveTotals {
  readonly files: number;
  readonly pages: number;
  /** Rows of the job's main output (links for the Wikipedia job). */
  readonly rows: number;
  /** Compressed input bytes read. */
  readonly bytes: number;
  /** Wall time workers spent on committed files. */
  readonly workerMillis: number;
  /** The cost ledger's total, or null when no ledger runs. */
  readonly costUsd: number | null;
}

// Adds a file's numbers only if its id is new to the run's counted set: a file committed twice counts once.
const RECORD = `if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  for i = 2, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 0`;

/** Adds a committed file's totals, its CPU time and its storage requests (`io.*`, for the cost ledger) once. */
export async function recordCommitted(redis: Redis, runId: string, r: FileResult): Promise<void> {
  const fields: Record<string, number> = {
    files: 1, pages: r.counters.pages ?? 0, rows: r.rows, bytes: r.compressedBytes, workerMillis: Math.round(r.seconds * 1000),
    cpuMillis: Math.round((r.cpuSeconds ?? 0) * 1000), ...ioCounters(r.counters),
  };
  await record(redis, runId, r.fileId, fields);
}

/** Adds a reduce task's CPU time and storage requests once per task and set of inputs (`id`). */
export async function recordReduced(redis: Redis, runId: string, id: string, cpuSeconds: number, counters: Record<string, number>): Promise<void> {
  await record(redis, runId, `reduce:${id}`, { reduceMillis: Math.round(cpuSeconds * 1000), cpuMillis: Math.round(cpuSeconds * 1000), ...ioCounters(counters) });
}

// Counts as committed the files of `ids` new to the run's counted set (their totals unknown: committed before this Redis knew them).
const RECORD_IDS = `local n = 0
for i = 1, #ARGV do n = n + redis.call('SADD', KEYS[2], ARGV[i]) end
if n > 0 then redis.call('HINCRBY', KEYS[1], 'files', n) end
return n`;

/**
 * Counts files the output store holds commit records of (a resume on another Redis, a Redis restarted empty) among the
 * run's committed files, once each: `done` agrees with the store. Their pages and rows stay unknown to the live totals.
 */
export async function recordCommittedIds(redis: Redis, runId: string, ids: Iterable<string>): Promise<void> {
  const all = [...ids];
  for (let i = 0; i < all.length; i += 1000) await redis.eval(RECORD_IDS, 2, liveTotalsKey(runId), liveTotalsFilesKey(runId), ...all.slice(i, i + 1000));
}

/**
 * Starts a resumed run's totals from what an earlier session saw (the manifest's `liveTotals`), on a Redis that does not
 * hold them (a new private server): fields the run's hash has are kept.
 */
export async function carryLiveTotals(redis: Redis, runId: string, carried: { pages: number; rows: number; bytes: number; workerMillis: number } | undefined): Promise<void> {
  if (carried === undefined) return;
  const m = redis.multi();
  for (const [k, v] of Object.entries(carried)) if (Number.isSafeInteger(v) && v > 0) m.hsetnx(liveTotalsKey(runId), k, String(v));
  await m.exec();
}

function ioCounters(c: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(c).filter(([k]) => k.startsWith('io.')));
}

async function record(redis: Redis, runId: string, id: string, fields: Record<string, number>): Promise<void> {
  const args = Object.entries(fields).flatMap(([k, v]) => [k, String(Math.round(v))]);
  await redis.eval(RECORD, 2, liveTotalsKey(runId), liveTotalsFilesKey(runId), id, ...args);
}

/** The run's workers' CPU seconds and storage requests so far (committed files and reduce tasks), for the cost ledger. */
export async function readRunUsage(redis: Redis, runId: string): Promise<{ cpuSeconds: number; counters: Record<string, number> }> {
  const h = await redis.hgetall(liveTotalsKey(runId));
  const counters: Record<string, number> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith('io.')) counters[k] = readCount(v);
  return { cpuSeconds: readCount(h.cpuMillis) / 1000, counters };
}

/** The cost ledger's total so far (USD), or null when no ledger runs (or it holds no number). */
export async function readCostUsd(redis: Redis, runId: string): Promise<number | null> {
  const usd = Number(await redis.hget(costKey(runId), 'totalUsd') ?? NaN);
  return Number.isFinite(usd) && usd >= 0 ? usd : null;
}

export async function readLiveTotals(redis: Redis, runId: string): Promise<LiveTotals> {
  const [h, costUsd] = await Promise.all([redis.hgetall(liveTotalsKey(runId)), readCostUsd(redis, runId)]);
  const n = (k: string): number => readCount(h[k]);
  return { files: n('files'), pages: n('pages'), rows: n('rows'), bytes: n('bytes'), workerMillis: n('workerMillis'), costUsd };
}
