/**
 * `wikireverse fleet up|status|down <runId>` (EC2 spot workers for a run, by hand), and the fleet and cost options of
 * `run`/`resume` (`--fleet local|ec2`, `--instances`, `--budget-usd`, ...) with the EC2 fleet plan they make
 * (run-session.ts assembles the run from them). The EC2 SDK is imported only when an EC2 fleet is used (it takes a
 * second to load).
 */
import { Option, type Command } from 'commander';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { SessionOptions } from '../../coordinator/index.js';
import { checkRunId } from '../../coordinator/run-id.js';
import type { CostTrackerOptions } from '../../cost/index.js';
import type { FleetPlan, FleetRun } from '../../fleet/fleet.js';
import type { Ec2Fleet } from '../../fleet/ec2-fleet.js';
import type { Architecture } from '../../fleet/architectures.js';
import { DEFAULT_LOG_LEVEL, SETTINGS, workerEnv, type Config } from '../../config/index.js';
import { createLogger, terminalJson, type Logger } from '../../log/index.js';
import { UsageError, intOption } from '../io.js';
import type { CommandContext } from '../context.js';

export interface FleetFlags {
  fleet: Config['fleet'];
  instances: number;
  instanceTypes: string;
  image?: string;
  subnets?: string;
  securityGroups?: string;
  instanceProfile?: string;
  redisParam?: string;
  budgetUsd?: number;
  prices?: string;
  healthPort: number;
}

