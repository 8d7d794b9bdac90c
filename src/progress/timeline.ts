/**
 * A run's timeline: snapshots of its progress over time, kept in `<out>/<runId>/timeline.json` for the report's
 * throughput and cost charts. Sessions (a run and its resumes) append to the same timeline.
 */
import { timelinePath, type OutputStore } from '../storage/index.js';

export interface TimelinePoint {
  /** Epoch milliseconds. */
  readonly t: number;
  /** Coordinator session (1 = the first, 2 = the first resume, ...). */
  readonly session: number;
  readonly done: number;
  readonly failed: number;
  readonly active: number;
  readonly waiting: number;
  readonly pages: number;
  readonly links: number;
  readonly bytes: number;
  readonly costUsd: number | null;
}

export interface Timeline {
  readonly version: 1;
  readonly runId: string;
  points: TimelinePoint[];
}

export async function readTimeline(store: OutputStore, runId: string): Promise<Timeline | null> {
  const buf = await store.get(timelinePath(runId));
  if (!buf) return null;
  try {
    const t = JSON.parse(buf.toString('utf8')) as Timeline;
    return Array.isArray(t.points) ? t : null;
  } catch {
    return null;
  }
}

export interface TimelineOptions {
  /** Least time between two points. @default 2000 */
  readonly minIntervalMillis?: number;
  /** How often the timeline is written to the store while the run goes. @default 30000 */
  readonly flushIntervalMillis?: number;
  /** Past this many points, every other point is dropped (first and last kept). @default 2000 */
  readonly maxPoints?: number;
}

/** Halves a series (keeping its first and last point) until it fits in `max` points. */
export function thin<T>(points: T[], max: number): T[] {
  let out = points;
  while (out.length > max && out.length > 2) {
    const last = out[out.length - 1] as T;
    out = out.filter((_, i) => i % 2 === 0);
    if (out[out.length - 1] !== last) out.push(last);
  }
  return out;
}

export class TimelineRecorder {
  private timeline: Timeline;
  private lastPoint = -Infinity;
  private lastFlush: number;

  constructor(private readonly store: OutputStore, runId: string, private readonly opts: TimelineOptions = {}, private readonly now: () => number = Date.now) {
    this.timeline = { version: 1, runId, points: [] };
    this.lastFlush = now();
  }

  /** Continues the run's existing timeline (after a resume). */
  async load(): Promise<void> {
    const existing = await readTimeline(this.store, this.timeline.runId);
    if (existing) this.timeline = { version: 1, runId: this.timeline.runId, points: existing.points };
  }

  get points(): readonly TimelinePoint[] {
    return this.timeline.points;
  }

  /** Adds a point unless the last one is too recent (`force` adds it anyway); flushes now and then. */
  async add(p: Omit<TimelinePoint, 't'>, force = false): Promise<void> {
    const t = this.now();
    if (!force && t - this.lastPoint < (this.opts.minIntervalMillis ?? 2000)) return;
    this.lastPoint = t;
    this.timeline.points.push({ t, ...p });
    this.timeline.points = thin(this.timeline.points, this.opts.maxPoints ?? 2000);
    if (t - this.lastFlush >= (this.opts.flushIntervalMillis ?? 30_000)) await this.flush();
  }

  async flush(): Promise<void> {
    this.lastFlush = this.now();
    await this.store.put(timelinePath(this.timeline.runId), JSON.stringify(this.timeline) + '\n');
  }
}
