/** The work of `wikireverse status` (commands/status.ts parses its flags): a run's progress from Redis, or its manifest. */

import type { Redis } from 'ioredis';
import { redactUrl } from '../../log/index.js';
import { checkRunId, committedFiles, getRunStatus, readManifest, readRunFiles, type RunStatusReport } from '../../coordinator/index.js';
import { isGoing, openRedis, readLiveTotals, readPrivateUrl, readRunRecord } from '../../redis/index.js';
import type { OutputStore } from '../../storage/index.js';
import { EventWriter, ProgressRenderer, RateMeter, buildView, formatLine, progressEvent, type ProgressView } from '../../progress/index.js';
import { UsageError } from '../io.js';
import type { CommandContext } from '../context.js';
import { withStore, type StorageFlags } from '../storage.js';
import { ExitCode } from '../../exit-codes.js';

export interface StatusFlags extends StorageFlags {
  redis: string;
  out?: string;
  json: boolean;
  watch: boolean;
  intervalMs: number;
}

async function view(redis: Redis, s: RunStatusReport, meter?: RateMeter): Promise<ProgressView> {
  const [totals, record] = await Promise.all([readLiveTotals(redis, s.runId), readRunRecord(redis, s.runId)]);
  const created = Date.parse(record?.createdAt ?? '');
  const ended = Date.parse(record?.finishedAt ?? '');
  const end = isGoing(s.status) || !Number.isFinite(ended) ? Date.now() : ended;
  const elapsedMillis = Number.isFinite(created) ? Math.max(0, end - created) : 0;
  return buildView({ runId: s.runId, total: s.files, done: s.done, failed: s.failed, active: s.active, waiting: s.waiting, retrying: s.retrying, elapsedMillis }, totals, s.status, meter);
}

/** `run <id> <status>: files N, waiting w, active a, done d, failed f[, retrying r]` (the counts of src/redis/run-counts.ts). */
function statusLine(s: RunStatusReport): string {
  return `run ${s.runId} ${s.status}: files ${s.files}, waiting ${s.waiting}, active ${s.active}, done ${s.done}, failed ${s.failed}` +
    (s.retrying > 0 ? `, retrying ${s.retrying}` : '');
}

/** The files of a run whose coordinator died: done means committed in the store, failed is what the list says. */
async function countCommitted(store: OutputStore, runId: string): Promise<{ done: number; failed: number }> {
  const committed = await committedFiles(store, runId);
  let done = 0;
  let failed = 0;
  for await (const batch of readRunFiles(store, runId)) {
    for (const f of batch) {
      if (f.status === 'done' || committed.has(f.fileId)) done++;
      else if (f.status === 'failed') failed++;
    }
  }
  return { done, failed };
}

/** A run no Redis is reachable for: what its manifest says (finished, interrupted, cancelled, or left by a dead coordinator). */
async function statusFromManifest(ctx: CommandContext, store: OutputStore, out: string, runId: string, json: boolean): Promise<ExitCode> {
  const m = await readManifest(store, runId);
  if (!m) {
    ctx.io.stderr.write(`No run ${runId} in ${out}\n`);
    return ExitCode.Failed;
  }
  // A coordinator that died left its manifest behind the store: the commit records say what is done.
  const { done, failed } = isGoing(m.status) ? await countCommitted(store, runId) : m.files;
  const total = m.files.total;
  const s = m.summary;
  if (json) {
    ctx.io.stdout.write(JSON.stringify({ runId, status: m.status, files: total, done, failed, pending: total - done - failed,
      pages: s?.pages ?? null, links: s?.links ?? null, reason: m.reason ?? null, live: false }, null, 2) + '\n');
    return ExitCode.Ok;
  }
  // A manifest still `running` with no coordinator reachable: its coordinator died (resume continues it).
  const note = isGoing(m.status) ? ' (no live coordinator found: it may have died; resume continues the run)' : '';
  ctx.io.stdout.write(`run ${runId} ${m.status}${note}: files ${total}, done ${done}, failed ${failed}, pending ${total - done - failed}` +
    (s ? `, pages ${s.pages}, links ${s.links}` : '') + '\n' + (m.reason ? `${m.reason}\n` : ''));
  return ExitCode.Ok;
}

/** How long `status` waits for a run's private redis-server (on loopback: alive, it answers at once). */
const PRIVATE_REDIS_WAIT_MILLIS = 2_000;
/** After a local run's coordinator stopped: how long its final manifest may take to be written. */
const MANIFEST_SETTLE_MILLIS = 5_000;

/** `status`, once its flags are parsed (loaded only when `status` runs). */
export async function statusCommand(ctx: CommandContext, id: string, flags: StatusFlags): Promise<void> {
  const { io } = ctx;
  const runId = checkRunId(id);
  // A run going on this machine with its private redis-server: its coordinator keeps the server's URL for this user.
  const live = flags.redis ?? (await readPrivateUrl(runId));
  const privateServer = flags.redis === undefined;
  const out = flags.out;
  const fromManifest = async (settle: boolean): Promise<void> => {
    if (out === undefined) throw new UsageError('status needs --redis URL or --out DIR (see wikireverse status --help)');
    ctx.setExit(await withStore(ctx, flags, out, async (store) => {
      // The coordinator removes the URL file as it stops, and writes the final manifest about then: give it a moment.
      for (const until = Date.now() + (settle ? MANIFEST_SETTLE_MILLIS : 0); Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
        const m = await readManifest(store, runId).catch(() => null);
        if (m && !isGoing(m.status)) break;
      }
      return statusFromManifest(ctx, store, out, runId, flags.json);
    }));
  };
  if (live === undefined) return fromManifest(false);
  const o = { ...flags, redis: live };
  let redis: Redis;
  try {
    redis = await openRedis(o.redis, 'wikireverse-status-view', privateServer ? PRIVATE_REDIS_WAIT_MILLIS : undefined);
  } catch (err) {
    // A URL file left by a coordinator that died (its redis-server with it): the manifest says where the run is.
    if (privateServer && out !== undefined) return fromManifest(false);
    throw err;
  }
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
        io.stdout.write(`${statusLine(s)}\n${formatLine(v)}\n`);
      }
      return;
    }
    const meter = new RateMeter();
    const events = o.json ? new EventWriter(io.stdout, 0) : undefined;
    const stdout = io.stdout as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
    const renderer = new ProgressRenderer({ stream: stdout, mode: o.json ? 'off' : stdout.isTTY ? 'tty' : 'plain', heartbeatMillis: 30_000 });
    let coordinatorGone = false;
    for (;;) {
      const v = await view(redis, s, meter);
      renderer.update(v);
      events?.write(progressEvent(v));
      if (!isGoing(s.status)) break;
      await new Promise((r) => setTimeout(r, o.intervalMs));
      // A local run's coordinator removes its URL file as it stops, and its private redis-server goes with it.
      if (privateServer && (await readPrivateUrl(runId)) === undefined) {
        coordinatorGone = true;
        break;
      }
      try {
        s = (await getRunStatus(o.redis, runId)) ?? { ...s, status: 'gone' };
      } catch (err) {
        if (!privateServer) throw err;
        coordinatorGone = true; // it stopped between the two looks
        break;
      }
    }
    renderer.finish();
    if (coordinatorGone && out !== undefined) return await fromManifest(true);
    if (!o.json) io.stdout.write(`${coordinatorGone ? `run ${runId}: its coordinator stopped (give --out to read the final state from its manifest)` : statusLine(s)}\n`);
  } finally {
    redis.disconnect();
  }
}
