/** The reduce side's pure parts: the input list's checks, the bounded pool, partition sizing and reduce task ranges. */
import { describe, expect, it } from 'vitest';
import { forEachLimit, inputLine, parseInputLine } from '../../src/reduce/index.js';
import { defaultPartitions, reduceTasks } from '../../src/coordinator/reduce-phase.js';
import { fileIdOfPartial, partialPath, type FileResult } from '../../src/storage/index.js';
import type { Manifest } from '../../src/coordinator/index.js';

const result: FileResult = {
  fileId: 'f000001-CC-MAIN-x.warc.wat.gz', input: 'x', kind: 'wat', rows: 7, counters: { pages: 3 }, compressedBytes: 10, seconds: 1, attempt: 1,
  parts: [{ partition: 1, offset: 0, bytes: 40, rows: 3, sha256: 'a'.repeat(64) }, { partition: 3, offset: 40, bytes: 50, rows: 4, sha256: '0123456789abcdef'.repeat(4) }],
};

describe('reduce inputs list', () => {
  it('round-trips what a worker commits (only the id, the byte ranges and their SHA-256)', () => {
    const line = inputLine(result);
    expect(line.endsWith('\n')).toBe(true);
    expect(parseInputLine(line.trim(), 1, 4)).toEqual({ fileId: result.fileId, parts: result.parts });
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['a path in the file id', JSON.stringify({ fileId: '../../etc/passwd', parts: [] }), /bad file id/],
    ['a partition past the run', JSON.stringify({ fileId: 'f1', parts: [{ partition: 4, offset: 0, bytes: 1, rows: 1 }] }), /out of range/],
    ['partitions out of order', JSON.stringify({ fileId: 'f1', parts: [{ partition: 2, offset: 0, bytes: 1, rows: 1 }, { partition: 1, offset: 1, bytes: 1, rows: 1 }] }), /order/],
    ['a gap between ranges', JSON.stringify({ fileId: 'f1', parts: [{ partition: 0, offset: 0, bytes: 1, rows: 1 }, { partition: 1, offset: 5, bytes: 1, rows: 1 }] }), /contiguous/],
    ['a negative offset', JSON.stringify({ fileId: 'f1', parts: [{ partition: 0, offset: -1, bytes: 1, rows: 1 }] }), /bad byte range/],
    ['a huge range', JSON.stringify({ fileId: 'f1', parts: [{ partition: 0, offset: 0, bytes: 2 ** 50, rows: 1 }] }), /bad byte range/],
    ['a part without its SHA-256', JSON.stringify({ fileId: 'f1', parts: [{ partition: 0, offset: 0, bytes: 1, rows: 1 }] }), /without its SHA-256/],
    ['a SHA-256 that is not one', JSON.stringify({ fileId: 'f1', parts: [{ partition: 0, offset: 0, bytes: 1, rows: 1, sha256: 'x'.repeat(64) }] }), /without its SHA-256/],
    ['more parts than partitions', JSON.stringify({ fileId: 'f1', parts: Array.from({ length: 5 }, (_, i) => ({ partition: i, offset: i, bytes: 1, rows: 1 })) }), /bad parts/],
  ])('refuses %s, naming the line', (_what, line, why) => {
    expect(() => parseInputLine(line, 7, 4)).toThrow(why);
    expect(() => parseInputLine(line, 7, 4)).toThrow(/line 7/);
  });
});

describe('layout', () => {
  it('names one partial object per file (its commit record inside), and reads file ids back from listed partials only', () => {
    expect(partialPath('r1', 'f000001-a')).toBe('r1/partials/f000001-a.jsonl.gz');
    expect(fileIdOfPartial('r1', partialPath('r1', 'f000001-a'))).toBe('f000001-a');
    expect(fileIdOfPartial('r1', 'r1/partials/f000001-a.jsonl.gz.tmp-12-abcd')).toBeNull();
    expect(fileIdOfPartial('r1', 'r1/partials/f000001-a.commit.json')).toBeNull();
    expect(fileIdOfPartial('r1', 'r2/partials/f000001-a.jsonl.gz')).toBeNull();
    expect(fileIdOfPartial('r1', 'r1/partials/x/f000001-a.jsonl.gz')).toBeNull();
  });
});

describe('forEachLimit', () => {
  it('keeps at most `limit` calls in flight and visits every item once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimit(Array.from({ length: 50 }, (_, i) => i), 4, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, i % 3));
      seen.push(i);
      inFlight--;
    });
    expect(peak).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('rejects with the first error only after every call in flight has ended, and starts no new call', async () => {
    let ended = 0;
    let started = 0;
    const run = forEachLimit(Array.from({ length: 20 }, (_, i) => i), 3, async (i) => {
      started++;
      if (i === 1) throw new Error('boom');
      await new Promise((r) => setTimeout(r, 20));
      ended++;
    });
    await expect(run).rejects.toThrow('boom');
    expect(ended).toBe(started - 1);
    expect(started).toBeLessThanOrEqual(4);
  });
});

describe('partitions and reduce tasks', () => {
  it('sizes partitions to the run: one per 2,000 files, 1 to 256', () => {
    expect(defaultPartitions(0)).toBe(1);
    expect(defaultPartitions(10)).toBe(1);
    expect(defaultPartitions(2000)).toBe(1);
    expect(defaultPartitions(2001)).toBe(2);
    expect(defaultPartitions(63_560)).toBe(32);
    expect(defaultPartitions(10_000_000)).toBe(256);
  });

  it('covers every partition exactly once with runs of reduceTaskPartitions', () => {
    const m = (partitions: number, per?: number): Manifest =>
      ({ settings: { partitions, ...(per === undefined ? {} : { reduceTaskPartitions: per }) } }) as unknown as Manifest;
    expect(reduceTasks(m(10, 4))).toEqual([[0, 4], [4, 4], [8, 2]]);
    expect(reduceTasks(m(3, 1))).toEqual([[0, 1], [1, 1], [2, 1]]);
    expect(reduceTasks(m(40))).toEqual([[0, 16], [16, 16], [32, 8]]); // the default: 16 a task
    expect(reduceTasks(m(1, 4))).toEqual([[0, 1]]);
  });
});
