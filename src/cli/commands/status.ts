/**
 * `wikireverse status <runId> [--watch] [--json]`: the progress of a run started elsewhere (e.g. on the fleet), from
 * Redis: its files (waiting, active, done, failed), the live totals the workers keep (pages, links, bytes), pages/s,
 * ETA and the cost so far. `--watch` redraws it (a bar on a terminal; plain lines or JSON events otherwise) until the
 * run ends.
 */
import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import { redactUrl } from '../../log/index.js';
import { checkRunId, getRunStatus, type RunStatusReport } from '../../coordinator/index.js';
import { openRedis, readLiveTotals, runKey } from '../../queue/index.js';
import { EventWriter, ProgressRenderer, RateMeter, buildView, formatLine, progressEvent, type ProgressView } from '../../progress/index.js';
import { intOption } from '../io.js';
import type { CommandContext } from '../context.js';
import { ExitCode } from '../../exit-codes.js';

interface StatusFlags {
  redis: string;
  json: boolean;
  watch: boolean;
  intervalMs: number;
}

async function view(redis: Redis, s: RunStatusReport, meter?: RateMeter): Promise<ProgressView> {
  const [totals, meta] = await Promise.all([readLiveTotals(redis, s.runId), redis.hmget(runKey(s.runId), 'createdAt', 'finishedAt')]);
  const created = Date.parse(meta[0] ?? '');
  const ended = Date.parse(meta[1] ?? '');
  const end = s.status === 'running' || s.status === 'reducing' || !Number.isFinite(ended) ? Date.now() : ended;
  const elapsedMillis = Number.isFinite(created) ? Math.max(0, end - created) : 0;
  return buildView({ runId: s.runId, total: s.files, done: s.done, failed: s.failed, active: s.active, waiting: s.waiting, elapsedMillis }, totals, s.status, meter);
}

export function registerStatus(program: Command, ctx: CommandContext): void {
  program
    .command('status')
    .description("a run's progress from Redis: files waiting / active / done / failed, pages, links, pages/s, ETA, cost so far")
    .argument('<runId>')
    .requiredOption('--redis <url>', 'Redis URL', ctx.config.redisUrl)
    .option('--json', 'print JSON (with --watch: JSON-lines progress events)', false)
    .option('--watch', 'keep showing the progress until the run ends (Ctrl-C to stop watching)', false)
    .option('--interval-ms <n>', 'with --watch: time between two polls', intOption('--interval-ms', 100), Math.max(1000, ctx.config.pollMillis))
    .action(async (id: string, o: StatusFlags) => {
      const { io } = ctx;
      const runId = checkRunId(id);
      const redis = await openRedis(o.redis, 'wikireverse-status-view');
      try {
        let s = await getRunStatus(o.redis, runId);
        if (!s) {
          io.stderr.write(`No run ${runId} in Redis at ${redactUrl(o.redis)}\n`);
          ctx.setExit(ExitCode.Failed);
          return;
        }
        if (!o.watch) {
          const v = await view(redis, s);
          if (o.json) {
            const e = progressEvent(v);
            io.stdout.write(JSON.stringify({ ...s, pages: e.pages, links: e.links, bytes: e.bytes, pagesPerSec: e.pagesPerSec, etaSeconds: e.etaSeconds, costUsd: e.costUsd, elapsedSeconds: e.elapsedSeconds }, null, 2) + '\n');
          } else {
            io.stdout.write(`run ${s.runId} ${s.status}: files ${s.files}, waiting ${s.waiting}, active ${s.active}, done ${s.done}, failed ${s.failed}\n${formatLine(v)}\n`);
          }
          return;
        }
        const meter = new RateMeter();
        const events = o.json ? new EventWriter(io.stdout, 0) : undefined;
        const stdout = io.stdout as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
        const renderer = new ProgressRenderer({ stream: stdout, mode: o.json ? 'off' : stdout.isTTY ? 'tty' : 'plain', heartbeatMillis: 30_000 });
        for (;;) {
          const v = await view(redis, s, meter);
          renderer.update(v);
          events?.write(progressEvent(v));
          if (s.status !== 'running' && s.status !== 'reducing') break;
          await new Promise((r) => setTimeout(r, o.intervalMs));
          s = (await getRunStatus(o.redis, runId)) ?? { ...s, status: 'gone' };
        }
        renderer.finish();
        if (!o.json) io.stdout.write(`run ${s.runId} ${s.status}: files ${s.files}, waiting ${s.waiting}, active ${s.active}, done ${s.done}, failed ${s.failed}\n`);
      } finally {
        redis.disconnect();
      }
    });
}
