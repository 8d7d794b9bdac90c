/**
 * A partial changed after its file was committed (issue 24, finding 2): the audit rewrote a committed partial's rows,
 * keeping their count (and the byte ranges the list gives), and the run "succeeded" with every article replaced. Each
 * part's SHA-256 is in the file's commit record and the reduce list; a reduce task merges only bytes that hash to it.
 * A changed partial fails the task naming the partial and its file, and the partial (its commit record inside) is removed, so a
 * `resume` maps that file again (a job that completed without a commit record is redone: src/coordinator/settle.ts).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { REDUCE_RUN_ID, reduceInput, type ReduceInput } from '../../src/bench/reduce-input.js';
import { listDigest, parseInputLine, runReduceTask } from '../../src/reduce/index.js';
import { LocalStore, partialPath, reduceInputsPath } from '../../src/storage/index.js';
import { jobRegistry, DEFAULT_JOB } from '../../jobs/index.js';
import { resolveJob } from '../../src/job/index.js';
import { readParquet } from '../helpers/parquet.js';
import { tempDir } from '../helpers/fixtures.js';

const job = resolveJob(jobRegistry, DEFAULT_JOB);
let work: string;
let input: ReduceInput;

beforeAll(async () => {
  work = await tempDir('reduce-tamper');
  input = await reduceInput(path.join(work, 'cache'), 2_000, 2, 23, () => undefined, 500);
});

afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

/** A reduce task as the coordinator enqueues it: `tag` tells merges apart, the list's digest is the one given (from Redis). */
const task = (tag: string, list: string): Parameters<typeof runReduceTask>[0] => ({
  runId: REDUCE_RUN_ID, out: input.storeDir, job: job.name, partitions: input.partitions, first: 0, count: input.partitions, inputs: reduceInputsPath(REDUCE_RUN_ID),
  inputsDigest: `${tag}-${listDigest(list)}`,
});

it('a partial whose rows were rewritten (same count, byte ranges adjusted) is not merged: the task fails naming it, and its file is no longer committed', async () => {
  const store = new LocalStore(input.storeDir);
  // Control: the run's own partials merge.
  const original = (await store.get(reduceInputsPath(REDUCE_RUN_ID)))!.toString('utf8');
  const good = await runReduceTask(task('1', original), { job, store, memoryMb: 256 });
  const links = await readParquet(path.join(input.storeDir, good.find((r) => r.partition === 0)!.outputs.find((o) => o.output === 'links')!.path));
  expect(links.length).toBeGreaterThan(0);
  expect(links.some((r) => String(r.article).startsWith('Tampered'))).toBe(false);

  // The attacker: every article of the second file replaced, row for row; the list's byte ranges made to fit.
  const listed = original.split('\n').filter(Boolean);
  const victim = parseInputLine(listed[1]!, 2, input.partitions);
  const partial = (await store.get(partialPath(REDUCE_RUN_ID, victim.fileId)))!;
  let offset = 0;
  const members: Buffer[] = [];
  const parts = victim.parts.map((p) => {
    const rows = zlib.gunzipSync(partial.subarray(p.offset, p.offset + p.bytes)).toString('utf8').split('\n').filter(Boolean)
      .map((l) => JSON.stringify({ ...(JSON.parse(l) as object), article: 'Tampered_article' }));
    const member = zlib.gzipSync(rows.join('\n') + '\n');
    members.push(member);
    const part = { ...p, offset, bytes: member.length, rows: rows.length, sha256: createHash('sha256').update(member).digest('hex') };
    offset += member.length;
    return part;
  });
  await store.put(partialPath(REDUCE_RUN_ID, victim.fileId), Buffer.concat(members));
  listed[1] = JSON.stringify({ fileId: victim.fileId, parts });
  const rewritten = listed.join('\n') + '\n';
  await store.put(reduceInputsPath(REDUCE_RUN_ID), rewritten);
  expect(await store.get(partialPath(REDUCE_RUN_ID, victim.fileId))).not.toBeNull();

  // The whole attack, the list's checksums rewritten to fit the new bytes: the list is not the one whose digest the task
  // carries (the task comes from Redis, which the store's writer does not reach).
  await expect(runReduceTask(task('2', original), { job, store, memoryMb: 256 })).rejects.toThrow(
    /The reduce inputs list .* is not the one its coordinator wrote \(its digest differs from the task's\): it was changed in the store/,
  );
  // A partial changed under a list that is the coordinator's (its parts' checksums as the worker wrote them).
  listed[1] = JSON.stringify({ fileId: victim.fileId, parts: parts.map((p, i) => ({ ...p, sha256: victim.parts[i]!.sha256 })) });
  const fitted = listed.join('\n') + '\n';
  await store.put(reduceInputsPath(REDUCE_RUN_ID), fitted);
  await expect(runReduceTask(task('3', fitted), { job, store, memoryMb: 256 })).rejects.toThrow(
    new RegExp(`The partial .*/${victim.fileId}\\.jsonl\\.gz does not match its commit record \\(partition \\d+: .*SHA-256 differs\\): file ${victim.fileId} is no longer committed; \`wikireverse resume ${REDUCE_RUN_ID}\` redoes it`),
  );
  expect(await store.get(partialPath(REDUCE_RUN_ID, victim.fileId))).toBeNull();
  // Nothing of it was merged: the partitions committed before are the control's, none merged from the changed bytes.
  for (const p of [0, 1]) {
    const rows = await readParquet(path.join(input.storeDir, good.find((r) => r.partition === p)!.outputs.find((o) => o.output === 'links')!.path));
    expect(rows.some((r) => String(r.article).startsWith('Tampered'))).toBe(false);
  }
}, 120_000);
