/**
 * Live totals of a run in Redis, for progress displays (`run`, `status`): workers add each committed file once,
 * coordinators and `status` read them. The output store stays the source of truth for the final summary.
 */
import type { Redis } from 'ioredis';
import { costKey, progressFilesKey, progressKey } from './names.js';
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

export async function recordCommitted(redis: Redis, runId: string, r: FileResult): Promise<void> {
  const fields = {
    files: 1, pages: r.counters.pages ?? 0, rows: r.rows, bytes: r.compressedBytes, workerMillis: Math.round(r.seconds * 1000),
  };
  const args = Object.entries(fields).flatMap(([k, v]) => [k, String(Math.round(v))]);
  await redis.eval(RECORD, 2, progressKey(runId), progressFilesKey(runId), r.fileId, ...args);
}

export async function readLiveTotals(redis: Redis, runId: string): Promise<LiveTotals> {
  const [h, cost] = await Promise.all([redis.hgetall(progressKey(runId)), redis.hget(costKey(runId), 'totalUsd')]);
  const n = (k: string): number => Number(h[k] ?? 0) || 0;
  const usd = cost === null ? NaN : Number(cost);
  return { files: n('files'), pages: n('pages'), rows: n('rows'), bytes: n('bytes'), workerMillis: n('workerMillis'), costUsd: Number.isFinite(usd) ? usd : null };
}
