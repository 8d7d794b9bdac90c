/**
 * A run as `run` and `resume` assemble it, in one place: the coordinator's session (Redis, storage, logging), where its
 * workers come from (a fleet plan: local processes, or EC2 spot with `--fleet ec2`), and what follows the run (the cost
 * ledger with the budget cap, the progress display, report.html).
 */
import type { FleetPlan } from '../fleet/fleet.js';
import { localFleetPlan } from '../fleet/local-fleet.js';
import type { CostTrackerOptions } from '../cost/index.js';
import { childEnv, workerEnv } from '../config/index.js';
import type { CommandContext } from './context.js';
import { sessionOptions, type SessionFlags } from './session.js';
import { withDisplay, type Display, type DisplayFlags } from './display.js';
import { ec2FleetPlan, type FleetFlags } from './commands/fleet.js';

export type RunSessionFlags = SessionFlags & DisplayFlags & FleetFlags;

/** `--workers N` local processes (none with 0: workers started elsewhere take the run's files). */
function localPlan(ctx: CommandContext, f: RunSessionFlags): FleetPlan | undefined {
  const { config } = ctx;
  if (f.workers === 0) return undefined;
  return localFleetPlan({
    count: f.workers, maxRestarts: config.maxWorkerRestarts, healthPortBase: f.healthPort,
    extraArgs: ['--log-level', f.logLevel, '--concurrency', String(config.concurrency), '--rate-limit', String(f.rateLimit)],
    // The worker settings, as a fleet instance's worker gets them; the endpoint may carry credentials: it goes to local
    // workers in their environment, not on their command line.
    env: childEnv(workerEnv({ ...config, s3Endpoint: f.s3Endpoint ?? config.s3Endpoint, rateLimit: f.rateLimit }, { credentials: true })),
  });
}

export async function assembleRun(ctx: CommandContext, f: RunSessionFlags, cmd: string): Promise<Display> {
  const { config } = ctx;
  const [{ CancelledError }, { CostTracker, loadPrices }] = await Promise.all([import('../coordinator/index.js'), import('../cost/index.js')]);
  const base = await sessionOptions(ctx, f, ctx.io, cmd);
  const prices = loadPrices(f.prices);
  let fleet = localPlan(ctx, f);
  let spotHistory: CostTrackerOptions['spotHistory'];
  if (f.fleet === 'ec2') ({ plan: fleet, spotHistory } = await ec2FleetPlan(ctx, f, base));
  const tracker = new CostTracker({
    prices, budgetUsd: f.budgetUsd, intervalMillis: config.costIntervalMillis, log: base.log, spotHistory,
    cancelError: (reason) => new CancelledError(reason),
  });
  return withDisplay(ctx, f, { ...base, fleet, observers: [tracker] }, cmd);
}
