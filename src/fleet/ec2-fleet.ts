/**
 * A run's workers on EC2 spot: a launch template (user-data runs the worker container; IMDSv2 required, hop limit 2
 * for containers), `CreateFleet` requests of type `instant` (spot, price-capacity-optimized, several instance types,
 * tagged with the run), top-ups after interruptions, and a teardown that deletes the fleets with their instances and
 * then terminates anything still tagged with the run. Instance lifetimes are kept for the cost ledger.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateFleetCommand, CreateLaunchTemplateCommand, CreateLaunchTemplateVersionCommand, DeleteFleetsCommand, DeleteLaunchTemplateCommand, DescribeFleetsCommand,
  DescribeInstancesCommand, TerminateInstancesCommand, type EC2Client, type Instance, type RequestLaunchTemplateData, type Tag,
} from '@aws-sdk/client-ec2';
import { CreateLogGroupCommand, GetLogEventsCommand, PutRetentionPolicyCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { withoutControlChars, type Logger } from '../log/index.js';
import { SETTINGS } from '../config/index.js';
import type { InstanceLife } from '../cost/ledger.js';
import type { Fleet } from './fleet.js';
import { renderUserData, type UserDataOptions } from './user-data.js';
import { LOG_RETENTION_DAYS, bootStream, runLogGroup } from './log-names.js';
import { FleetFailedError, LaunchCheck } from './launch-check.js';
import { DEFAULT_AMIS } from './architectures.js';

export const RUN_TAG = 'wikireverse:run';
/** Amazon Linux 2023, ECS-optimized (Docker and the AWS CLI preinstalled), x86_64, resolved by EC2 at launch. */
export const DEFAULT_AMI = DEFAULT_AMIS.x86_64;
const LIVE_STATES = new Set(['pending', 'running']);
/** A launched instance not yet visible in DescribeInstances (eventual consistency) counts as live this long. */
const VISIBILITY_GRACE_MILLIS = 120_000;

export interface Ec2FleetOptions extends Omit<UserDataOptions, 'runId'> {
  readonly client: EC2Client;
  /** CloudWatch Logs, where the instances write (a group per run, made here before any launch). */
  readonly logs: CloudWatchLogsClient;
  readonly runId: string;
  /** Instances at most (the initial size). */
  readonly maxInstances: number;
  readonly instanceTypes: readonly string[];
  /** Subnets to launch in (one per AZ is best); empty: the default VPC. */
  readonly subnets: readonly string[];
  readonly securityGroupIds?: readonly string[];
  /** Instance profile (name or ARN) whose role may read `redisParam` and pull the image. */
  readonly instanceProfile?: string | undefined;
  /** @default DEFAULT_AMI */
  readonly amiId?: string;
  /** Root EBS volume, GB. @default SETTINGS.volumeGb.default */
  readonly volumeGb?: number;
  readonly log: Logger;
  readonly now?: () => number;
  /**
   * The run's workers seen in Redis by instance id (FleetRun.workersSeen): with it, an instance that never becomes a
   * worker is terminated after `bootMillis` and counted as a failed launch, and failed launches in a row back off the
   * next top-up and, at `maxFailedLaunches`, fail the run.
   */
  readonly workersSeen?: (() => Promise<ReadonlyMap<string, number>>) | undefined;
  /** @default SETTINGS.fleetBootSecs.default s */
  readonly bootMillis?: number;
  /** @default SETTINGS.fleetMaxFailedLaunches.default */
  readonly maxFailedLaunches?: number;
  /** First wait after a failed launch (doubling). @default 30 s */
  readonly launchBackoffMillis?: number;
}

interface Known {
  life: InstanceLife & { terminatedAtMillis: number | null };
  state: string;
  seenInDescribe: boolean;
}

