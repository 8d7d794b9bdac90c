/** The EC2 spot fleet against a mocked EC2 client: launch template and CreateFleet input, top-up, teardown and tag sweep. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateFleetCommand, CreateLaunchTemplateCommand, DeleteFleetsCommand, DeleteLaunchTemplateCommand, DescribeFleetsCommand,
  DescribeInstancesCommand, EC2Client, TerminateInstancesCommand, type Instance,
} from '@aws-sdk/client-ec2';
import { Ec2Fleet, FleetObserver, transitionTime } from '../../src/fleet/index.js';
import { createLogger } from '../../src/log/index.js';

const ec2 = mockClient(EC2Client);
const log = createLogger('silent');

function fleet(): Ec2Fleet {
  return new Ec2Fleet({
    client: new EC2Client({ region: 'us-east-1' }), runId: 'run-42', maxInstances: 3, instanceTypes: ['m6i.large', 'c6i.large'],
    subnets: ['subnet-a', 'subnet-b'], securityGroupIds: ['sg-1'], instanceProfile: 'wikireverse-worker', image: '123.dkr.ecr.us-east-1.amazonaws.com/wikireverse:1',
    redisParam: '/wikireverse/redis-url', concurrency: 2, healthPort: 9464, idleExitSecs: 120, volumeGb: 20, log,
  });
}

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
  it('creates a launch template with IMDSv2, hop limit 2, tags, and user-data without the secret', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    await fleet().start();
    const lt = ec2.commandCalls(CreateLaunchTemplateCommand)[0]?.args[0].input;
    expect(lt?.LaunchTemplateName).toBe('wikireverse-run-42');
    expect(lt?.ClientToken).toBe('wr-lt-run-42');
    const data = lt?.LaunchTemplateData;
    expect(data?.MetadataOptions).toEqual({ HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled', InstanceMetadataTags: 'enabled' });
    expect(data?.InstanceInitiatedShutdownBehavior).toBe('terminate');
    expect(data?.IamInstanceProfile).toEqual({ Name: 'wikireverse-worker' });
    expect(data?.SecurityGroupIds).toEqual(['sg-1']);
    expect(data?.BlockDeviceMappings?.[0]?.Ebs).toMatchObject({ VolumeSize: 20, VolumeType: 'gp3', DeleteOnTermination: true });
    expect(data?.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['instance', 'volume']);
    for (const t of data?.TagSpecifications ?? []) expect(t.Tags).toContainEqual({ Key: 'wikireverse:run', Value: 'run-42' });
    const userData = Buffer.from(data?.UserData ?? '', 'base64').toString('utf8');
    expect(userData).toMatch(/^#!\/bin\/bash/);
    expect(userData).toContain("aws ssm get-parameter --region \"$REGION\" --name '/wikireverse/redis-url' --with-decryption");
    expect(userData).toContain('X-aws-ec2-metadata-token-ttl-seconds'); // IMDSv2 from the script too
    expect(userData).toContain("'123.dkr.ecr.us-east-1.amazonaws.com/wikireverse:1' --run 'run-42' --concurrency 2 --health-port 9464 --exit-when-idle 120");
    expect(userData).toContain('--stop-timeout 110');
    expect(userData).toContain('shutdown -h now');
    expect(userData).not.toContain('hunter2');
    expect(userData).not.toMatch(/redis:\/\//);
  });

  it('sends one instant, spot, price-capacity-optimized CreateFleet over every type x subnet, tagged, with a ClientToken', async () => {
    const f = fleet();
    await f.start();
    const calls = ec2.commandCalls(CreateFleetCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.Type).toBe('instant');
    expect(input?.ClientToken).toMatch(/^wr-run-42-g1-[0-9a-f]{6}$/);
    expect(input?.TargetCapacitySpecification).toEqual({ TotalTargetCapacity: 3, SpotTargetCapacity: 3, OnDemandTargetCapacity: 0, DefaultTargetCapacityType: 'spot' });
    expect(input?.SpotOptions).toEqual({ AllocationStrategy: 'price-capacity-optimized', InstanceInterruptionBehavior: 'terminate' });
    expect(input?.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification).toEqual({ LaunchTemplateId: 'lt-1', Version: '$Latest' });
    expect(input?.LaunchTemplateConfigs?.[0]?.Overrides).toEqual([
      { InstanceType: 'm6i.large', SubnetId: 'subnet-a' }, { InstanceType: 'm6i.large', SubnetId: 'subnet-b' },
      { InstanceType: 'c6i.large', SubnetId: 'subnet-a' }, { InstanceType: 'c6i.large', SubnetId: 'subnet-b' },
    ]);
    expect(input?.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['fleet', 'instance']);
    for (const t of input?.TagSpecifications ?? []) expect(t.Tags).toContainEqual({ Key: 'wikireverse:run', Value: 'run-42' });
    expect(f.alive).toBe(3);
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
    ec2.on(DescribeFleetsCommand).resolves({ Fleets: [{ FleetId: 'fleet-old', Tags: [{ Key: 'wikireverse:run', Value: 'run-42' }] }, { FleetId: 'fleet-other', Tags: [] }] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [inst('i-1', 'shutting-down'), inst('i-2', 'terminated'), inst('i-9', 'running')] }] });
    ec2.on(DeleteFleetsCommand).resolves({});
    ec2.on(TerminateInstancesCommand).resolves({});
    ec2.on(DeleteLaunchTemplateCommand).resolves({});
    await f.stop();
    const del = ec2.commandCalls(DeleteFleetsCommand)[0]?.args[0].input;
    expect(del).toEqual({ FleetIds: ['fleet-3', 'fleet-old'], TerminateInstances: true });
    const term = ec2.commandCalls(TerminateInstancesCommand)[0]?.args[0].input;
    expect(term?.InstanceIds?.sort()).toEqual(['i-3', 'i-9']); // i-3: launched by us, not yet visible; i-9: tagged, running
    const filter = ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.Filters;
    expect(filter).toEqual([{ Name: 'tag:wikireverse:run', Values: ['run-42'] }]);
    expect(ec2.commandCalls(DeleteLaunchTemplateCommand)[0]?.args[0].input).toEqual({ LaunchTemplateName: 'wikireverse-run-42' });
    expect(f.alive).toBe(0);
    expect(f.lifetimes().every((l) => l.terminatedAtMillis !== null)).toBe(true);
    // Stopped: no more launches.
    await f.resize(3);
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(1);
  });

  it('the run observer launches at start, sizes at ticks, tears down at the end even when cancelled', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(DescribeFleetsCommand).resolves({ Fleets: [] });
    ec2.on(DeleteFleetsCommand).resolves({});
    ec2.on(DeleteLaunchTemplateCommand).resolves({});
    const ob = new FleetObserver(() => fleet(), { maxWorkers: 3, filesPerWorker: 2, resizeIntervalMillis: 0, log });
    await ob.onStart({ manifest: { runId: 'run-42' } });
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(1);
    await ob.onTick({ active: 1, waiting: 0 });
    expect(ec2.commandCalls(CreateFleetCommand)).toHaveLength(1);
    await ob.onFinish();
    expect(ec2.commandCalls(DeleteFleetsCommand)[0]?.args[0].input).toEqual({ FleetIds: ['fleet-3'], TerminateInstances: true });
  });

  it('reads termination times from StateTransitionReason', () => {
    expect(transitionTime('User initiated (2025-05-01 10:11:12 GMT)')).toBe(Date.parse('2025-05-01T10:11:12Z'));
    expect(transitionTime(undefined)).toBeNull();
  });
});
