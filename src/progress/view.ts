/**
 * What a progress display shows, computed from the coordinator's snapshot (queue counts) and the run's live totals
 * in Redis (pages, links, bytes, cost). Pure: the renderers and `status` format a `ProgressView`.
 */
import { duration } from '../log/index.js';
import { formatCounts, type LiveTotals } from '../redis/index.js';
import type { ProgressSnapshot } from '../coordinator/index.js';

/** The run's counts at one poll (src/redis/run-counts.ts), whether the coordinator or `status` read them. */
export interface ProgressView extends ProgressSnapshot {
  /** `running`, `stopping` (first Ctrl-C), `reducing`, or a final status. */
  readonly status: string;
  readonly pages: number;
  readonly links: number;
  readonly bytes: number;
  /** Recent rate (sliding window), or the average over the elapsed time when the window holds too little. */
  readonly pagesPerSec: number;
  /** Time until every file is committed or failed, at the recent file rate; null when unknown. */
  readonly etaMillis: number | null;
  /** From the cost ledger in Redis; null when no ledger runs. */
  readonly costUsd: number | null;
}

interface Sample {
  readonly t: number;
  readonly pages: number;
  readonly finished: number;
}

/** Rates over a sliding window of samples (pages per second, files per second). */
export class RateMeter {
  private readonly samples: Sample[] = [];

  /** @param windowMillis how far back rates look. @default 60000 */
  constructor(private readonly windowMillis = 60_000) {}

  add(t: number, pages: number, finished: number): void {
    this.samples.push({ t, pages, finished });
    while (this.samples.length > 2 && (this.samples[1]?.t ?? t) <= t - this.windowMillis) this.samples.shift();
  }

  /** Per-second rates over the window; null until two samples at least a second apart. */
  rates(): { pagesPerSec: number; filesPerSec: number } | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.t - first.t < 1000) return null;
    const secs = (last.t - first.t) / 1000;
    return { pagesPerSec: (last.pages - first.pages) / secs, filesPerSec: (last.finished - first.finished) / secs };
  }
}

export function buildView(q: ProgressSnapshot, totals: LiveTotals | null, status: string, meter?: RateMeter, now = Date.now()): ProgressView {
  const pages = totals?.pages ?? 0;
  const finished = q.done + q.failed;
  meter?.add(now, pages, finished);
  const secs = q.elapsedMillis / 1000;
  const avg = { pagesPerSec: secs > 0 ? pages / secs : 0, filesPerSec: secs > 0 ? finished / secs : 0 };
  const recent = meter?.rates() ?? null;
  const pagesPerSec = recent && recent.pagesPerSec > 0 ? recent.pagesPerSec : avg.pagesPerSec;
  const filesPerSec = recent && recent.filesPerSec > 0 ? recent.filesPerSec : avg.filesPerSec;
  const remaining = q.total - finished;
  const etaMillis = remaining <= 0 ? 0 : filesPerSec > 0 ? (remaining / filesPerSec) * 1000 : null;
  return {
    runId: q.runId, status, total: q.total, done: q.done, failed: q.failed, active: q.active, waiting: q.waiting, retrying: q.retrying,
    elapsedMillis: q.elapsedMillis, pages, links: totals?.rows ?? 0, bytes: totals?.bytes ?? 0,
    pagesPerSec, etaMillis, costUsd: totals?.costUsd ?? null,
  };
}

/** 1234567 -> "1.23M"; small numbers as they are. */
export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

export function usd(v: number | null): string {
  return v === null ? '-' : `$${v < 10 ? v.toFixed(3) : v.toFixed(2)}`;
}

/** The plain line: the coordinator's own `files d/t (failed f, active a, waiting w) 12.5s` line, then the totals. */
export function formatLine(v: ProgressView): string {
  return (
    formatCounts('files', v, v.elapsedMillis) +
    ` | pages ${compact(v.pages)}, links ${compact(v.links)}, ${compact(v.pagesPerSec)} pages/s, ETA ${duration(v.etaMillis)}, cost ${usd(v.costUsd)}` +
    (v.status === 'running' ? '' : ` [${v.status}]`)
  );
}

/** One terminal line with a bar, fitted to `columns`. */
export function formatBar(v: ProgressView, columns: number): string {
  const finished = v.done + v.failed;
  const ratio = v.total > 0 ? Math.min(1, finished / v.total) : 0;
  const pct = `${(ratio * 100).toFixed(0).padStart(3)}%`;
  const text =
    ` ${pct} ${finished}/${v.total} files` + (v.failed ? ` (${v.failed} failed)` : '') + (v.retrying ? ` (retrying ${v.retrying})` : '') +
    ` | ${compact(v.pages)} pages ${compact(v.links)} links | ${compact(v.pagesPerSec)} p/s | ETA ${duration(v.etaMillis)} | ${usd(v.costUsd)}` +
    (v.status === 'running' ? '' : ` | ${v.status}`);
  const barWidth = Math.max(10, Math.min(40, columns - text.length - 3));
  const full = Math.round(ratio * barWidth);
  const line = `[${'#'.repeat(full)}${'-'.repeat(barWidth - full)}]${text}`;
  return line.length > columns - 1 ? line.slice(0, Math.max(0, columns - 1)) : line;
}
