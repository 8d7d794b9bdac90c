/** The progress view (pure), the renderers on a fake terminal and a plain stream, JSON events, the timeline. */
import { describe, expect, it } from 'vitest';
import {
  CLEAR_LINE, EventWriter, ProgressRenderer, RateMeter, TimelineRecorder, buildView, compact, formatBar, formatLine, thin,
  type ProgressView,
} from '../../src/progress/index.js';
import { duration } from '../../src/log/index.js';
import { formatCounts, type LiveTotals } from '../../src/redis/index.js';
import type { OutputStore } from '../../src/storage/index.js';

class FakeStream {
  out = '';
  constructor(readonly isTTY: boolean, readonly columns = 100) {}
  write(s: string): boolean {
    this.out += s;
    return true;
  }
}

const totals = (pages: number, rows: number, costUsd: number | null = null): LiveTotals => ({ files: 0, pages, rows, bytes: pages * 1000, workerMillis: 0, costUsd });
const counts = (done: number, elapsedMillis: number, failed = 0) => ({ runId: 'r1', total: 10, done, failed, active: 2, waiting: 10 - done - failed - 2, retrying: 0, elapsedMillis });

describe('progress view', () => {
  it('computes rates from a sliding window and the ETA from the file rate', () => {
    const meter = new RateMeter(60_000);
    buildView(counts(0, 0), totals(0, 0), 'running', meter, 0);
    const v = buildView(counts(4, 10_000), totals(4000, 400, 1.5), 'running', meter, 10_000);
    expect(v.pagesPerSec).toBe(400);
    expect(v.etaMillis).toBe(15_000); // 6 files left at 0.4 files/s
    expect(v.costUsd).toBe(1.5);
    expect(formatLine(v)).toBe('files 4/10 (failed 0, active 2, waiting 4) 10.0s | pages 4000, links 400, 400 pages/s, ETA 15.0s, cost $1.500');
  });

  it('has no ETA before any file finished, and shows "-" without a cost ledger', () => {
    const v = buildView(counts(0, 5000), null, 'running');
    expect(v.etaMillis).toBeNull();
    expect(formatLine(v)).toContain('ETA -, cost -');
  });

  it('starts its line with the one counts line the coordinator prints (files, and reduce tasks alike)', () => {
    const v = buildView(counts(4, 75_000, 1), totals(10, 1), 'running');
    const line = formatCounts('files', v, v.elapsedMillis);
    expect(line).toBe('files 4/10 (failed 1, active 2, waiting 3) 1m15s');
    expect(formatLine(v).startsWith(`${line} | pages 10,`)).toBe(true);
    expect(formatCounts('reduce tasks', { total: 4, done: 1, failed: 0, active: 2, waiting: 1, retrying: 0 }, 4200)).toBe('reduce tasks 1/4 (failed 0, active 2, waiting 1) 4.2s');
    expect(formatCounts('files', { total: 4, done: 1, failed: 0, active: 2, waiting: 1, retrying: 2 }, 4200)).toBe('files 1/4 (failed 0, active 2, waiting 1, retrying 2) 4.2s');
  });

  it('formats numbers and durations compactly', () => {
    expect(compact(999)).toBe('999');
    expect(compact(12_345)).toBe('12.3k');
    expect(compact(2_500_000)).toBe('2.50M');
    expect(duration(4200)).toBe('4.2s');
    expect(duration(65_000)).toBe('1m05s');
    expect(duration(3_725_000)).toBe('1h02m05s');
    expect(duration(null)).toBe('-');
  });

  it('fits the bar into the terminal width', () => {
    const v = buildView(counts(5, 10_000), totals(123_456, 7890), 'running');
    const bar = formatBar(v, 120);
    expect(bar).toMatch(/^\[#{10,}-+\] {2}50% 5\/10 files \| 123\.5k pages 7890 links/);
    expect(bar.length).toBeLessThan(120);
    expect(formatBar(v, 40).length).toBeLessThanOrEqual(39);
  });
});

describe('progress renderer', () => {
  const view = (done: number, status = 'running'): ProgressView => buildView(counts(done, done * 1000), totals(done * 100, done * 10), status);

  it('redraws in place on a terminal, and prints messages above the bar', () => {
    const s = new FakeStream(true, 100);
    let now = 0;
    const r = new ProgressRenderer({ stream: s, now: () => now });
    expect(r.mode).toBe('tty');
    r.update(view(1));
    now += 500;
    r.update(view(2));
    r.message('run r1: reducing');
    now += 500;
    r.update(view(3));
    r.finish();
    const draws = s.out.split(CLEAR_LINE).filter(Boolean);
    expect(s.out.startsWith(CLEAR_LINE)).toBe(true);
    // bar 1, bar 2, the message on the cleared line, bar 2 drawn again below it, bar 3
    expect(draws.map((d) => d.match(/ (\d+)\/10 files/)?.[1] ?? d)).toEqual(['1', '2', 'run r1: reducing\n', '2', '3']);
    expect(s.out.endsWith('\n')).toBe(true);
    expect(s.out.split('\n')).toHaveLength(3); // only the message and finish() end lines: the bar never scrolls
  });

  it('shows the stopping state at once after the first Ctrl-C', () => {
    const s = new FakeStream(true);
    const r = new ProgressRenderer({ stream: s });
    r.update(view(1));
    r.message('interrupted: letting workers finish their current files');
    r.setStatus('stopping');
    expect(s.out).toContain('interrupted: letting workers');
    expect(s.out.split(CLEAR_LINE).at(-1)).toMatch(/\| stopping$/);
  });

  it('writes plain lines on a non-terminal: on change, throttled, with a heartbeat, no escape codes', () => {
    const s = new FakeStream(false);
    let now = 0;
    const r = new ProgressRenderer({ stream: s, now: () => now, plainIntervalMillis: 1000, heartbeatMillis: 30_000 });
    expect(r.mode).toBe('plain');
    r.update(view(1));
    now += 200;
    r.update(view(2)); // changed, but too soon
    now += 1000;
    r.update(view(2));
    now += 5000;
    r.update(view(2)); // unchanged: nothing
    now += 30_000;
    r.update(view(2)); // heartbeat
    r.message('run r1: reducing');
    r.update(view(10, 'succeeded'));
    r.finish();
    const lines = s.out.trimEnd().split('\n');
    expect(lines.map((l) => l.slice(0, 10))).toEqual(['files 1/10', 'files 2/10', 'files 2/10', 'run r1: re', 'files 10/1']);
    expect(lines.at(-1)).toContain('[succeeded]');
    expect(s.out).not.toContain('\x1b');
    expect(s.out).not.toContain('\r');
  });

  it('--no-progress forces plain lines on a terminal', () => {
    const s = new FakeStream(true);
    const r = new ProgressRenderer({ stream: s, mode: 'plain' });
    r.update(view(1));
    expect(s.out).toBe(`${formatLine(view(1))}\n`);
  });
});

describe('progress events', () => {
  it('writes JSON lines, progress events only when the counts change or after the interval', () => {
    const s = new FakeStream(false);
    let now = 0;
    const w = new EventWriter(s, 1000, () => now);
    w.write({ event: 'start', runId: 'r1', files: 10, out: '/o' });
    const v = buildView(counts(1, 1000), totals(100, 10), 'running');
    w.write({ event: 'progress', runId: 'r1', status: 'running', files: { total: 10, done: 1, failed: 0, active: 2, waiting: 7 }, pages: v.pages, links: v.links, bytes: v.bytes, pagesPerSec: 100, etaSeconds: 9, costUsd: null, elapsedSeconds: 1 });
    now += 10;
    w.write({ event: 'progress', runId: 'r1', status: 'running', files: { total: 10, done: 1, failed: 0, active: 2, waiting: 7 }, pages: 150, links: 15, bytes: 0, pagesPerSec: 100, etaSeconds: 9, costUsd: null, elapsedSeconds: 1 });
    w.write({ event: 'summary', runId: 'r1', status: 'succeeded', reason: null, summary: null, outputs: [], report: '/o/r1/report.html' });
    const events = s.out.trim().split('\n').map((l) => JSON.parse(l) as { event: string; time: string });
    expect(events.map((e) => e.event)).toEqual(['start', 'progress', 'summary']);
    expect(events.every((e) => !Number.isNaN(Date.parse(e.time)))).toBe(true);
  });
});

describe('timeline', () => {
  it('thins long series to the limit, keeping the first and last point', () => {
    const pts = Array.from({ length: 1001 }, (_, i) => i);
    const t = thin(pts, 300);
    expect(t.length).toBeLessThanOrEqual(300);
    expect(t[0]).toBe(0);
    expect(t.at(-1)).toBe(1000);
  });

  it('records points at most every interval, and continues an existing timeline', async () => {
    const files = new Map<string, string>();
    const store = {
      location: 'mem', put: async (p: string, b: string | Buffer) => void files.set(p, String(b)),
      get: async (p: string) => (files.has(p) ? Buffer.from(files.get(p) ?? '') : null),
    } as unknown as OutputStore;
    let now = 0;
    const point = { session: 1, done: 0, failed: 0, active: 0, waiting: 1, pages: 0, links: 0, bytes: 0, costUsd: null };
    const rec = new TimelineRecorder(store, 'r1', { minIntervalMillis: 2000, flushIntervalMillis: 60_000 }, () => now);
    await rec.add(point);
    now = 1000;
    await rec.add(point);
    now = 2500;
    await rec.add({ ...point, done: 1 });
    await rec.add({ ...point, done: 1 }, true);
    await rec.flush();
    const again = new TimelineRecorder(store, 'r1', {}, () => now);
    await again.load();
    await again.add({ ...point, session: 2 });
    expect(again.points.map((p) => [p.t, p.session])).toEqual([[0, 1], [2500, 1], [2500, 1], [2500, 2]]);
  });
});
