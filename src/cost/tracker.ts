/**
 * Keeps a run's cost ledger as the run goes (a coordinator RunObserver): at most every `intervalMillis` it gathers the
 * fleet's instance lifetimes, their spot price history, and the workers' CPU time and requests (committed files and reduce
 * tasks, as the workers add them to the run's totals in Redis), computes
 * the ledger, stores it in Redis (for `status`) and writes `<out>/<runId>/cost.json`; once more at the end. When the
 * total reaches the budget, the run is cancelled with the reason.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log/index.js';
import { ACTIVE_RUNS_KEY, connect, costKey, readRunUsage, setRunStatus } from '../redis/index.js';
import { costPath, type OutputStore } from '../storage/index.js';
import { checkLedger, computeLedger, historyKey, type InstanceLife, type Ledger, type PricePoint } from './ledger.js';
import type { PriceTable } from './prices.js';

export interface CostTrackerOptions {
  readonly prices: PriceTable;
  /** Cancel the run when the ledger's total reaches this many USD. */
  readonly budgetUsd?: number | undefined;
  /** @default 10000 */
  readonly intervalMillis?: number;
  readonly log: Logger;
  /** Spot price history of a type in an AZ (EC2 API); absent: the price table. */
  readonly spotHistory?: (instanceType: string, az: string, fromMillis: number, toMillis: number) => Promise<PricePoint[]>;
  /** The error that cancels the run (the coordinator's CancelledError). */
  readonly cancelError: (reason: string) => Error;
}

/** The parts of the coordinator's hooks the tracker uses. */
interface RunHandle {
  readonly manifest: { readonly runId: string; readonly createdAt?: string };
  readonly redis: Redis;
  /** The coordinator's store: cost.json's writes are counted with its requests. */
  readonly store: OutputStore;
  /** The run's workers, when its coordinator started them: machines with lifetimes (EC2) are priced. */
  readonly fleet?: { lifetimes?(): readonly InstanceLife[] } | undefined;
}
interface FinalManifest {
  readonly runId: string;
  readonly status: string;
  readonly counters: Readonly<Record<string, number>>;
  readonly outputs: ReadonlyArray<{ readonly bytes: number }>;
}

export class CostTracker {
  private run: RunHandle | undefined;
  private store: OutputStore | undefined;
  private startedAt = Date.now();
  private last = 0;
  latest: Ledger | undefined;

  constructor(private readonly opts: CostTrackerOptions) {}

  async onStart(run: RunHandle): Promise<void> {
    this.run = run;
    this.store = run.store;
    const key = costKey(run.manifest.runId);
    await run.redis.hsetnx(key, 'startedAt', String(Date.now()));
    // What Redis holds is taken only as a time of this run could be (after the run was created, not in the future).
    const stored = Number(await run.redis.hget(key, 'startedAt'));
    const created = Date.parse(run.manifest.createdAt ?? '') || Date.now();
    this.startedAt = Number.isFinite(stored) && stored >= created - 60_000 && stored <= Date.now() ? stored : Date.now();
    await this.update(null);
  }

  async onTick(): Promise<void> {
    if (!this.run || Date.now() - this.last < (this.opts.intervalMillis ?? 10_000)) return;
    const ledger = await this.update(null);
    const budget = this.opts.budgetUsd;
    if (budget !== undefined && budget > 0 && ledger.totalUsd >= budget) {
      const runId = this.run.manifest.runId;
      const reason = `budget reached: the run has cost $${ledger.totalUsd.toFixed(4)} of its $${budget} budget (--budget-usd); see ${costPath(runId)}`;
      this.opts.log.warn({ runId, totalUsd: ledger.totalUsd, budgetUsd: budget }, 'budget reached; cancelling the run');
      await setRunStatus(this.run.redis, runId, 'cancelled', reason);
      await this.run.redis.srem(ACTIVE_RUNS_KEY, runId);
      throw this.opts.cancelError(reason);
    }
  }

  async onFinish(manifest: FinalManifest): Promise<void> {
    if (!this.run) return;
    await this.update(manifest).catch((err: unknown) => this.opts.log.warn({ err: (err as Error).message }, 'final cost ledger not written'));
  }

  /** Computes the ledger now and stores it in Redis and the output store. */
  async update(final: FinalManifest | null): Promise<Ledger> {
    const run = this.run as RunHandle;
    const runId = run.manifest.runId;
    this.last = Date.now();
    // The workers add each committed file's and reduce task's CPU time and requests to the run's totals in Redis once:
    // nothing here grows with the number of files.
    const usage = await readRunUsage(run.redis, runId);
    const counters: Record<string, number> = { ...usage.counters };
    const cpuSeconds = usage.cpuSeconds;
    // At the end the manifest holds the final counters, including the coordinator's own requests.
    if (final) for (const [k, v] of Object.entries(final.counters)) if (k.startsWith('io.')) counters[k] = Math.max(counters[k] ?? 0, v);
    const instances = this.run?.fleet?.lifetimes?.() ?? [];
    const now = Date.now();
    const spotHistory: Record<string, PricePoint[]> = {};
    if (this.opts.spotHistory) {
      for (const i of instances) {
        const key = historyKey(i.instanceType, i.az);
        if (spotHistory[key] || !i.az) continue;
        const from = Math.min(...instances.filter((x) => historyKey(x.instanceType, x.az) === key).map((x) => x.launchedAtMillis));
        spotHistory[key] = await this.opts.spotHistory(i.instanceType, i.az, from, now).catch((err: unknown) => {
          this.opts.log.warn({ err: (err as Error).message, key }, 'spot price history unavailable; using the price table');
          return [];
        });
      }
    }
    const ledger = computeLedger({
      runId, nowMillis: now, startedAtMillis: this.startedAt, endedAtMillis: final ? now : null, instances, spotHistory, counters,
      outputBytes: final ? final.outputs.reduce((s, o) => s + o.bytes, 0) : 0, cpuSeconds, prices: this.opts.prices,
    });
    this.latest = ledger;
    await run.redis.hset(costKey(runId), { ledger: JSON.stringify(ledger), totalUsd: String(ledger.totalUsd) });
    await this.store?.put(costPath(runId), JSON.stringify({ ...ledger, status: final?.status ?? 'running', budgetUsd: this.opts.budgetUsd ?? null }, null, 2) + '\n');
    return ledger;
  }
}

/** The ledger stored in Redis for a run, or null. */
export async function readCostSoFar(redisUrl: string, runId: string): Promise<Ledger | null> {
  const redis = connect(redisUrl, 'wikireverse-cost');
  try {
    const raw = await redis.hget(costKey(runId), 'ledger');
    return raw ? parseLedger(raw, `Redis ${costKey(runId)}`) : null;
  } finally {
    redis.disconnect();
  }
}

/** The ledger written in the run's output store (`<out>/<runId>/cost.json`), or null. */
export async function readCostFile(store: OutputStore, runId: string): Promise<(Ledger & { status?: string; budgetUsd?: number | null }) | null> {
  const buf = await store.get(costPath(runId));
  return buf ? parseLedger(buf.toString('utf8'), `${store.location}/${costPath(runId)}`) : null;
}

function parseLedger(text: string, where: string): Ledger & { status?: string; budgetUsd?: number | null } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${where}: not JSON; remove it (a running or resumable run writes it again)`);
  }
  return checkLedger(raw, where);
}
