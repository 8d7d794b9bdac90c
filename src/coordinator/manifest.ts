/**
 * The run manifest: `<out>/<runId>/manifest.json`, written at start, updated as the run goes, final at the end. Its
 * size does not grow with the run: the files are in their own list (run-files.ts), the manifest has their counts.
 */
import type { OutputStore } from '../storage/index.js';
import { manifestPath } from '../storage/layout.js';
import { writeRunFiles, type FileCounts, type RunFile } from './run-files.js';
import type { CounterMap } from '../extract/index.js';
import type { OutputFile } from '../storage/layout.js';

import type { RunStart, RunStatus } from '../redis/index.js';

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
  counters: CounterMap;
  /**
   * The coordinators' own requests (`io.*`: listing, manifests, reducer reads and writes), over every session up to
   * the last manifest write: a resumed run adds to them, and the final `counters` include them.
   */
  coordinatorIo?: CounterMap;
  summary?: { files: number; filesDone: number; filesFailed: number; pages: number; links: number; articles: number; seconds: number };
  outputs: OutputFile[];
  /** The input files by outcome; each file is a line of `files.jsonl.gz`. */
  files: FileCounts;
}

/** What the run's record in Redis says of it (src/redis/run-record.ts), from its manifest. */
export function runStart(m: Manifest): RunStart {
  return { out: m.settings.out, job: m.settings.job, files: m.files.total, createdAt: m.createdAt };
}

export async function writeManifest(store: OutputStore, m: Manifest): Promise<void> {
  await store.put(manifestPath(m.runId), JSON.stringify(m, null, 2) + '\n');
}

/** Reads a run's manifest. One written before the file list had its own object (version 1) is upgraded: the list is written out. */
export async function readManifest(store: OutputStore, runId: string): Promise<Manifest | null> {
  const buf = await store.get(manifestPath(runId));
  if (!buf) return null;
  const m = JSON.parse(buf.toString('utf8')) as Omit<Manifest, 'files' | 'version'> & { version: number; files: FileCounts | RunFile[] };
  if (Array.isArray(m.files)) {
    const files = await writeRunFiles(store, runId, m.files);
    const upgraded: Manifest = { ...m, version: 2, files };
    await writeManifest(store, upgraded);
    return upgraded;
  }
  return m as Manifest;
}
