/**
 * The benchmark's real-shaped inputs (src/bench/real-shaped.ts): real records repeated with unique target URIs, every
 * record its own gzip member and still well formed, and exactly the planted links found by the real reader and job.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_JOB, jobRegistry } from '../../jobs/index.js';
import { scanInput } from '../../src/extract/index.js';
import { resolveJob } from '../../src/job/index.js';
import { openLocalInput } from '../../src/storage/index.js';
import { inputRecords } from '../../src/warc/index.js';
import { realShapedInputs } from '../../src/bench/real-shaped.js';
import { parseChildTask } from '../../src/bench/child.js';
import { parsePeerReport } from '../../src/bench/peers.js';
import { tempDir } from '../helpers/fixtures.js';

const SAMPLES = path.resolve('test/fixtures/samples');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
});

describe('real-shaped benchmark inputs', () => {
  for (const kind of ['wat', 'warc'] as const) {
    it(`${kind}: unique captures, well-formed records, and the planted links exactly`, async () => {
      const cache = await tempDir(`real-${kind}`);
      dirs.push(cache);
      const set = await realShapedInputs(cache, SAMPLES, { kind, captures: 400, seed: 3, linkRate: 0.3 }, () => undefined);
      const file = set.files[0]!;
      expect(set.shape.captures).toBe(400);
      expect(set.shape.plantedLinks).toBeGreaterThan(20);

      const damage: unknown[] = [];
      const uris = new Set<string>();
      let records = 0;
      const input = await inputRecords(await openLocalInput(file), { maxMemberBytes: 64 << 20, onDamage: (d) => damage.push(d) });
      for await (const batch of input.batches) {
        for (const item of batch) {
          const rec = await item;
          records++;
          if (rec.header.targetUri && rec.header.warcType !== 'warcinfo' && !/\.warc\.gz$/.test(rec.header.targetUri)) uris.add(rec.header.targetUri);
        }
      }
      expect(damage).toEqual([]);
      expect(records).toBe(set.shape.records);
      expect(uris.size).toBe(400);

      const rows: Array<Record<string, unknown>> = [];
      const result = await scanInput(await openLocalInput(file), resolveJob(jobRegistry, DEFAULT_JOB), { inputName: file, maxRecordBytes: 1 << 20 }, (row) => {
        rows.push(row);
      });
      expect(result.counters.get('records_invalid_json')).toBe(0);
      expect(rows.length).toBe(set.shape.plantedLinks);
      expect(new Set(rows.map((r) => r['source_url'])).size).toBe(set.shape.linkedCaptures);

      // Cached: the same set again, not rebuilt.
      const again = await realShapedInputs(cache, SAMPLES, { kind, captures: 400, seed: 3, linkRate: 0.3 }, () => undefined);
      expect(again.generated).toBe(false);
      expect(again.shape).toEqual(set.shape);
      // A marker that is not what the bench wrote: the set is built again, not trusted.
      await fsp.writeFile(path.join(path.dirname(file), 'bench-input.json'), JSON.stringify({ ...set, files: ['/etc/passwd'], shape: { captures: 'x' } }));
      const rebuilt = await realShapedInputs(cache, SAMPLES, { kind, captures: 400, seed: 3, linkRate: 0.3 }, () => undefined);
      expect(rebuilt.generated).toBe(true);
      expect(rebuilt.files).toEqual(set.files);
    });
  }
});

describe('a bench child task', () => {
  it('goes through one schema: a task the bench writes passes, anything else is refused naming why', () => {
    const task = { variant: 'worker', files: ['a.warc.gz'], maxRecordBytes: 1024, partitions: 8, inflate: 'zlib' };
    expect(parseChildTask(JSON.stringify(task))).toEqual(task);
    expect(() => parseChildTask('{')).toThrow(/not JSON/);
    expect(() => parseChildTask(JSON.stringify({ ...task, variant: 'rm' }))).toThrow(/unknown variant/);
    expect(() => parseChildTask(JSON.stringify({ ...task, files: [1] }))).toThrow(/files/);
    expect(() => parseChildTask(JSON.stringify({ ...task, inflate: 'gzip' }))).toThrow(/inflate/);
    expect(() => parseChildTask(JSON.stringify({ ...task, partitions: -1 }))).toThrow(/partitions/);
  });
});

describe('a peer reader\'s report', () => {
  it('goes through one schema: its figures, or an error naming what is missing', () => {
    const line = JSON.stringify({ seconds: 1.5, cpuSeconds: 1.25, records: 29146, bytes: 200082385, maxRssMb: 13.4 });
    expect(parsePeerReport(line)).toEqual({ seconds: 1.5, cpuSeconds: 1.25, maxRssMb: 13.4, pages: 0, rows: 29146, bytes: 200082385 });
    expect(() => parsePeerReport('Traceback (most recent call last):')).toThrow(/not JSON/);
    expect(() => parsePeerReport(JSON.stringify({ seconds: 1, cpuSeconds: 1, bytes: 1, maxRssMb: 1 }))).toThrow(/records/);
    expect(() => parsePeerReport(JSON.stringify({ seconds: -1, cpuSeconds: 1, records: 1, bytes: 1, maxRssMb: 1 }))).toThrow(/seconds/);
  });
});
