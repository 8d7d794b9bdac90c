/**
 * The coordinator's queue work at full-crawl size, against a real private redis-server: enqueueing N files, the
 * re-queue of `resume` when their jobs are all still waiting (nothing to add) and when Redis came back empty (all
 * added again), and the coordinator process's RSS growth over it. Run in its own process (`--only queue`), 1,000 files
 * first, then 63,560 (the full crawl's WAT files).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Queue } from 'bullmq';
import { QUEUE_PREFIX, queueName, redisOptions, startRedisServer } from '../redis/index.js';
import { enqueueFiles } from '../coordinator/settle.js';
import { writeRunFiles } from '../coordinator/run-files.js';
import type { Manifest } from '../coordinator/index.js';
import { LocalStore, filesPath, manifestPath } from '../storage/index.js';

export interface QueueScaleFigures {
  readonly files: number;
  readonly enqueueSeconds: number;
  /** `resume` with every job still waiting: the re-queue only checks states. */
  readonly resumeWaitingSeconds: number;
  /** `resume` after Redis came back empty: every file added again. */
  readonly resumeLostSeconds: number;
  /** RSS growth of this process over the three steps (the list's batches, the queue client). */
  readonly rssGrowthMb: number;
}

function* filesOf(files: number): Generator<{ fileId: string; input: string; status: 'pending' }> {
  for (let i = 0; i < files; i++) {
    yield {
      fileId: `f${String(i).padStart(6, '0')}-${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}ab`,
      input: `s3://commoncrawl/crawl-data/CC-MAIN-2015-18/segments/1429246633799.48/wat/CC-MAIN-20150417045713-${String(i).padStart(5, '0')}-ip-10-235-10-82.ec2.internal.warc.wat.gz`,
      status: 'pending',
    };
  }
}

const seconds = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
};

export async function measureQueueScale(files: number): Promise<QueueScaleFigures> {
  const redis = await startRedisServer();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-bench-queue-'));
  const store = new LocalStore(dir);
  const runId = `bench-q${files}`;
  const rss0 = process.memoryUsage().rss;
  const counts = await writeRunFiles(store, runId, filesOf(files));
  const manifest: Manifest = {
    version: 2, runId, job: 'wikipedia-links', status: 'running', createdAt: new Date().toISOString(),
    settings: { job: 'wikipedia-links', out: dir, partitions: 32, attempts: 5, backoffMillis: 2000, maxRecordBytes: 1 << 24 },
    options: {}, counters: {}, outputs: [], files: counts,
  };
  const queue = new Queue(queueName(runId), { connection: redisOptions(redis.url, 'bench-queue'), prefix: QUEUE_PREFIX });
  try {
    const enqueueSeconds = await seconds(() => enqueueFiles(queue, store, manifest, 'fresh'));
    const resumeWaitingSeconds = await seconds(async () => {
      const added = await enqueueFiles(queue, store, manifest, 'resume');
      if (added !== 0) throw new Error(`resume re-added ${added} waiting files`);
    });
    await queue.obliterate({ force: true });
    const resumeLostSeconds = await seconds(async () => {
      const added = await enqueueFiles(queue, store, manifest, 'resume');
      if (added !== files) throw new Error(`resume after a lost Redis added ${added} of ${files} files`);
    });
    return { files, enqueueSeconds, resumeWaitingSeconds, resumeLostSeconds, rssGrowthMb: (process.memoryUsage().rss - rss0) / 2 ** 20 };
  } finally {
    await queue.close();
    await redis.stop();
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** A `wikireverse run` coordinator's peak RSS once it has listed, written and enqueued `files` files and polled the queue. */
export interface CoordinatorRss {
  readonly files: number;
  readonly peakRssMb: number;
  /** Bytes of the run's manifest.json and files.jsonl.gz. */
  readonly manifestBytes: number;
  readonly fileListBytes: number;
}

/**
 * Starts the real coordinator as the bin does (`--max-semi-space-size=4`) on a listing of `files` Common Crawl paths
 * with no workers (`--workers 0`, a private redis-server), waits until it has enqueued them and polled for 3 s, reads
 * its peak RSS (VmHWM, start-up included), and stops it with SIGINT (the run is left interrupted).
 */
export async function measureCoordinatorRss(root: string, files: number): Promise<CoordinatorRss> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-bench-coord-'));
  try {
    const listing = path.join(dir, 'listing.txt');
    const lines: string[] = [];
    for (const f of filesOf(files)) lines.push(f.input.replace('s3://commoncrawl/', ''));
    await fsp.writeFile(listing, lines.join('\n') + '\n');
    const child = spawn(process.execPath, ['--max-semi-space-size=4', path.join(root, 'dist/cli.js'), 'run', '--paths', listing, '--input-base', 'https://data.commoncrawl.org/',
      '--out', path.join(dir, 'out'), '--run-id', 'rss', '--workers', '0', '--events', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let peak = 0;
    for await (const line of createInterface({ input: child.stdout })) {
      if ((JSON.parse(line) as { event: string }).event !== 'start') continue;
      await new Promise((r) => setTimeout(r, 3000));
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      peak = m ? Number(m[1]) / 1024 : 0;
      child.kill('SIGINT');
      break;
    }
    await exited;
    const size = async (f: string): Promise<number> => (await fsp.stat(path.join(dir, 'out', f))).size;
    return { files, peakRssMb: Math.round(peak), manifestBytes: await size(manifestPath('rss')), fileListBytes: await size(filesPath('rss')) };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

export function formatCoordinatorRss(rows: readonly CoordinatorRss[]): string {
  const lines = ['coordinator process (`run --workers 0`, enqueued and polling; start-up included):', '| files | peak RSS MB | manifest.json bytes | files.jsonl.gz bytes |', '|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.files.toLocaleString('en-US')} | ${r.peakRssMb} | ${r.manifestBytes} | ${r.fileListBytes} |`);
  const [a, b] = [rows[0], rows[rows.length - 1]];
  if (a && b && a !== b) lines.push(`peak RSS ${b.files.toLocaleString('en-US')} / ${a.files.toLocaleString('en-US')} files: ${(b.peakRssMb / a.peakRssMb).toFixed(2)}x`);
  return lines.join('\n');
}

export function formatQueueScale(rows: readonly QueueScaleFigures[]): string {
  const lines = ['coordinator queue work (private redis-server; in-process, no start-up):', '| files | enqueue s | resume, jobs waiting s | resume, Redis lost s | RSS growth MB |', '|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.files.toLocaleString('en-US')} | ${r.enqueueSeconds.toFixed(2)} | ${r.resumeWaitingSeconds.toFixed(2)} | ${r.resumeLostSeconds.toFixed(2)} | ${r.rssGrowthMb.toFixed(0)} |`);
  }
  return lines.join('\n');
}
