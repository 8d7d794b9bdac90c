/**
 * A commit record rewritten in the store before the coordinator reads it (issue 24, finding 2, the window between a
 * worker's commit and the end of the map phase): the coordinator compares each record with what the file's worker
 * reported through Redis (its job's result) and does not take a record that differs. The file is failed, its record
 * removed (so `resume --retry-failed` maps it again), and it is not in the reduce list. A real LocalStore; the queue
 * answers as BullMQ's `getJob` does for completed jobs.
 */
import fsp from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Queue } from 'bullmq';
import { collectCommits } from '../../src/coordinator/reduce-phase.js';
import { readRunFiles, writeRunFiles, type RunFile } from '../../src/coordinator/run-files.js';
import type { Manifest } from '../../src/coordinator/index.js';
import { LocalStore, footerMember, partialPath, reduceInputsPath, type FileResult } from '../../src/storage/index.js';
import { tempDir } from '../helpers/fixtures.js';

const RUN = 'cc-1';
let work = '';
beforeAll(async () => {
  work = await tempDir('commit-check');
});
afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

const result = (fileId: string, sha: string): FileResult => ({
  fileId, input: `${fileId}.wat.gz`, kind: 'wat', rows: 3, parts: [{ partition: 0, offset: 0, bytes: 40, rows: 3, sha256: sha.repeat(64) }],
  counters: { pages: 2 }, compressedBytes: 100, seconds: 1, attempt: 1,
});

/** A partial as a worker writes it: its rows (40 bytes here), then its commit record as the last gzip member. */
const partial = (r: FileResult, rowBytes = 40): Buffer => Buffer.concat([Buffer.alloc(rowBytes, 7), footerMember(JSON.stringify(r))]);

it('takes the commit records its workers reported, and fails (and removes) one that was rewritten in the store', async () => {
  const store = new LocalStore(work);
  const ids = ['f000000-aaaaaaaaaa', 'f000001-bbbbbbbbbb', 'f000002-cccccccccc', 'f000003-dddddddddd', 'f000004-eeeeeeeeee', 'f000005-ffffffffff'];
  const files: RunFile[] = ids.map((fileId) => ({ fileId, input: `${fileId}.wat.gz`, status: 'pending' }));
  await writeRunFiles(store, RUN, files);
  // What the workers reported through Redis: each file's own checksum.
  const reported = new Map(ids.map((id, i) => [id, result(id, String(i + 1))]));
  for (const [id, r] of reported) await store.put(partialPath(RUN, id), partial(r));
  // The second file's record rewritten in the store (its checksum made to fit other bytes); the third's job is gone
  // (a resume on another Redis): its record is taken from the store as it is.
  await store.put(partialPath(RUN, ids[1] as string), partial(result(ids[1] as string, 'f')));
  // The fourth's record is not one a worker writes (read through the commit records' schema, not cast).
  await store.put(partialPath(RUN, ids[3] as string), partial({ ...result(ids[3] as string, '4'), rows: -1 }));
  // The fifth's footer has one byte of its record changed (its CRC no longer holds); the sixth's rows are longer than
  // its record says (bytes slipped in before the footer).
  const torn = partial(reported.get(ids[4] as string) as FileResult);
  torn[torn.length - 30] = torn[torn.length - 30]! ^ 1;
  await store.put(partialPath(RUN, ids[4] as string), torn);
  await store.put(partialPath(RUN, ids[5] as string), partial(reported.get(ids[5] as string) as FileResult, 41));
  const queue = {
    getJob: (id: string) => Promise.resolve(id === ids[0] || id === ids[1] ? { returnvalue: reported.get(id), attemptsMade: 1 } : undefined),
  } as unknown as Queue;
  const manifest = { runId: RUN, counters: {}, files: { total: 6, done: 0, failed: 0 }, settings: { out: work, job: 'wikipedia-links', partitions: 1 } } as unknown as Manifest;

  const { files: counts } = await collectCommits(store, queue, manifest);
  expect(counts).toMatchObject({ total: 6, done: 2, failed: 4 });
  const after: RunFile[] = [];
  for await (const batch of readRunFiles(store, RUN)) after.push(...batch);
  const tampered = after.find((f) => f.fileId === ids[1]);
  expect(tampered?.status).toBe('failed');
  expect(tampered?.error).toMatch(/^its commit record in the store is not what its worker reported \(changed in the store after the commit\); `wikireverse resume cc-1 --retry-failed` redoes it$/);
  expect(await store.get(partialPath(RUN, ids[1] as string))).toBeNull();
  expect(after.find((f) => f.fileId === ids[3])?.error).toMatch(/^commit record of f000003-dddddddddd: bad rows or bytes \(not what a worker writes\); `wikireverse resume cc-1 --retry-failed` redoes it$/);
  expect(await store.get(partialPath(RUN, ids[3] as string))).toBeNull();
  expect(after.find((f) => f.fileId === ids[4])?.error).toMatch(/^the partial of f000004-eeeeeeeeee: its commit record fails its CRC \(not what a worker writes\); `wikireverse resume cc-1 --retry-failed` redoes it$/);
  expect(after.find((f) => f.fileId === ids[5])?.error).toMatch(/^commit record of f000005-ffffffffff: its parts end at byte 40, its record starts at 41 \(not what a worker writes\)/);
  for (const id of ids.slice(4)) expect(await store.get(partialPath(RUN, id))).toBeNull();
  const list = (await store.get(reduceInputsPath(RUN)))!.toString('utf8').trim().split('\n').map((l) => (JSON.parse(l) as { fileId: string }).fileId).sort();
  expect(list).toEqual([ids[0], ids[2]]);
});
