/**
 * The coordinator's queue work at full-crawl size, against a real private redis-server: enqueueing N files, the
 * re-queue of `resume` when their jobs are all still waiting (nothing to add) and when Redis came back empty (all
 * added again), and the coordinator process's RSS growth over it. Run in its own process (`--only queue`), 1,000 files
 * first, then 63,560 (the full crawl's WAT files).
 */
import { Queue } from 'bullmq';
import { QUEUE_PREFIX, queueName, redisOptions, startRedisServer } from '../queue/index.js';
import { ensureQueued } from '../coordinator/settle.js';
import type { Manifest } from '../coordinator/index.js';

export interface QueueScaleFigures {
  readonly files: number;
  readonly enqueueSeconds: number;
  /** `resume` with every job still waiting: the re-queue only checks states. */
  readonly resumeWaitingSeconds: number;
  /** `resume` after Redis came back empty: every file added again. */
  readonly resumeLostSeconds: number;
  /** RSS growth of this process over the three steps (the manifest's file list, the queue client). */
  readonly rssGrowthMb: number;
}

function manifestOf(files: number): Manifest {
  return {
    version: 1, runId: `bench-q${files}`, job: 'wikipedia-links', status: 'running', createdAt: new Date().toISOString(),
    settings: { job: 'wikipedia-links', out: '/tmp/bench-queue-out', partitions: 32, attempts: 5, backoffMillis: 2000, maxRecordBytes: 1 << 24 },
    options: {}, counters: {}, outputs: [],
    files: Array.from({ length: files }, (_, i) => ({
      fileId: `f${String(i).padStart(6, '0')}-CC-MAIN-20150417045713-000${String(i % 100).padStart(2, '0')}-ip-10-235-10-82.ec2.internal.warc.wat.gz`,
      input: `crawl-data/CC-MAIN-2015-18/segments/1429246633799.48/wat/CC-MAIN-20150417045713-${String(i).padStart(5, '0')}-ip-10-235-10-82.ec2.internal.warc.wat.gz`,
      status: 'pending' as const,
    })),
  };
}

const seconds = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
};

export async function measureQueueScale(files: number): Promise<QueueScaleFigures> {
  const redis = await startRedisServer();
  const rss0 = process.memoryUsage().rss;
  const manifest = manifestOf(files);
  const queue = new Queue(queueName(manifest.runId), { connection: redisOptions(redis.url, 'bench-queue'), prefix: QUEUE_PREFIX });
  try {
    const enqueueSeconds = await seconds(() => ensureQueued(queue, manifest, manifest.files, false));
    const resumeWaitingSeconds = await seconds(async () => {
      const added = await ensureQueued(queue, manifest, manifest.files, true);
      if (added !== 0) throw new Error(`resume re-added ${added} waiting files`);
    });
    await queue.obliterate({ force: true });
    const resumeLostSeconds = await seconds(async () => {
      const added = await ensureQueued(queue, manifest, manifest.files, true);
      if (added !== files) throw new Error(`resume after a lost Redis added ${added} of ${files} files`);
    });
    return { files, enqueueSeconds, resumeWaitingSeconds, resumeLostSeconds, rssGrowthMb: (process.memoryUsage().rss - rss0) / 2 ** 20 };
  } finally {
    await queue.close();
    await redis.stop();
  }
}

export function formatQueueScale(rows: readonly QueueScaleFigures[]): string {
  const lines = ['coordinator queue work (private redis-server; in-process, no start-up):', '| files | enqueue s | resume, jobs waiting s | resume, Redis lost s | RSS growth MB |', '|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.files.toLocaleString('en-US')} | ${r.enqueueSeconds.toFixed(2)} | ${r.resumeWaitingSeconds.toFixed(2)} | ${r.resumeLostSeconds.toFixed(2)} | ${r.rssGrowthMb.toFixed(0)} |`);
  }
  return lines.join('\n');
}