function usd(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number of USD, got "${v}"`);
    return n;
  };
}

const list = (s: string | undefined): string[] => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** The EC2 options shared by `run --fleet ec2` and `fleet up`. */
function addEc2Options(cmd: Command, config: Config): Command {
  return cmd
    .option('--instances <n>', 'EC2 spot instances at most', intOption('--instances', 1), config.instances)
    .option('--instance-types <list>', 'spot instance types, comma-separated (several: more spot capacity)', config.instanceTypes)
    .option('--image <image>', 'worker container image (e.g. an ECR URI; see the Dockerfile)', config.image)
    .option('--subnets <list>', 'subnet ids, comma-separated (default: the default VPC)', config.subnets)
    .option('--security-groups <list>', 'security group ids, comma-separated', config.securityGroups)
    .option('--instance-profile <name>', 'instance profile allowed to read --redis-param and pull the image', config.instanceProfile)
    .option('--redis-param <name>', 'SSM SecureString parameter holding the Redis URL the instances use (kept out of user-data)', config.redisParam);
}

export function addFleetOptions(cmd: Command, ctx: CommandContext): Command {
  const { config } = ctx;
  cmd.addOption(new Option('--fleet <kind>', 'where workers run: local processes (--workers) or EC2 spot instances').choices(SETTINGS.fleet.choices).default(config.fleet));
  return addEc2Options(cmd, config)
    .option('--budget-usd <usd>', 'cancel the run (and tear its fleet down) when its cost ledger reaches this', usd('--budget-usd'), config.budgetUsd)
    .option('--prices <file>', 'JSON file overriding the price table', config.prices)
    .option('--health-port <port>', 'local workers serve /healthz and /metrics on port+i; 0: off', intOption('--health-port'), config.healthPort);
}

export async function ec2Client(config: Config): Promise<EC2Client> {
  const { EC2Client } = await import('@aws-sdk/client-ec2');
  return new EC2Client({ region: config.ec2Region });
}

export async function logsClient(config: Config): Promise<CloudWatchLogsClient> {
  const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
  return new CloudWatchLogsClient({ region: config.ec2Region });
}

/** The image and the Redis URL parameter every EC2 fleet needs, named for the command that was given without them. */
function requireImageAndParam(f: { image?: string | undefined; redisParam?: string | undefined }, who: string): { image: string; redisParam: string } {
  if (!f.image) throw new UsageError(`${who} needs --image (the worker container image; see README "Running on EC2 spot")`);
  if (!f.redisParam) throw new UsageError(`${who} needs --redis-param: the name of an SSM SecureString parameter holding the Redis URL`);
  return { image: f.image, redisParam: f.redisParam };
}

export async function makeEc2Fleet(
  config: Config, f: Omit<FleetFlags, 'fleet' | 'budgetUsd' | 'prices' | 'healthPort'>, runId: string, log: Logger, client?: EC2Client, rateLimit = config.rateLimit,
  workersSeen?: FleetRun['workersSeen'], arch?: Architecture,
): Promise<Ec2Fleet> {
  const [{ Ec2Fleet }, { DEFAULT_AMIS }] = await Promise.all([import('../../fleet/ec2-fleet.js'), import('../../fleet/architectures.js')]);
  const { image, redisParam } = requireImageAndParam(f, '--fleet ec2');
  return new Ec2Fleet({
    client: client ?? (await ec2Client(config)), logs: await logsClient(config), runId, maxInstances: f.instances, instanceTypes: list(f.instanceTypes), subnets: list(f.subnets),
    securityGroupIds: list(f.securityGroups), instanceProfile: f.instanceProfile, amiId: config.amiId ?? (arch ? DEFAULT_AMIS[arch] : undefined), volumeGb: config.volumeGb,
    image, redisParam, concurrency: config.concurrency, healthPort: config.fleetHealthPort,
    idleExitSecs: config.fleetIdleExitSecs, env: workerEnv({ ...config, rateLimit }, { credentials: false }), log,
    workersSeen, bootMillis: config.fleetBootSecs * 1000, maxFailedLaunches: config.fleetMaxFailedLaunches, launchBackoffMillis: config.fleetLaunchBackoffMillis,
  });
}

/** The one architecture of the fleet's instance types, which the image must have (or a UsageError of one line). */
export async function checkedArchitecture(config: Config, client: EC2Client, instanceTypes: string): Promise<Architecture> {
  const { typeArchitectures, fleetArchitecture } = await import('../../fleet/architectures.js');
  const types = list(instanceTypes);
  return fleetArchitecture(types, await typeArchitectures(client, types), list(config.imageArchs));
}

/** What `run --fleet ec2` needs that can be checked without AWS (`--dry-run` checks it too): a reachable Redis, the image and the parameter. */
export function checkEc2Flags(redisUrl: string | undefined, f: FleetFlags): void {
  if (!redisUrl || /\/\/(127\.|localhost|\[::1\])/.test(redisUrl)) {
    throw new UsageError('--fleet ec2 needs --redis with a Redis the instances can reach (not a private or loopback one)');
  }
  requireImageAndParam(f, '--fleet ec2');
}

/** The workers of `run --fleet ec2`: spot instances sized to the work left, and their spot price history for the cost ledger. */
export async function ec2FleetPlan(ctx: CommandContext, f: FleetFlags, session: SessionOptions): Promise<{ plan: FleetPlan; spotHistory: CostTrackerOptions['spotHistory'] }> {
  const { config } = ctx;
  checkEc2Flags(session.redisUrl, f);
  const client = await ec2Client(config);
  const arch = await checkedArchitecture(config, client, f.instanceTypes);
  const { SpotHistoryCache } = await import('../../fleet/spot-prices.js');
  const cache = new SpotHistoryCache(client);
  return {
    plan: {
      kind: 'ec2', maxWorkers: f.instances, sizing: { filesPerWorker: config.concurrency, resizeIntervalMillis: config.fleetResizeMillis },
      create: (run) => makeEc2Fleet(config, f, run.runId, run.log, client, session.rateLimit ?? config.rateLimit, run.workersSeen, arch),
    },
    spotHistory: (t, az, from, to) => cache.get(t, az, from, to),
  };
}

export function registerFleet(program: Command, ctx: CommandContext): void {
  const { config, io } = ctx;
  const fleet = program.command('fleet').description('EC2 spot workers of a run, by hand (`run --fleet ec2` does this itself)');
  addEc2Options(
    fleet.command('up').description('launch spot instances running the worker container for a run (started with --workers 0 and a shared --redis)').argument('<runId>'),
    config,
  ).action(async (id: string, o: FleetFlags) => {
    requireImageAndParam(o, 'fleet up');
    const log = createLogger(config.logLevel ?? DEFAULT_LOG_LEVEL.worker, { cmd: 'fleet' });
    const client = await ec2Client(config);
    const f = await makeEc2Fleet(config, o, checkRunId(id), log, client, config.rateLimit, undefined, await checkedArchitecture(config, client, o.instanceTypes));
    await f.start();
    io.stdout.write(`fleet for run ${id}: ${f.alive} instances launched (they exit when idle; \`wikireverse fleet down ${id}\` stops them now)\n`);
  });
  fleet.command('status').description("the run's instances (tagged with it): type, zone, state, since").argument('<runId>').option('--json', 'print JSON', false)
    .action(async (id: string, o: { json: boolean }) => {
      const f = await makeEc2Fleet(config, { instances: 0, instanceTypes: config.instanceTypes, image: '-', redisParam: '-' }, checkRunId(id), createLogger(config.logLevel ?? DEFAULT_LOG_LEVEL.other));
      await f.refresh();
      if (o.json) io.stdout.write(JSON.stringify({ runId: id, alive: f.alive, instances: f.instances(), lifetimes: f.lifetimes() }, null, 2) + '\n');
      else {
        io.stdout.write(`run ${id}: ${f.alive} instances alive, ${f.instances().length} known\n`);
        for (const i of f.lifetimes()) {
          const state = f.instances().find((x) => x.instanceId === i.instanceId)?.state ?? '?';
          io.stdout.write(`  ${i.instanceId} ${i.instanceType} ${i.az} ${state} since ${new Date(i.launchedAtMillis).toISOString()}\n`);
        }
      }
    });
  fleet.command('logs').description("the run's fleet logs from CloudWatch Logs: each instance's boot (user-data) and worker lines, in time order").argument('<runId>')
    .option('--instance <id>', 'only this instance\'s lines')
    .option('--tail <n>', 'the last n lines', intOption('--tail', 1), 200)
    .option('--json', 'print JSON lines', false)
    .action(async (id: string, o: { instance?: string; tail: number; json: boolean }) => {
      const [{ readFleetLogs }, { runLogGroup }] = await Promise.all([import('../../fleet/fleet-logs.js'), import('../../fleet/log-names.js')]);
      if (o.instance !== undefined && !/^i-[0-9a-f]{8,17}$/.test(o.instance)) throw new UsageError(`--instance must be an EC2 instance id (i-...), got ${JSON.stringify(o.instance.slice(0, 40))}`);
      let lines;
      try {
        lines = await readFleetLogs(await logsClient(config), checkRunId(id), { instanceId: o.instance, tail: o.tail });
      } catch (err) {
        if ((err as Error).name === 'ResourceNotFoundException') throw new UsageError(`no fleet logs for run ${id} (no log group ${runLogGroup(id)} in ${config.ec2Region})`, { cause: err });
        throw err;
      }
      for (const l of lines) {
        io.stdout.write(o.json ? terminalJson(l) + '\n' : `${new Date(l.timeMillis).toISOString()} ${l.stream} ${l.message}\n`);
      }
      if (!o.json && lines.length === 0) io.stdout.write(`run ${id}: no fleet log lines yet${o.instance ? ` for ${o.instance}` : ''}\n`);
    });
  fleet.command('down').description("tear a run's fleet down: delete its fleets with their instances, terminate anything tagged with the run").argument('<runId>')
    .action(async (id: string) => {
      const f = await makeEc2Fleet(config, { instances: 0, instanceTypes: config.instanceTypes, image: '-', redisParam: '-' }, checkRunId(id), createLogger(config.logLevel ?? DEFAULT_LOG_LEVEL.other));
      await f.stop();
      io.stdout.write(`fleet of run ${id} torn down: ${f.lifetimes().length} instances terminated or already gone\n`);
    });
}