export class Ec2Fleet implements Fleet {
  readonly kind = 'ec2' as const;
  private readonly known = new Map<string, Known>();
  private readonly fleetIds = new Set<string>();
  private launchTemplateId: string | undefined;
  /** The template version this process launches with (a template another process made gets a version of ours). */
  private launchTemplateVersion = '$Latest';
  private generation = 0;
  private stopped = false;
  /** Instances this process launched: the ones whose launch it judges. */
  private readonly launchedHere = new Set<string>();
  readonly launches: LaunchCheck;

  constructor(private readonly opts: Ec2FleetOptions) {
    this.launches = new LaunchCheck({
      bootMillis: opts.bootMillis ?? SETTINGS.fleetBootSecs.default * 1000, maxFailed: opts.maxFailedLaunches ?? SETTINGS.fleetMaxFailedLaunches.default,
      ...(opts.launchBackoffMillis === undefined ? {} : { backoffMillis: opts.launchBackoffMillis }),
    });
    if (opts.instanceTypes.length === 0) throw new Error('The EC2 fleet needs at least one instance type (--instance-types)');
    if (!opts.image) throw new Error('The EC2 fleet needs a container image (--image), e.g. an ECR repository URI');
    if (!opts.redisParam) throw new Error('The EC2 fleet needs the SSM parameter holding the Redis URL (--redis-param)');
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  get tags(): Tag[] {
    return [{ Key: RUN_TAG, Value: this.opts.runId }, { Key: 'Name', Value: `wikireverse-worker-${this.opts.runId}` }];
  }

  get launchTemplateName(): string {
    return `wikireverse-${this.opts.runId}`;
  }

  get alive(): number {
    return [...this.known.values()].filter((k) => LIVE_STATES.has(k.state)).length;
  }

  lifetimes(): InstanceLife[] {
    return [...this.known.values()].map((k) => k.life);
  }

  /** Instance ids and states, as last seen. */
  instances(): Array<{ instanceId: string; state: string; instanceType: string; az: string }> {
    return [...this.known.values()].map((k) => ({ instanceId: k.life.instanceId, state: k.state, instanceType: k.life.instanceType, az: k.life.az }));
  }

  async start(): Promise<void> {
    await this.ensureLogGroup();
    await this.ensureLaunchTemplate();
    await this.launch(this.opts.maxInstances);
  }

  /** The run's log group: Docker's awslogs driver does not start a container whose group is missing. */
  private async ensureLogGroup(): Promise<void> {
    const logGroupName = runLogGroup(this.opts.runId);
    try {
      await this.opts.logs.send(new CreateLogGroupCommand({ logGroupName, tags: { [RUN_TAG]: this.opts.runId } }));
    } catch (err) {
      if ((err as Error).name !== 'ResourceAlreadyExistsException') throw err;
    }
    await this.opts.logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: LOG_RETENTION_DAYS }));
  }

  private async ensureLaunchTemplate(): Promise<string> {
    if (this.launchTemplateId) return this.launchTemplateId;
    const o = this.opts;
    const userData = renderUserData({ ...o, runId: o.runId });
    const data = {
      ImageId: o.amiId ?? DEFAULT_AMI,
      UserData: Buffer.from(userData, 'utf8').toString('base64'),
      IamInstanceProfile: o.instanceProfile ? (o.instanceProfile.startsWith('arn:') ? { Arn: o.instanceProfile } : { Name: o.instanceProfile }) : undefined,
      SecurityGroupIds: o.securityGroupIds?.length ? [...o.securityGroupIds] : undefined,
      InstanceInitiatedShutdownBehavior: 'terminate',
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled', InstanceMetadataTags: 'enabled' },
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeSize: o.volumeGb ?? SETTINGS.volumeGb.default, VolumeType: 'gp3', DeleteOnTermination: true, Encrypted: true } }],
      TagSpecifications: [{ ResourceType: 'instance', Tags: this.tags }, { ResourceType: 'volume', Tags: this.tags }],
    } satisfies RequestLaunchTemplateData;
    const description = `WikiReverse workers for run ${o.runId}`;
    let res;
    try {
      res = await o.client.send(new CreateLaunchTemplateCommand({
        LaunchTemplateName: this.launchTemplateName, ClientToken: `wr-lt-${o.runId}`, VersionDescription: description,
        TagSpecifications: [{ ResourceType: 'launch-template', Tags: this.tags }], LaunchTemplateData: data,
      }));
    } catch (err) {
      // The run's template exists (another process of the run made it, maybe with other settings: a resume): a version
      // of this process's data is added, and launches use that version.
      if (!/AlreadyExists|IdempotentParameterMismatch/i.test(`${(err as Error).name} ${(err as Error).message}`)) throw err;
      const v = await o.client.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateName: this.launchTemplateName, VersionDescription: description, LaunchTemplateData: data }));
      const id = v.LaunchTemplateVersion?.LaunchTemplateId;
      if (!id || v.LaunchTemplateVersion?.VersionNumber === undefined) throw new Error(`CreateLaunchTemplateVersion returned no id for ${this.launchTemplateName}`, { cause: err });
      this.launchTemplateVersion = String(v.LaunchTemplateVersion.VersionNumber);
      this.launchTemplateId = id;
      return id;
    }
    const id = res.LaunchTemplate?.LaunchTemplateId;
    if (!id) throw new Error(`CreateLaunchTemplate returned no id for ${this.launchTemplateName}`);
    this.launchTemplateId = id;
    return id;
  }

  /** One `instant` CreateFleet request for `count` spot instances. Returns the instance ids launched. */
  async launch(count: number): Promise<string[]> {
    if (count <= 0 || this.stopped) return [];
    const o = this.opts;
    const templateId = await this.ensureLaunchTemplate();
    this.generation++;
    const subnets: Array<string | undefined> = o.subnets.length > 0 ? [...o.subnets] : [undefined];
    const overrides = o.instanceTypes.flatMap((t) => subnets.map((s) => (s ? { InstanceType: t as never, SubnetId: s } : { InstanceType: t as never })));
    // Idempotency: an SDK retry of this request reuses the token and cannot launch twice; each launch has its own (the
    // run id is cut, never the launch's part, to CreateFleet's 64 characters: a repeated token gets the first fleet back).
    const launchPart = `-g${this.generation}-${randomBytes(3).toString('hex')}`;
    const res = await o.client.send(new CreateFleetCommand({
      Type: 'instant',
      ClientToken: `wr-${o.runId}`.slice(0, 64 - launchPart.length) + launchPart,
      TargetCapacitySpecification: { TotalTargetCapacity: count, SpotTargetCapacity: count, OnDemandTargetCapacity: 0, DefaultTargetCapacityType: 'spot' },
      SpotOptions: { AllocationStrategy: 'price-capacity-optimized', InstanceInterruptionBehavior: 'terminate' },
      LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: templateId, Version: this.launchTemplateVersion }, Overrides: overrides }],
      TagSpecifications: [{ ResourceType: 'fleet', Tags: this.tags }, { ResourceType: 'instance', Tags: this.tags }],
    }));
    if (res.FleetId) this.fleetIds.add(res.FleetId);
    const ids: string[] = [];
    for (const group of res.Instances ?? []) {
      for (const id of group.InstanceIds ?? []) {
        ids.push(id);
        this.launchedHere.add(id);
        this.known.set(id, {
          life: { instanceId: id, instanceType: String(group.InstanceType ?? o.instanceTypes[0]), az: '', launchedAtMillis: this.now(), terminatedAtMillis: null, volumeGb: o.volumeGb ?? SETTINGS.volumeGb.default },
          state: 'pending', seenInDescribe: false,
        });
      }
    }
    for (const e of res.Errors ?? []) o.log.warn({ runId: o.runId, code: e.ErrorCode, msg: e.ErrorMessage }, 'spot capacity not granted for one instance type');
    o.log.info({ runId: o.runId, fleetId: res.FleetId, requested: count, launched: ids.length }, 'spot instances launched');
    return ids;
  }

  /** Reads every instance tagged with the run (including terminated ones, for their lifetimes). */
  async refresh(): Promise<void> {
    const seen = new Set<string>();
    let NextToken: string | undefined;
    do {
      const res = await this.opts.client.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${RUN_TAG}`, Values: [this.opts.runId] }], NextToken }));
      for (const r of res.Reservations ?? []) for (const i of r.Instances ?? []) if (i.InstanceId) seen.add(this.record(i));
      NextToken = res.NextToken;
    } while (NextToken);
    const now = this.now();
    for (const [id, k] of this.known) {
      if (seen.has(id) || !LIVE_STATES.has(k.state)) continue;
      // Launched by us but gone from DescribeInstances: after a grace period for eventual consistency, it is gone.
      if (k.seenInDescribe || now - k.life.launchedAtMillis > VISIBILITY_GRACE_MILLIS) this.markGone(k, now);
    }
  }

  private record(i: Instance): string {
    const id = i.InstanceId as string;
    const prev = this.known.get(id);
    const state = i.State?.Name ?? 'unknown';
    const launched = i.LaunchTime?.getTime() ?? prev?.life.launchedAtMillis ?? this.now();
    const k: Known = prev ?? { life: { instanceId: id, instanceType: '', az: '', launchedAtMillis: launched, terminatedAtMillis: null }, state, seenInDescribe: true };
    k.life = { ...k.life, instanceType: String(i.InstanceType ?? k.life.instanceType), az: i.Placement?.AvailabilityZone ?? k.life.az, launchedAtMillis: launched };
    k.state = state;
    k.seenInDescribe = true;
    if (!LIVE_STATES.has(state) && k.life.terminatedAtMillis === null) {
      k.life = { ...k.life, terminatedAtMillis: transitionTime(i.StateTransitionReason) ?? this.now() };
    }
    this.known.set(id, k);
    return id;
  }

  private markGone(k: Known, at: number): void {
    k.state = 'terminated';
    if (k.life.terminatedAtMillis === null) k.life = { ...k.life, terminatedAtMillis: at };
  }

  /**
   * Tops the fleet up to `target` instances (spot interruptions, failed launches). Shrinking is done by the workers:
   * an idle worker exits and its instance shuts itself down, so no busy instance is ever terminated here.
   */
  async resize(target: number): Promise<void> {
    if (this.stopped) return;
    await this.refresh();
    if (this.opts.workersSeen) await this.checkLaunches(this.opts.workersSeen);
    const missing = Math.min(target, this.opts.maxInstances) - this.alive;
    if (missing > 0 && !this.launches.mayLaunch(this.now())) {
      this.opts.log.info({ runId: this.opts.runId, alive: this.alive, target, failedInARow: this.launches.failedInARow }, 'not topping up yet: backing off after a failed launch');
    } else if (missing > 0) {
      this.opts.log.info({ runId: this.opts.runId, alive: this.alive, target }, 'topping up the fleet');
      await this.launch(missing);
    }
  }

  /**
   * Terminates the instances this process launched that have not become workers within the boot time; throws
   * FleetFailedError when failed launches in a row reached the cap, with the last one's boot log.
   */
  private async checkLaunches(workersSeen: () => Promise<ReadonlyMap<string, number>>): Promise<void> {
    const { client, runId, log } = this.opts;
    const mine = [...this.known.values()].filter((k) => this.launchedHere.has(k.life.instanceId))
      .map((k) => ({ instanceId: k.life.instanceId, state: k.state, launchedAtMillis: k.life.launchedAtMillis }));
    const review = this.launches.review(mine, await workersSeen(), this.now());
    if (review.terminate.length > 0) {
      await client.send(new TerminateInstancesCommand({ InstanceIds: review.terminate }));
      for (const id of review.terminate) {
        const k = this.known.get(id);
        if (k) k.state = 'shutting-down';
      }
    }
    for (const id of review.failed) {
      log.warn({ runId, instanceId: id, terminated: review.terminate.includes(id), failedInARow: this.launches.failedInARow }, 'instance never became a worker (a failed launch)');
    }
    if (this.launches.exhausted) {
      const last = this.launches.lastFailed as string;
      throw new FleetFailedError(`${this.launches.failedInARow} instances started but no worker connected; last instance's log (${last}): ${await this.bootLog(last)}`);
    }
  }

  /** The last lines an instance's user-data wrote to the run's log group, cleaned and bounded. */
  async bootLog(instanceId: string): Promise<string> {
    const logGroupName = runLogGroup(this.opts.runId);
    try {
      const res = await this.opts.logs.send(new GetLogEventsCommand({ logGroupName, logStreamName: bootStream(instanceId), limit: 5, startFromHead: false }));
      const text = withoutControlChars((res.events ?? []).map((e) => e.message ?? '').join(' | ')).slice(-1500);
      if (text) return text;
    } catch {
      // no stream: the instance wrote nothing there
    }
    return `nothing in ${logGroupName} (the instance may not have reached its metadata, or its role may not write logs); see \`aws ec2 get-console-output --instance-id ${instanceId}\``;
  }

  /** Deletes the run's fleets with their instances, terminates anything still tagged with the run, deletes the template. */
  async stop(): Promise<void> {
    this.stopped = true;
    const { client, runId, log } = this.opts;
    await this.findFleets().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'DescribeFleets failed; sweeping instances by tag'));
    const fleets = [...this.fleetIds];
    // A fleet that cannot be deleted (its instances all ended already: moto then refuses the whole request; EC2 lists it
    // in UnsuccessfulFleetDeletions) must not keep the sweep below from terminating the run's other instances.
    for (let i = 0; i < fleets.length; i += 25) {
      try {
        const res = await client.send(new DeleteFleetsCommand({ FleetIds: fleets.slice(i, i + 25), TerminateInstances: true }));
        for (const u of res.UnsuccessfulFleetDeletions ?? []) log.warn({ fleetId: u.FleetId, code: u.Error?.Code, msg: u.Error?.Message }, 'fleet not deleted; sweeping its instances by tag');
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'DeleteFleets failed; sweeping instances by tag');
      }
    }
    await this.refresh();
    const live = [...this.known.values()].filter((k) => k.state !== 'terminated' && k.state !== 'shutting-down').map((k) => k.life.instanceId);
    for (let i = 0; i < live.length; i += 500) {
      await client.send(new TerminateInstancesCommand({ InstanceIds: live.slice(i, i + 500) }));
    }
    const now = this.now();
    for (const k of this.known.values()) if (k.state !== 'terminated') this.markGone(k, now);
    await client.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: this.launchTemplateName })).catch((err: unknown) => {
      if (!/NotFound|does not exist/i.test(String((err as Error).name) + String((err as Error).message))) throw err;
    });
    log.info({ runId, fleets: fleets.length, swept: live.length }, 'fleet torn down');
  }

  /** Adds the run's fleets (tagged with it) to the known set: `fleet down` in a new process knows no ids. */
  private async findFleets(): Promise<void> {
    let NextToken: string | undefined;
    do {
      const res = await this.opts.client.send(new DescribeFleetsCommand({ NextToken }));
      for (const f of res.Fleets ?? []) {
        if (f.FleetId && f.Tags?.some((t) => t.Key === RUN_TAG && t.Value === this.opts.runId)) this.fleetIds.add(f.FleetId);
      }
      NextToken = res.NextToken;
    } while (NextToken);
  }
}

/** The time in a StateTransitionReason such as `User initiated (2025-05-01 10:11:12 GMT)`. */
export function transitionTime(reason: string | undefined): number | null {
  const m = /\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) GMT\)/.exec(reason ?? '');
  return m?.[1] ? Date.parse(`${m[1].replace(' ', 'T')}Z`) : null;
}
