/** A run whose cost ledger reaches --budget-usd is cancelled, with the reason in the manifest and the ledger in cost.json. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { costKey, openRedis, startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { runCli } from '../helpers/cli.js';
import { plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';

let redis: EmbeddedRedis;
let planted: PlantedSet;
let work: string;

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('budget');
  planted = await plant(path.join(work, 'in'), [{ kind: 'warc', files: 6, pagesPerFile: 400, seed: 51 }]);
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('--budget-usd', () => {
  it('cancels the run when the ledger reaches the budget', async () => {
    // A fixed item at $36,000/h costs $10 per second of wall time: a $0.50 budget is gone almost at once.
    const prices = path.join(work, 'prices.json');
    await fsp.writeFile(prices, JSON.stringify({ fixedPerHour: { 'test-host': 36_000 } }));
    const out = path.join(work, 'out');
    const res = await runCli(
      ['run', '--paths', planted.listing, '--out', out, '--workers', '1', '--redis', redis.url, '--run-id', 'budget-1', '--budget-usd', '0.5', '--prices', prices, '--json'],
      { WIKIREVERSE_COST_INTERVAL_MS: '100', WIKIREVERSE_BACKOFF_MS: '60000' },
    );
    expect(res.code, res.stderr.slice(-2000)).toBe(3);
    const manifest = JSON.parse(await fsp.readFile(path.join(out, 'budget-1', 'manifest.json'), 'utf8')) as { status: string; reason: string };
    expect(manifest.status).toBe('cancelled');
    expect(manifest.reason).toMatch(/^budget reached: the run has cost \$\d+\.\d{4} of its \$0\.5 budget/);
    const cost = JSON.parse(await fsp.readFile(path.join(out, 'budget-1', 'cost.json'), 'utf8')) as { totalUsd: number; status: string; budgetUsd: number; items: Array<{ name: string }> };
    expect(cost.totalUsd).toBeGreaterThanOrEqual(0.5);
    expect(cost.budgetUsd).toBe(0.5);
    expect(cost.status).toBe('cancelled');
    expect(cost.items.map((i) => i.name)).toContain('test-host');
    const shown = await runCli(['cost', 'budget-1', '--out', out]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('test-host');
    expect(shown.stdout).toContain('run status: cancelled');
  });

  it('a ledger in Redis that the run did not write is refused with one line, not printed', async () => {
    const r = await openRedis(redis.url, 'test');
    try {
      await r.hset(costKey('junk-1'), { ledger: JSON.stringify({ runId: 'junk-1', computedAt: 'now', totalUsd: 1, monthlyStorageUsd: 0, items: [{ category: 'ec2', name: '\u001b[2Jgotcha', quantity: 1, unit: 'h', usd: 1 }], instances: [], projected: { cpuSeconds: 0, vcpuHours: 0, ec2SpotUsd: 0 } }) });
    } finally {
      r.disconnect();
    }
    const res = await runCli(['cost', 'junk-1', '--redis', redis.url]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain(`Redis ${costKey('junk-1')}: not a cost ledger this version wrote (items[0].name)`);
    expect(res.stderr).not.toContain('\u001b');
  });
});

