/** Chart series from a run's timeline (pure): rates between consecutive points, cost so far, files by status. */
import type { TimelinePoint } from '../progress/index.js';
import { pendingOf, type Manifest } from '../coordinator/index.js';
import type { CostFile, Ranked } from './data.js';

export interface Throughput {
  /** Minutes since the first point (x axis). */
  readonly minutes: number[];
  /** Rates over the interval ending at each point; null at a session's first point (no interval). */
  readonly pagesPerSec: (number | null)[];
  readonly linksPerSec: (number | null)[];
  readonly files: number[];
}

const round = (n: number, d = 2): number => Math.round(n * 10 ** d) / 10 ** d;

export function throughputSeries(points: readonly TimelinePoint[]): Throughput | null {
  const first = points[0];
  if (!first || points.length < 2) return null;
  const out: Throughput = { minutes: [], pagesPerSec: [], linksPerSec: [], files: [] };
  points.forEach((p, i) => {
    const prev = points[i - 1];
    const secs = prev ? (p.t - prev.t) / 1000 : 0;
    const ok = prev !== undefined && prev.session === p.session && secs > 0;
    out.minutes.push(round((p.t - first.t) / 60_000, 3));
    out.pagesPerSec.push(ok && prev ? round(Math.max(0, p.pages - prev.pages) / secs) : null);
    out.linksPerSec.push(ok && prev ? round(Math.max(0, p.links - prev.links) / secs) : null);
    out.files.push(p.done + p.failed);
  });
  return out;
}

export function costSeries(points: readonly TimelinePoint[]): { minutes: number[]; usd: (number | null)[] } | null {
  const first = points[0];
  if (!first || !points.some((p) => p.costUsd !== null)) return null;
  return { minutes: points.map((p) => round((p.t - first.t) / 60_000, 3)), usd: points.map((p) => p.costUsd) };
}

export function costBreakdown(cost: CostFile | null): Ranked[] | null {
  const by = cost?.byCategory;
  if (!by) return null;
  const items = Object.entries(by).filter(([, v]) => typeof v === 'number' && v > 0).map(([key, v]) => ({ key, count: round(v, 4) }));
  return items.length ? items : null;
}

export function fileStatus(m: Manifest): (Ranked & { color: string })[] {
  const f = m.files;
  return [
    { key: 'done', count: f.done - f.retriedDone, color: '#16a34a' },
    { key: 'done after retries', count: f.retriedDone, color: '#65a30d' },
    { key: 'failed', count: f.failed, color: '#dc2626' },
    { key: 'pending', count: pendingOf(f), color: '#94a3b8' },
  ].filter((x) => x.count > 0);
}
