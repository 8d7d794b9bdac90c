/**
 * The coordinator takes its workers from a fleet plan, whatever kind (here an "EC2-like" fleet whose machines are real
 * `wikireverse worker` processes): it makes the fleet once the run's id and Redis are known, starts it, resizes it at
 * ticks when the plan sizes it, stops it before the observers' last hook, and hands it to the observers, so the cost
 * ledger prices its machines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Coordinator, CancelledError, type RunObserver } from '../../src/coordinator/index.js';
import { CostTracker, loadPrices } from '../../src/cost/index.js';
import type { Fleet, FleetPlan, FleetRun } from '../../src/fleet/index.js';
import type { InstanceLife } from '../../src/cost/ledger.js';
import { createLogger } from '../../src/log/index.js';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { SETTINGS } from '../../src/config/index.js';
import { jobRegistry } from '../../jobs/index.js';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { readParquet } from '../helpers/parquet.js';
import { testIoSettings } from '../helpers/storage.js';

let redis: EmbeddedRedis;
let planted: PlantedSet;
let work: string;

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('fleet-plan');
  planted = await plant(path.join(work, 'in'), [{ kind: 'wat', files: 5, pagesPerFile: 150, seed: 77 }]);
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

/** Machines that are worker processes on this host, each billed as an m6i.large from its start to its stop. */
class ProcessFleet implements Fleet {
  readonly kind = 'ec2' as const;
  readonly resizes: number[] = [];
  private readonly machines: Array<{ cli: RunningCli; life: { -readonly [K in keyof InstanceLife]: InstanceLife[K] } }> = [];
  stopped = false;

  constructor(private readonly run: FleetRun) {}

  start(): void {
    this.launch();
  }

  private launch(): void {
    const cli = startCli(['worker', '--run', this.run.runId, '--health-port', '0'], { WIKIREVERSE_REDIS_URL: this.run.redisUrl });
    const n = this.machines.length;
    this.machines.push({ cli, life: { instanceId: `i-test${n}`, instanceType: 'm6i.large', az: 'us-east-1a', launchedAtMillis: Date.now(), terminatedAtMillis: null } });
  }

  get alive(): number {
    return this.machines.filter((m) => m.life.terminatedAtMillis === null).length;
  }

  async resize(target: number): Promise<void> {
    this.resizes.push(target);
    if (target > this.alive && !this.stopped) this.launch();
    await Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const m of this.machines) {
      if (m.life.terminatedAtMillis !== null) continue;
      m.cli.child.kill('SIGTERM');
      await m.cli.done;
      m.life.terminatedAtMillis = Date.now();
    }
  }

  lifetimes(): readonly InstanceLife[] {
    return this.machines.map((m) => ({ ...m.life }));
  }
}

describe('a fleet plan', () => {
  it('is made for the run, started, resized at ticks, stopped before the last hook, and priced by the cost ledger', async () => {
    const log = createLogger('silent');
    const made: ProcessFleet[] = [];
    const runs: FleetRun[] = [];
    const plan: FleetPlan = {
      kind: 'ec2', maxWorkers: 2, sizing: { filesPerWorker: 1, resizeIntervalMillis: 0 },
      create: (run) => {
        runs.push(run);
        const f = new ProcessFleet(run);
        made.push(f);
        return f;
      },
    };
    const seen: string[] = [];
    const watcher: RunObserver = {
      onStart: (run) => void seen.push(`start: fleet ${run.fleet === made[0] ? 'given' : 'missing'}`),
      onFinish: () => void seen.push(`finish: fleet ${made[0]?.stopped ? 'stopped' : 'running'}, ${made[0]?.alive ?? -1} alive`),
    };
    const tracker = new CostTracker({ prices: loadPrices(), intervalMillis: 100, log, cancelError: (reason) => new CancelledError(reason) });
    const out = path.join(work, 'out');
    const coordinator = new Coordinator(jobRegistry, {
      redisUrl: redis.url, redisServerBin: 'redis-server', pollMillis: 100, io: testIoSettings(), log, say: () => undefined, fleet: plan, observers: [tracker, watcher],
    });
    const { manifest, exitCode } = await coordinator.start({
      paths: planted.listing, out, runId: 'plan-1',
      settings: { job: 'wikipedia-links', partitions: 1, attempts: 2, backoffMillis: 100, maxRecordBytes: SETTINGS.maxRecordBytes.default },
    });

    expect(exitCode, manifest.reason).toBe(0);
    expect(runs.map((r) => [r.runId, r.redisUrl])).toEqual([['plan-1', redis.url]]);
    expect(seen).toEqual(['start: fleet given', 'finish: fleet stopped, 0 alive']);
    // Sized to the work left: 5 files at 1 per worker, at most 2 workers.
    const fleet = made[0] as ProcessFleet;
    expect(fleet.resizes.length).toBeGreaterThan(0);
    expect(Math.max(...fleet.resizes)).toBe(2);
    expect(fleet.lifetimes().length).toBe(2);
    expect(manifest.options).toMatchObject({ fleet: 'ec2', workers: 2 });

    const links = await readParquet(`${out}/plan-1/links/*.parquet`);
    expect(links).toHaveLength(planted.expected.length);
    // The ledger priced the fleet's machines (from its lifetimes, given at onStart), each until it stopped.
    const cost = JSON.parse(await fsp.readFile(path.join(out, 'plan-1', 'cost.json'), 'utf8')) as {
      instances: Array<{ instanceId: string; instanceType: string; billedSeconds: number; terminatedAt: string | null }>; items: Array<{ category: string; name: string; usd: number }>;
    };
    expect(cost.instances.map((i) => i.instanceId).sort()).toEqual(['i-test0', 'i-test1']);
    expect(cost.instances.every((i) => i.instanceType === 'm6i.large' && i.billedSeconds >= 60 && i.terminatedAt !== null)).toBe(true); // each stopped before the last update
    const spot = cost.items.find((i) => i.category === 'ec2');
    expect(spot?.name).toBe('spot m6i.large');
    expect(spot?.usd).toBeGreaterThan(0);
  });
});
