/** The run's file list (`files.jsonl.gz`): batches, counts, in-place updates, lines that are not ours, and v1 manifests. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { LocalStore } from '../../src/storage/index.js';
import { FILE_BATCH, readRunFiles, selectRunFiles, updateRunFiles, writeRunFiles, type RunFile } from '../../src/coordinator/run-files.js';
import { readManifest } from '../../src/coordinator/manifest.js';
import { readFileList, tempDir } from '../helpers/fixtures.js';

let dir: string;
let store: LocalStore;

beforeAll(async () => {
  dir = await tempDir('run-files');
  store = new LocalStore(dir);
});

afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const files = (n: number): RunFile[] =>
  Array.from({ length: n }, (_, i) => ({ fileId: `f${String(i).padStart(6, '0')}-abc`, input: `https://h/${i}.wat.gz`, status: 'pending' as const }));

describe('run file list', () => {
  it('reads back what it wrote, in order, in batches of FILE_BATCH', async () => {
    const n = 2 * FILE_BATCH + 17;
    const counts = await writeRunFiles(store, 'r1', files(n));
    expect(counts).toEqual({ total: n, done: 0, failed: 0, retried: 0, retriedDone: 0, workerSeconds: 0 });
    const sizes: number[] = [];
    const ids: string[] = [];
    for await (const batch of readRunFiles(store, 'r1')) {
      sizes.push(batch.length);
      ids.push(...batch.map((f) => f.fileId));
    }
    expect(sizes).toEqual([FILE_BATCH, FILE_BATCH, 17]);
    expect(ids).toEqual(files(n).map((f) => f.fileId));
    expect((await readFileList(dir, 'r1')).length).toBe(n); // gzipped JSON lines, as documented
  });

  it('updates outcomes in place and counts them', async () => {
    await writeRunFiles(store, 'r2', files(5));
    const counts = await updateRunFiles(store, 'r2', (batch) => {
      for (const [i, f] of batch.entries()) {
        if (i < 3) Object.assign(f, { status: 'done', seconds: 1.5, attempts: i === 0 ? 2 : 1 });
        else Object.assign(f, { status: 'failed', attempts: 3, error: 'bad gzip at byte offset 7' });
      }
    });
    expect(counts).toEqual({ total: 5, done: 3, failed: 2, retried: 3, retriedDone: 1, workerSeconds: 4.5 });
    const failed = await selectRunFiles(store, 'r2', (f) => f.status === 'failed');
    expect(failed.map((f) => [f.fileId, f.error])).toEqual([
      ['f000003-abc', 'bad gzip at byte offset 7'], ['f000004-abc', 'bad gzip at byte offset 7'],
    ]);
  });

  it('refuses a list with a line it did not write, naming the line', async () => {
    const good = JSON.stringify(files(1)[0]);
    for (const [bad, why] of [
      ['{"fileId":"../../etc","input":"x","status":"done"}', 'bad file id'],
      ['{"fileId":"f1","input":"x","status":"exploded"}', 'bad status'],
      ['not json', 'not JSON'],
    ] as const) {
      await fsp.mkdir(path.join(dir, 'r3'), { recursive: true });
      await fsp.writeFile(path.join(dir, 'r3', 'files.jsonl.gz'), gzipSync(`${good}\n${bad}\n`));
      await expect(selectRunFiles(store, 'r3', () => true)).rejects.toThrow(`files.jsonl.gz line 2: ${why}`);
    }
    await expect(selectRunFiles(store, 'missing', () => true)).rejects.toThrow(/missing\/files\.jsonl\.gz is missing/);
  });

  it('upgrades a version 1 manifest (files inside it) to the list and counts', async () => {
    const v1 = {
      version: 1, runId: 'old', job: 'wikipedia-links', status: 'interrupted', createdAt: '2026-11-01T00:00:00.000Z',
      settings: { job: 'wikipedia-links', out: dir, partitions: 1, attempts: 3, backoffMillis: 100, maxRecordBytes: 1 }, options: {}, counters: {}, outputs: [],
      files: [{ fileId: 'f000000-a', input: '/in/a.wat.gz', status: 'done', attempts: 1, seconds: 2 }, { fileId: 'f000001-b', input: '/in/b.wat.gz', status: 'pending' }],
    };
    await fsp.mkdir(path.join(dir, 'old'), { recursive: true });
    await fsp.writeFile(path.join(dir, 'old', 'manifest.json'), JSON.stringify(v1));
    const m = await readManifest(store, 'old');
    expect(m?.version).toBe(2);
    expect(m?.files).toEqual({ total: 2, done: 1, failed: 0, retried: 0, retriedDone: 0, workerSeconds: 2 });
    expect((await readFileList(dir, 'old')).map((f) => [f.input, f.status])).toEqual([['/in/a.wat.gz', 'done'], ['/in/b.wat.gz', 'pending']]);
    expect(JSON.parse(await fsp.readFile(path.join(dir, 'old', 'manifest.json'), 'utf8')).files.total).toBe(2);
  });
});
