/**
 * A run's record in Redis (src/redis/run-record.ts) against a real redis-server: its life (start, stop, cancel, end, a
 * restart forgetting an earlier end), the keys of a run listed once for `clean`, and a record holding garbage read as
 * bounded, clean values (by the module and by `status`, `runs`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  recordWorkerSeen, readWorkersSeen, cancelRunRecord, costKey, createRunRecord, finishRunRecord, listRunIds, liveTotalsKey, readLiveTotals, readRunRecord, readRunStatus,
  recordCommitted, restoreRunRecord, runKeys, setRunStatus, startRedisServer, type EmbeddedRedis,
} from '../../src/redis/index.js';
import { runCli } from '../helpers/cli.js';

let server: EmbeddedRedis;
let r: Redis;
const START = { out: '/tmp/out', job: 'wikipedia-links', files: 3, createdAt: '2026-12-01T05:00:00.000Z' };

beforeAll(async () => {
  server = await startRedisServer();
  r = new Redis(server.url);
});

afterAll(async () => {
  r?.disconnect();
  await server?.stop();
});

describe('run record', () => {
  it('follows a run: start, budget cancel, restart, end; a cancel does not relabel an ended run', async () => {
    expect(await readRunRecord(r, 'life-1')).toBeNull();
    expect(await readRunStatus(r, 'life-1')).toBeNull();
    await createRunRecord(r, 'life-1', START);
    expect(await readRunRecord(r, 'life-1')).toEqual({ runId: 'life-1', status: 'running', ...START, finishedAt: null, reason: null, titles: null });
    await setRunStatus(r, 'life-1', 'cancelled', 'budget reached');
    expect(await readRunRecord(r, 'life-1')).toMatchObject({ status: 'cancelled', reason: 'budget reached' });
    await finishRunRecord(r, 'life-1', 'failed', '2026-12-01T05:00:00.000Z');
    // A resume (here of a run that ended failed) starts a new session: the earlier stop and its end are forgotten.
    await createRunRecord(r, 'life-1', START);
    expect(await readRunRecord(r, 'life-1')).toMatchObject({ status: 'running', reason: null, finishedAt: null });
    expect(await restoreRunRecord(r, 'life-1', START)).toBe(false);
    await finishRunRecord(r, 'life-1', 'succeeded', '2026-12-01T06:00:00.000Z');
    expect(await cancelRunRecord(r, 'life-1')).toBe('succeeded');
    expect(await readRunRecord(r, 'life-1')).toMatchObject({ status: 'succeeded', finishedAt: '2026-12-01T06:00:00.000Z' });

    await createRunRecord(r, 'life-2', START);
    expect(await cancelRunRecord(r, 'life-2')).toBe('ok');
    expect(await readRunStatus(r, 'life-2')).toBe('cancelled');
    // Lost with Redis: written again.
    await r.del(...runKeys('life-2'));
    expect(await restoreRunRecord(r, 'life-2', START)).toBe(true);
    expect(await readRunStatus(r, 'life-2')).toBe('running');
  });

  it('lists every key of a run once, and runs without their sub-keys', async () => {
    await createRunRecord(r, 'keys-1', START);
    await recordCommitted(r, 'keys-1', { fileId: 'f1', input: 'a', kind: 'wat', rows: 1, parts: [], counters: {}, compressedBytes: 1, seconds: 1, attempt: 1 });
    await r.hset(costKey('keys-1'), { totalUsd: '0.5' });
    await recordWorkerSeen(r, 'keys-1', 'i-0123456789abcdef0');
    const present = (await r.keys('wikireverse:run:keys-1*')).sort();
    expect(present).toEqual([...runKeys('keys-1')].sort());
    await r.set('wikireverse:run:bad id', 'x');
    const ids = await listRunIds(r);
    expect(ids).toContain('keys-1');
    expect(ids.every((id) => /^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(id))).toBe(true);
    expect(ids).toEqual([...ids].sort());
  });

  it('reads back the workers a run has seen, leaving out ids no worker writes and times that are not times', async () => {
    await recordWorkerSeen(r, 'seen-1', 'i-0123456789abcdef0', 1_000);
    await recordWorkerSeen(r, 'seen-1', 'host-a:4242', 2_000);
    await expect(recordWorkerSeen(r, 'seen-1', 'bad id\n')).rejects.toThrow(/not a worker id/);
    await r.hset('wikireverse:run:seen-1:workers', { '\x1b[2Jevil': '3000', 'i-1': 'soon', 'i-2': '-5', 'i-3': '1e400' });
    expect([...(await readWorkersSeen(r, 'seen-1'))]).toEqual(expect.arrayContaining([['i-0123456789abcdef0', 1_000], ['host-a:4242', 2_000]]));
    expect((await readWorkersSeen(r, 'seen-1')).size).toBe(2);
    expect((await readWorkersSeen(r, 'seen-none')).size).toBe(0);
  });

  it('reads a record of garbage as bounded, clean values, and so do status and runs', async () => {
    await r.hset('wikireverse:run:junk-1', {
      status: 'pwned\x1b[2J', files: '1e99', out: 'x'.repeat(5000), job: '../../etc/passwd', createdAt: 'yesterday',
      finishedAt: 'not a date', reason: `\x1b]0;title\x07${'r'.repeat(5000)}`, extra: 'ignored',
    });
    await r.hset(liveTotalsKey('junk-1'), { files: '-4', pages: 'NaN', rows: '12.5', bytes: '99999999999999999999' });
    await r.hset(costKey('junk-1'), { totalUsd: 'Infinity' });
    const rec = await readRunRecord(r, 'junk-1');
    expect(rec).toMatchObject({ status: 'unknown', files: 0, out: null, job: null, createdAt: null, finishedAt: null });
    expect(rec?.reason?.length).toBeLessThanOrEqual(2000);
    expect(rec?.reason).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(await readLiveTotals(r, 'junk-1')).toMatchObject({ files: 0, pages: 0, rows: 0, bytes: 0, costUsd: null });
    await r.hset('wikireverse:run:junk-2', { files: '-3', status: 'running' });
    expect((await readRunRecord(r, 'junk-2'))?.files).toBe(0);

    const status = await runCli(['status', 'junk-1', '--redis', server.url, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ runId: 'junk-1', status: 'unknown', out: null, files: 0, done: 0, failed: 0 });
    const runs = await runCli(['runs', '--redis', server.url, '--json']);
    expect(runs.code, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ runId: 'junk-1', status: 'unknown', files: 0, costUsd: null, createdAt: null })]));
  });
});
