/**
 * Machine-readable progress: `run --events` and `status --watch --json` write one JSON object per line on stdout.
 * Every event has `event`, `time` (ISO 8601) and `runId`; the last one of a run is `summary`.
 *
 *   {"event":"start","runId":...,"files":N,"out":...}
 *   {"event":"progress","runId":...,"status":"running","files":{"total","done","failed","active","waiting"},
 *    "pages","links","bytes","pagesPerSec","etaSeconds","costUsd","elapsedSeconds"}
 *   {"event":"message","runId":...,"text":"..."}   (reducing, interrupted, report written, ...)
 *   {"event":"summary","runId":...,"status","reason","summary","outputs","report"}
 */
import { terminalJson } from '../log/index.js';
import type { TextSink } from './renderer.js';
import type { ProgressView } from './view.js';

export type ProgressEvent =
  | { event: 'start'; runId: string; files: number; out: string }
  | ({ event: 'progress' } & ProgressEventBody)
  | { event: 'message'; runId: string; text: string }
  | { event: 'summary'; runId: string; status: string; reason: string | null; summary: unknown; outputs: unknown; report: string | null };

export interface ProgressEventBody {
  runId: string;
  status: string;
  files: { total: number; done: number; failed: number; active: number; waiting: number; retrying?: number };
  pages: number;
  links: number;
  bytes: number;
  pagesPerSec: number;
  etaSeconds: number | null;
  costUsd: number | null;
  elapsedSeconds: number;
}

export function progressEvent(v: ProgressView): { event: 'progress' } & ProgressEventBody {
  return {
    event: 'progress', runId: v.runId, status: v.status,
    files: { total: v.total, done: v.done, failed: v.failed, active: v.active, waiting: v.waiting, retrying: v.retrying },
    pages: v.pages, links: v.links, bytes: v.bytes, pagesPerSec: Math.round(v.pagesPerSec * 10) / 10,
    etaSeconds: v.etaMillis === null ? null : Math.round(v.etaMillis / 1000), costUsd: v.costUsd,
    elapsedSeconds: Math.round(v.elapsedMillis / 100) / 10,
  };
}

/** Writes events as JSON lines; progress events at most once per `minIntervalMillis` unless the file counts changed. */
export class EventWriter {
  private lastKey = '';
  private lastAt = -Infinity;

  constructor(private readonly out: TextSink, private readonly minIntervalMillis = 1000, private readonly now: () => number = Date.now) {}

  write(e: ProgressEvent): void {
    if (e.event === 'progress') {
      const key = JSON.stringify(e.files) + e.status;
      const t = this.now();
      if (key === this.lastKey && t - this.lastAt < this.minIntervalMillis) return;
      this.lastKey = key;
      this.lastAt = t;
    }
    this.out.write(terminalJson({ ...e, time: new Date().toISOString() }) + '\n');
  }
}
