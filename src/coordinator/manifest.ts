/**
 * The run manifest: `<out>/<runId>/manifest.json`, written at start, updated as the run goes, final at the end. Its
 * size does not grow with the run: the files are in their own list (run-files.ts), the manifest has their counts.
 */
import type { OutputStore } from '../storage/index.js';
import { withoutControlChars } from '../log/index.js';
import { manifestPath } from '../storage/layout.js';
import { writeRunFiles, type FileCounts, type RunFile } from './run-files.js';
import type { CounterMap } from '../extract/index.js';
import type { OutputFile } from '../storage/layout.js';

import { RUN_STATUSES, type RunStart, type RunStatus } from '../redis/index.js';

/** What defines a run's output: fixed at creation, reused by `resume`. */
export interface RunSettings {
  readonly job: string;
  /** Output store location as given (`--out`). */
  readonly out: string;
  /** Output partitions; 0 when starting: sized to the run (`defaultPartitions`), the manifest holds the number chosen. */
  readonly partitions: number;
  /** Partitions merged by one reduce task (absent in manifests from before reduce tasks: 4). */
  readonly reduceTaskPartitions?: number;
  /** With `--where`: records and compressed MB per task at most. */
  readonly indexTaskRecords?: number;
  readonly indexTaskMb?: number;
  readonly attempts: number;
  readonly backoffMillis: number;
  readonly maxRecordBytes: number;
  /** The inputs are read from public addresses only (they came from a listing fetched over the network; storage/address-policy.ts). */
  readonly publicInputsOnly?: boolean;
  /** The lookup's source directory (`--titles`), absolute: built before the map, joined in the reduce. */
  readonly titles?: string;
}

export interface Manifest {
  /** 2: the files in `files.jsonl.gz`; 1 (read, upgraded): the files in the manifest. */
  readonly version: 2;
  readonly runId: string;
  readonly job: string;
  status: RunStatus;
  reason?: string;
  readonly createdAt: string;
  finishedAt?: string;
  readonly settings: RunSettings;
  /** How the run was started (for audit; secrets redacted). */
  readonly options: Record<string, unknown>;
  /** Redis the current session uses (a private server's loopback URL, or the shared one, redacted). */
  redis?: string;
  /** Coordinator sessions so far (1 + number of resumes). */
  sessions?: number;
  /** Wall time of each coordinator session that saved the manifest, in order (the current one as of the last save). */
  sessionsMillis?: number[];
  /**
   * The run's live totals in Redis as of the last save: a resume on a Redis that does not hold them (a new private
   * server) starts its displays from them, so a resumed run's pages and links read as one run's.
   */
  liveTotals?: { pages: number; rows: number; bytes: number; workerMillis: number };
  counters: CounterMap;
  /**
   * The coordinators' own requests (`io.*`: listing, manifests, reducer reads and writes), over every session up to
   * the last manifest write: a resumed run adds to them, and the final `counters` include them.
   */
  coordinatorIo?: CounterMap;
  /** The run's lookup once built (`--titles`): the SHA-256 of its commit record (the reduce tasks check it), its rows and sources. */
  lookup?: { name: string; digest: string; rows: number; sources: number; seconds: number };
  /** `seconds`: the wall time of all the run's sessions (`sessionsMillis`). */
  summary?: { files: number; filesDone: number; filesFailed: number; pages: number; links: number; articles: number; seconds: number };
  outputs: OutputFile[];
  /** The input files by outcome; each file is a line of `files.jsonl.gz`. */
  files: FileCounts;
}

/** What the run's record in Redis says of it (src/redis/run-record.ts), from its manifest. */
export function runStart(m: Manifest): RunStart {
  return { out: m.settings.out, job: m.settings.job, files: m.files.total, createdAt: m.createdAt, titles: m.settings.titles };
}

export async function writeManifest(store: OutputStore, m: Manifest): Promise<void> {
  await store.put(manifestPath(m.runId), JSON.stringify(m, null, 2) + '\n');
}

/**
 * A manifest is a few KiB; one of version 1, its files inline, about 200 bytes a file (63,560 files: 13 MB). Anything
 * larger was not written by a run and is not read.
 */
export const MAX_MANIFEST_BYTES = 32 << 20;

const STATUSES: ReadonlySet<string> = new Set(RUN_STATUSES);

