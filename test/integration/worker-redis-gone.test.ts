/**
 * A standalone worker whose Redis goes away (the run ended and its private redis-server stopped, a shared Redis died):
 * it stops by itself within seconds, with one line, instead of logging ECONNREFUSED twice a second for ever; with
 * `--exit-when-idle` the idle exit does not wait on the dead Redis either.
 */
import { describe, expect, it } from 'vitest';
import { startRedisServer } from '../../src/redis/index.js';
import { startCli } from '../helpers/cli.js';

async function workerThenRedisGone(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string; secs: number }> {
  const redis = await startRedisServer();
  const worker = startCli(['worker', '--redis', redis.url, '--run', 'gone-1', '--log-level', 'info', ...args], env);
  try {
    await worker.waitForLine((l) => l.includes('worker ready'), 30_000);
  } catch (err) {
    await redis.stop();
    throw err;
  }
  await redis.stop();
  const stopped = Date.now();
  const timeout = setTimeout(() => worker.child.kill('SIGKILL'), 60_000);
  const res = await worker.done;
  clearTimeout(timeout);
  return { code: res.code, stderr: res.stderr, secs: (Date.now() - stopped) / 1000 };
}

describe('a standalone worker whose Redis is gone', () => {
  it('exits 1 with one line once Redis has been down for WIKIREVERSE_WORKER_REDIS_WAIT_MS, its errors logged once', async () => {
    const res = await workerThenRedisGone([], { WIKIREVERSE_WORKER_REDIS_WAIT_MS: '3000' });
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/error: Redis redis:\/\/\*\*\*@127\.0\.0\.1:\d+ has not answered for 3 s: this worker stops/);
    expect(res.secs).toBeLessThan(30); // not killed by the test's 60 s guard
    // Down for 3+ s, each queue's connection erring twice a second: each queue's error is logged once, not per retry.
    const errors = res.stderr.split('\n').filter((l) => l.includes('worker error') || l.includes('reducer error'));
    expect(errors.length).toBeLessThanOrEqual(2); // one a queue (worker, reducer) per 30 s
  });

  it('with --exit-when-idle, leaves when idle even though closing its queues would wait on the dead Redis', async () => {
    const res = await workerThenRedisGone(['--exit-when-idle', '2'], {});
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('no file for a while; exiting');
    expect(res.secs).toBeLessThan(30);
  });
});
