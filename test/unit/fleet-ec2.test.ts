/**
 * The EC2 spot fleet against a mocked EC2 client: what it asks EC2 for (launch template, CreateFleet, top-up, teardown
 * and tag sweep), checked against the fleet's options and against each other (the tag launches carry is the one the
 * sweep looks for), not against the implementation's own names. The user-data is run in test/integration/user-data.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateFleetCommand, CreateLaunchTemplateCommand, DeleteFleetsCommand, DeleteLaunchTemplateCommand, DescribeFleetsCommand,
  DescribeInstancesCommand, EC2Client, TerminateInstancesCommand, type Instance, type Tag,
} from '@aws-sdk/client-ec2';
import { Ec2Fleet, FleetDriver, renderUserData, transitionTime, type Ec2FleetOptions } from '../../src/fleet/index.js';
import { makeEc2Fleet } from '../../src/cli/commands/fleet.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/index.js';

const ec2 = mockClient(EC2Client);
const log = createLogger('silent');

const OPTIONS = {
  runId: 'run-42', maxInstances: 3, instanceTypes: ['m6i.large', 'c6i.large'], subnets: ['subnet-a', 'subnet-b'], securityGroupIds: ['sg-1'],
  instanceProfile: 'wikireverse-worker', image: '123.dkr.ecr.us-east-1.amazonaws.com/wikireverse:1', redisParam: '/wikireverse/redis-url',
  concurrency: 2, healthPort: 9464, idleExitSecs: 120, volumeGb: 20,
} as const;

function fleet(over: Partial<Ec2FleetOptions> = {}): Ec2Fleet {
  return new Ec2Fleet({ client: new EC2Client({ region: 'us-east-1' }), ...OPTIONS, log, ...over });
}

type TagSpecs = ReadonlyArray<{ ResourceType?: string | undefined; Tags?: Tag[] | undefined }> | undefined;
const tagsOf = (specs: TagSpecs, type: string): Tag[] => specs?.find((t) => t.ResourceType === type)?.Tags ?? [];
const launchTemplate = () => ec2.commandCalls(CreateLaunchTemplateCommand)[0]?.args[0].input;
const decode = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('utf8');

function inst(id: string, state: string, extra: Partial<Instance> = {}): Instance {
  return { InstanceId: id, InstanceType: 'm6i.large', State: { Name: state as never }, LaunchTime: new Date('2025-05-01T10:00:00Z'), Placement: { AvailabilityZone: 'us-east-1a' }, ...extra };
}

let launched = 0;
beforeEach(() => {
  ec2.reset();
  launched = 0;
  ec2.on(CreateLaunchTemplateCommand).resolves({ LaunchTemplate: { LaunchTemplateId: 'lt-1' } });
  ec2.on(CreateFleetCommand).callsFake((input: { TargetCapacitySpecification: { TotalTargetCapacity: number } }) => {
    const n = input.TargetCapacitySpecification.TotalTargetCapacity;
    const ids = Array.from({ length: n }, () => `i-${++launched}`);
    return { FleetId: `fleet-${launched}`, Instances: [{ InstanceIds: ids, InstanceType: 'm6i.large' }] };
  });
});
afterEach(() => ec2.reset());

describe('EC2 spot fleet', () => {
  it('launches from a template: IMDSv2 only, reachable from containers, instances terminate on shutdown, the fleet\'s profile, groups and volume, the user-data rendered from its options', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    await fleet().start();
    const data = launchTemplate()?.LaunchTemplateData;
    // Tokens required (no IMDSv1); 2 hops so a container reaches it; the run's tags readable from the instance.
    expect(data?.MetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled', InstanceMetadataTags: 'enabled' });
    expect(data?.InstanceInitiatedShutdownBehavior).toBe('terminate'); // the user-data's final shutdown ends the instance's billing
    expect(data?.IamInstanceProfile).toEqual({ Name: OPTIONS.instanceProfile });
    expect(data?.SecurityGroupIds).toEqual(OPTIONS.securityGroupIds);
    expect(data?.BlockDeviceMappings?.[0]?.Ebs).toMatchObject({ VolumeSize: OPTIONS.volumeGb, DeleteOnTermination: true, Encrypted: true });
    // The launch template's CreateFleet uses is the one created here.
    expect(ec2.commandCalls(CreateFleetCommand)[0]?.args[0].input.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification?.LaunchTemplateId).toBe('lt-1');
    // The script the instances run is the one user-data.test.ts runs, for this fleet's run, image, parameter and sizes.
    const { runId, image, redisParam, concurrency, healthPort, idleExitSecs } = OPTIONS;
    expect(decode(data?.UserData)).toBe(renderUserData({ runId, image, redisParam, concurrency, healthPort, idleExitSecs }));
    expect(decode(data?.UserData)).not.toMatch(/redis:\/\//);

    // An instance profile given as an ARN goes as one; without groups or a profile, none are set.
    ec2.resetHistory();
    await fleet({ instanceProfile: 'arn:aws:iam::123:instance-profile/w', securityGroupIds: [] }).start();
    expect(launchTemplate()?.LaunchTemplateData?.IamInstanceProfile).toEqual({ Arn: 'arn:aws:iam::123:instance-profile/w' });
    expect(launchTemplate()?.LaunchTemplateData?.SecurityGroupIds).toBeUndefined();
  });

  it('the fleet of `run --fleet ec2` takes its instance sizes from the configuration table', async () => {
    const config = loadConfig({}, { WIKIREVERSE_FLEET_HEALTH_PORT: '9555', WIKIREVERSE_FLEET_EXIT_WHEN_IDLE_SECS: '300', WIKIREVERSE_CONCURRENCY: '3', WIKIREVERSE_VOLUME_GB: '40' });
    const f = await makeEc2Fleet(config, { instances: 1, instanceTypes: 'm6i.large', image: OPTIONS.image, redisParam: OPTIONS.redisParam }, 'run-7', log, new EC2Client({ region: 'us-east-1' }), 0);
    await f.start();
    const data = launchTemplate()?.LaunchTemplateData;
    expect(data?.BlockDeviceMappings?.[0]?.Ebs?.VolumeSize).toBe(40);
    expect(decode(data?.UserData)).toBe(renderUserData({
      runId: 'run-7', image: OPTIONS.image, redisParam: OPTIONS.redisParam, concurrency: 3, healthPort: 9555, idleExitSecs: 300,
      env: { WIKIREVERSE_LOG_LEVEL: 'info', WIKIREVERSE_RATE_LIMIT: '0' },
    }));
  });

  it('one template per run: a second launcher of the same run asks with the same token (EC2 makes no second), another run with another; teardown deletes that template', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeFleetsCommand).resolves({ Fleets: [] });
    ec2.on(DeleteFleetsCommand).resolves({});
    ec2.on(DeleteLaunchTemplateCommand).resolves({});
    const longest = 'r'.repeat(64); // checkRunId allows 64 characters
    const first = fleet();
    await first.start();
    await fleet().start();
    await fleet({ runId: 'run-43' }).start();
    await fleet({ runId: longest }).start();
    const made = ec2.commandCalls(CreateLaunchTemplateCommand).map((c) => c.args[0].input);
    expect(made[0]?.ClientToken).toBe(made[1]?.ClientToken);
    expect(made[0]?.LaunchTemplateName).toBe(made[1]?.LaunchTemplateName);
    expect(new Set(made.map((m) => m.ClientToken)).size).toBe(3);
    expect(new Set(made.map((m) => m.LaunchTemplateName)).size).toBe(3);
    for (const m of made) {
      expect(m.ClientToken?.length).toBeLessThanOrEqual(128); // CreateLaunchTemplate's limit
      expect(m.LaunchTemplateName?.length).toBeLessThanOrEqual(128);
    }
    await first.stop();
    expect(ec2.commandCalls(DeleteLaunchTemplateCommand).map((c) => c.args[0].input)).toEqual([{ LaunchTemplateName: made[0]?.LaunchTemplateName }]);
  });

  it('sends one instant, spot, price-capacity-optimized CreateFleet over every type x subnet, tagged with the run as the template\'s instances are', async () => {
    const f = fleet();
    await f.start();
    const calls = ec2.commandCalls(CreateFleetCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.Type).toBe('instant');
    expect(input?.TargetCapacitySpecification).toEqual({ TotalTargetCapacity: 3, SpotTargetCapacity: 3, OnDemandTargetCapacity: 0, DefaultTargetCapacityType: 'spot' });
    expect(input?.SpotOptions).toEqual({ AllocationStrategy: 'price-capacity-optimized', InstanceInterruptionBehavior: 'terminate' });
    expect(input?.LaunchTemplateConfigs?.[0]?.Overrides).toEqual(
      OPTIONS.instanceTypes.flatMap((InstanceType) => OPTIONS.subnets.map((SubnetId) => ({ InstanceType, SubnetId }))),
    );
    // The fleet, its instances and (through the template) their volumes carry one tag naming the run.
    const runTags = (tags: Tag[]): Tag[] => tags.filter((t) => t.Value === OPTIONS.runId);
    const tag = runTags(tagsOf(input?.TagSpecifications, 'instance'));
    expect(tag).toHaveLength(1);
    expect(runTags(tagsOf(input?.TagSpecifications, 'fleet'))).toEqual(tag);
    expect(runTags(tagsOf(launchTemplate()?.LaunchTemplateData?.TagSpecifications, 'instance'))).toEqual(tag);
    expect(runTags(tagsOf(launchTemplate()?.LaunchTemplateData?.TagSpecifications, 'volume'))).toEqual(tag);
    expect(f.alive).toBe(3);
  });

  it('gives every launch its own idempotency token within CreateFleet\'s 64 characters, for the longest run id too', async () => {
    for (const runId of ['run-42', 'r'.repeat(64)]) {
      ec2.resetHistory();
      const f = fleet({ runId });
      await f.start();
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: f.instances().map((i) => inst(i.instanceId, 'terminated')) }] });
      await f.resize(3); // all three interrupted: a second launch
      const tokens = ec2.commandCalls(CreateFleetCommand).map((c) => c.args[0].input.ClientToken ?? '');
      expect(tokens, runId).toHaveLength(2);
      // The same token twice would make EC2 answer the second launch with the first fleet: no top-up.
      expect(tokens[0], runId).not.toBe(tokens[1]);
      for (const t of tokens) expect(t.length, t).toBeLessThanOrEqual(64);
    }
  });

  it('tops up after an instance disappears (spot interruption), and never launches above the target', async () => {
    const f = fleet();
    await f.start();
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [inst('i-1', 'running'), inst('i-2', 'running'), inst('i-3', 'terminated', { StateTransitionReason: 'Service initiated (2025-05-01 10:20:00 GMT)' })] }],
    });
    await f.resize(3);
    const calls = ec2.commandCalls(CreateFleetCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.TargetCapacitySpecification?.TotalTargetCapacity).toBe(1);
    expect(calls[1]?.args[0].input.ClientToken).not.toBe(calls[0]?.args[0].input.ClientToken);
    expect(f.lifetimes().find((l) => l.instanceId === 'i-3')?.terminatedAtMillis).toBe(Date.parse('2025-05-01T10:20:00Z'));
    // The queue drained to one file: no launch (idle workers leave by themselves).
    await f.resize(1);
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(2);
  });

  it('tears down: DeleteFleets with termination, then terminates whatever is still tagged, then deletes the template', async () => {
    const f = fleet();
    await f.start();
    // A fleet of this run launched by an earlier process (tagged as this one tags its fleets), and another run's.
    const runTag = tagsOf(ec2.commandCalls(CreateFleetCommand)[0]?.args[0].input.TagSpecifications, 'fleet').find((t) => t.Value === 'run-42') as Tag;
    ec2.on(DescribeFleetsCommand).resolves({ Fleets: [{ FleetId: 'fleet-old', Tags: [runTag] }, { FleetId: 'fleet-other', Tags: [{ ...runTag, Value: 'run-43' }] }] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [inst('i-1', 'shutting-down'), inst('i-2', 'terminated'), inst('i-9', 'running')] }] });
    ec2.on(DeleteFleetsCommand).resolves({});
    ec2.on(TerminateInstancesCommand).resolves({});
    ec2.on(DeleteLaunchTemplateCommand).resolves({});
    await f.stop();
    const del = ec2.commandCalls(DeleteFleetsCommand)[0]?.args[0].input;
    expect(del).toEqual({ FleetIds: ['fleet-3', 'fleet-old'], TerminateInstances: true });
    const term = ec2.commandCalls(TerminateInstancesCommand)[0]?.args[0].input;
    expect(term?.InstanceIds?.sort()).toEqual(['i-3', 'i-9']); // i-3: launched by us, not yet visible; i-9: tagged, running
    // The sweep looks for the tag the launched instances carry.
    const filter = ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.Filters;
    expect(filter).toEqual([{ Name: `tag:${runTag.Key}`, Values: ['run-42'] }]);
    expect(ec2.commandCalls(DeleteLaunchTemplateCommand)[0]?.args[0].input).toEqual({ LaunchTemplateName: launchTemplate()?.LaunchTemplateName });
    expect(f.alive).toBe(0);
    expect(f.lifetimes().every((l) => l.terminatedAtMillis !== null)).toBe(true);
    // Stopped: no more launches.
    await f.resize(3);
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(1);
  });

  it('the fleet driver launches at start, sizes at ticks (once per interval), tears down at the end', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeFleetsCommand).resolves({ Fleets: [] });
    ec2.on(DeleteFleetsCommand).resolves({});
    ec2.on(DeleteLaunchTemplateCommand).resolves({});
    const made: string[] = [];
    const driver = new FleetDriver({
      kind: 'ec2', maxWorkers: 3, sizing: { filesPerWorker: 2, resizeIntervalMillis: 0 },
      create: (run) => (made.push(run.runId), fleet()),
    }, log);
    const f = await driver.start({ runId: 'run-42', redisUrl: 'redis://10.0.0.1:6379', log });
    expect(made).toEqual(['run-42']);
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(1);
    expect(driver.aliveLocal()).toBeUndefined(); // an EC2 fleet at 0 alive (spot reclaimed) does not end the run
    await driver.tick({ active: 1, waiting: 0 });
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(1);
    await driver.stop();
    await driver.stop();
    expect(ec2.commandCalls(DeleteFleetsCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DeleteFleetsCommand)[0]?.args[0].input).toEqual({ FleetIds: ['fleet-3'], TerminateInstances: true });
    expect(f.alive).toBe(0);
  });

  it('reads termination times from StateTransitionReason', () => {
    expect(transitionTime('User initiated (2025-05-01 10:11:12 GMT)')).toBe(Date.parse('2025-05-01T10:11:12Z'));
    expect(transitionTime(undefined)).toBeNull();
  });
});