/** Every string in `v` with its control characters (terminal escapes: CSI, OSC, clipboard writes) replaced by spaces. */
function withoutEscapes(v: unknown): unknown {
  if (typeof v === 'string') return withoutControlChars(v);
  if (Array.isArray(v)) return v.map(withoutEscapes);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [withoutControlChars(k), withoutEscapes(x)]));
  return v;
}

/**
 * The one schema a manifest read from a store goes through (another user, a tampered store, an old version may have
 * written it): bounded in size, the shape checked field by field where the code relies on it, its run id the one of
 * its directory, every string cleared of terminal escapes.
 */
export function parseManifest(buf: Buffer, runId: string, where: string): Omit<Manifest, 'files' | 'version'> & { version: number; files: FileCounts | RunFile[] } {
  const bad = (what: string): Error => new Error(`${where} is not a run manifest: ${what}`);
  let raw: unknown;
  try {
    raw = JSON.parse(buf.toString('utf8'));
  } catch {
    throw bad('not JSON');
  }
  const m = withoutEscapes(raw) as Record<string, unknown>;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw bad('not an object');
  if (m.version !== 1 && m.version !== 2) throw bad('unknown version');
  if (m.runId !== runId) throw bad(`it names run ${JSON.stringify(String(m.runId).slice(0, 80))}, not ${runId} (its directory)`);
  if (typeof m.status !== 'string' || !STATUSES.has(m.status)) throw bad('unknown status');
  if (typeof m.job !== 'string' || typeof m.createdAt !== 'string') throw bad('no job or creation time');
  const settings = m.settings as Record<string, unknown> | null;
  if (!settings || typeof settings !== 'object' || typeof settings.out !== 'string' || typeof settings.job !== 'string' || !Number.isSafeInteger(settings.partitions)) {
    throw bad('no settings');
  }
  if (settings.publicInputsOnly !== undefined && settings.publicInputsOnly !== true) throw bad('publicInputsOnly is not true');
  if (settings.titles !== undefined && (typeof settings.titles !== 'string' || settings.titles.length > 4096)) throw bad('titles is not a directory');
  const count = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (m.sessionsMillis !== undefined && (!Array.isArray(m.sessionsMillis) || m.sessionsMillis.length > 100_000 || !m.sessionsMillis.every(count))) throw bad('sessionsMillis is not a list of durations');
  const live = m.liveTotals as Record<string, unknown> | undefined;
  if (live !== undefined && (typeof live !== 'object' || live === null || !['pages', 'rows', 'bytes', 'workerMillis'].every((k) => count(live[k])))) throw bad('liveTotals is not a set of counts');
  const lookup = m.lookup as Record<string, unknown> | undefined;
  if (lookup !== undefined && (typeof lookup !== 'object' || lookup === null || typeof lookup.name !== 'string' || typeof lookup.digest !== 'string' ||
    !/^[0-9a-f]{64}$/.test(lookup.digest) || !count(lookup.rows) || !count(lookup.sources) || typeof lookup.seconds !== 'number')) throw bad('lookup is not a built lookup');
  const files = m.files as Record<string, unknown> | unknown[] | null;
  const counts = ['total', 'done', 'failed'] as const;
  if (!files || typeof files !== 'object' || (!Array.isArray(files) && counts.some((k) => !Number.isSafeInteger(files[k])))) throw bad('no file counts');
  if (!Array.isArray(m.outputs) || (m.counters !== undefined && (typeof m.counters !== 'object' || m.counters === null))) throw bad('no outputs or counters');
  return m as unknown as ReturnType<typeof parseManifest>;
}

/** Reads a run's manifest. One written before the file list had its own object (version 1) is upgraded: the list is written out. */
export async function readManifest(store: OutputStore, runId: string): Promise<Manifest | null> {
  const buf = await store.get(manifestPath(runId), MAX_MANIFEST_BYTES);
  if (!buf) return null;
  const m = parseManifest(buf, runId, `${store.location}/${manifestPath(runId)}`);
  if (Array.isArray(m.files)) {
    const files = await writeRunFiles(store, runId, m.files);
    const upgraded: Manifest = { ...m, version: 2, files };
    await writeManifest(store, upgraded);
    return upgraded;
  }
  return m as Manifest;
}
