/**
 * The EC2 spot fleet against a protocol-level EC2 (moto in server mode, test/helpers/aws.ts): what it asks EC2 for
 * (launch template, CreateFleet, top-up, teardown and tag sweep), as sent, and what EC2 then holds (instances, their
 * tags, types and subnets, the template), checked against the fleet's options and against each other (the tag launches
 * carry is the one the sweep looks for). The user-data is run in test/integration/user-data.test.ts.
 *
 * One answer moto cannot give: an instance that CreateFleet returned but DescribeInstances does not show yet (EC2 is
 * eventually consistent, moto at once). That case alone is answered by aws-sdk-client-mock, at the end.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateFleetCommand, CreateLaunchTemplateCommand, CreateSecurityGroupCommand, DescribeInstancesCommand, DescribeLaunchTemplatesCommand, DescribeLaunchTemplateVersionsCommand,
  DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client, TerminateInstancesCommand, type Instance, type Tag,
} from '@aws-sdk/client-ec2';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DescribeLogGroupsCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DEFAULT_AMIS, Ec2Fleet, FleetDriver, RUN_TAG, renderUserData, transitionTime, type Ec2FleetOptions } from '../../src/fleet/index.js';
import { checkedArchitecture, makeEc2Fleet } from '../../src/cli/commands/fleet.js';
import { SETTINGS, WORKER_SETTINGS, loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log/index.js';
import { recordCommands, startMoto, useMoto, type Moto } from '../helpers/aws.js';
import { runCli } from '../helpers/cli.js';

const log = createLogger('silent');
let moto: Moto;
/** The fleet's client (its requests recorded), and the test's own for looking at what EC2 holds. */
let client: EC2Client;
let probe: EC2Client;
let logs: CloudWatchLogsClient;
let sent: ReturnType<typeof recordCommands>;
let subnets: string[];
let groups: string[];

const OPTIONS = {
  runId: 'run-42', maxInstances: 3, instanceTypes: ['m6i.large', 'c6i.large'],
  image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/wikireverse:1', redisParam: '/wikireverse/redis-url',
  concurrency: 2, healthPort: 9464, idleExitSecs: 120, volumeGb: 20,
} as const;

function fleet(over: Partial<Ec2FleetOptions> = {}): Ec2Fleet {
  return new Ec2Fleet({ client, logs, ...OPTIONS, subnets, securityGroupIds: groups, log, ...over });
}

type TagSpecs = ReadonlyArray<{ ResourceType?: string | undefined; Tags?: Tag[] | undefined }> | undefined;
const tagsOf = (specs: TagSpecs, type: string): Tag[] => specs?.find((t) => t.ResourceType === type)?.Tags ?? [];
const decode = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('utf8');
const createFleets = () => sent.of('CreateFleetCommand') as unknown as Array<CreateFleetCommand['input']>;

/** The instances EC2 holds with the run's tag. */
async function runInstances(runId: string): Promise<Instance[]> {
  const res = await probe.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${RUN_TAG}`, Values: [runId] }] }));
  return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}
const live = (is: Instance[]): Instance[] => is.filter((i) => ['pending', 'running'].includes(i.State?.Name ?? ''));

async function templateData(name: string) {
  const v = await probe.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: name }));
  return v.LaunchTemplateVersions?.find((t) => t.DefaultVersion)?.LaunchTemplateData;
}

beforeAll(async () => {
  moto = await startMoto();
  useMoto(moto);
});
afterAll(async () => moto?.stop());

beforeEach(async () => {
  await moto.reset();
  client = new EC2Client({ region: 'us-east-1' }); // its endpoint from AWS_ENDPOINT_URL
  probe = new EC2Client({ region: 'us-east-1' });
  logs = new CloudWatchLogsClient({ region: 'us-east-1' });
  const vpc = (await client.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs?.[0]?.VpcId;
  subnets = ((await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc as string] }] }))).Subnets ?? []).slice(0, 2).map((s) => s.SubnetId as string);
  groups = [(await client.send(new CreateSecurityGroupCommand({ GroupName: 'wikireverse-workers', Description: 'workers', VpcId: vpc }))).GroupId as string];
  sent = recordCommands(client);
});

describe('EC2 spot fleet (moto)', () => {
  it('launches from a template: IMDSv2 only, reachable from containers, instances terminate on shutdown, the fleet\'s groups and volume, the user-data rendered from its options', async () => {
    const f = fleet();
    await f.start();
    const data = await templateData(f.launchTemplateName);
    // Tokens required (no IMDSv1); 2 hops so a container reaches it; the run's tags readable from the instance.
    expect(data?.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled', InstanceMetadataTags: 'enabled' });
    expect(data?.InstanceInitiatedShutdownBehavior).toBe('terminate'); // the user-data's final shutdown ends the instance's billing
    expect(data?.SecurityGroupIds).toEqual(groups); // (moto puts the instances in the default group all the same)
    expect(data?.BlockDeviceMappings?.[0]?.Ebs).toMatchObject({ VolumeSize: OPTIONS.volumeGb, DeleteOnTermination: true, Encrypted: true });
    // The script the instances run is the one user-data.test.ts runs, for this fleet's run, image, parameter and sizes.
    const { runId, image, redisParam, concurrency, healthPort, idleExitSecs } = OPTIONS;
    expect(decode(data?.UserData)).toBe(renderUserData({ runId, image, redisParam, concurrency, healthPort, idleExitSecs }));
    expect(decode(data?.UserData)).not.toMatch(/redis:\/\//);
    // The instances EC2 launched are of the fleet's types, in its subnets and groups, from that template.
    const instances = live(await runInstances(OPTIONS.runId));
    expect(instances).toHaveLength(3);
    for (const i of instances) {
      expect(OPTIONS.instanceTypes).toContain(i.InstanceType);
      expect(subnets).toContain(i.SubnetId);
      expect(i.InstanceLifecycle).toBe('spot');
    }
    expect(f.alive).toBe(3);
    // The run's log group is there before any instance writes to it (Docker's awslogs driver needs it), and expires.
    const groupsMade = (await logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? [];
    expect(groupsMade.map((g) => [g.logGroupName, g.retentionInDays])).toEqual([['/wikireverse/run-42', 14]]);

    // An instance profile goes by name, or as an ARN when given one; without groups or a profile, none are set.
    sent.length = 0;
    await fleet({ runId: 'run-43', instanceProfile: 'wikireverse-worker' }).start();
    await fleet({ runId: 'run-44', instanceProfile: 'arn:aws:iam::123456789012:instance-profile/w', securityGroupIds: [] }).start();
    const made = sent.of('CreateLaunchTemplateCommand') as unknown as Array<{ LaunchTemplateData: { IamInstanceProfile?: unknown; SecurityGroupIds?: unknown } }>;
    expect(made.map((m) => m.LaunchTemplateData.IamInstanceProfile)).toEqual([{ Name: 'wikireverse-worker' }, { Arn: 'arn:aws:iam::123456789012:instance-profile/w' }]);
    expect(made[1]?.LaunchTemplateData.SecurityGroupIds).toBeUndefined();
  });

  it('the fleet of `run --fleet ec2` takes its sizes from the configuration table, and its workers every worker setting a local worker gets, without credentials', async () => {
    const config = loadConfig({}, {
      WIKIREVERSE_FLEET_HEALTH_PORT: '9555', WIKIREVERSE_FLEET_EXIT_WHEN_IDLE_SECS: '300', WIKIREVERSE_CONCURRENCY: '3', WIKIREVERSE_VOLUME_GB: '40',
      WIKIREVERSE_NO_PROGRESS_SECS: '77', WIKIREVERSE_REDUCER_MEMORY_MB: '900', WIKIREVERSE_LOCK_MS: '45000', WIKIREVERSE_FILE_HEAP_MB: '700',
      WIKIREVERSE_S3_ENDPOINT: 'https://AKIDEXAMPLE:se%2Fcret@s3.example.net:9000',
    });
    const f = await makeEc2Fleet(config, { instances: 1, instanceTypes: 'm6i.large', image: OPTIONS.image, redisParam: OPTIONS.redisParam }, 'run-7', log, client, 4);
    await f.start();
    const data = await templateData(f.launchTemplateName);
    expect(data?.BlockDeviceMappings?.[0]?.Ebs?.VolumeSize).toBe(40);
    const script = decode(data?.UserData);
    expect(script).toContain('--concurrency 3 --health-port 9555 --exit-when-idle 300');
    const envLines = [...script.matchAll(/^echo '(WIKIREVERSE_[A-Z0-9_]+=[^']*)' >> \/run\/wikireverse\/worker\.env$/gm)].map((m) => m[1])
      .filter((l) => !l?.startsWith('WIKIREVERSE_IMDS_URL=')); // where the instance's metadata is: the user-data's own
    expect(envLines).toEqual(expect.arrayContaining([
      'WIKIREVERSE_NO_PROGRESS_SECS=77', 'WIKIREVERSE_REDUCER_MEMORY_MB=900', 'WIKIREVERSE_LOCK_MS=45000', 'WIKIREVERSE_FILE_HEAP_MB=700',
      'WIKIREVERSE_RATE_LIMIT=4', 'WIKIREVERSE_CONCURRENCY=3', 'WIKIREVERSE_S3_ENDPOINT=https://s3.example.net:9000',
    ]));
    // The same list a local worker is given (run-session.ts), credentials aside.
    expect(envLines.map((l) => l?.split('=')[0]).sort()).toEqual(WORKER_SETTINGS.filter((k) => config[k] !== undefined).map((k) => SETTINGS[k].env).sort());
    expect(script).not.toMatch(/AKIDEXAMPLE|se%2Fcret/);
  });

  it('one template per run: a second launcher of the same run asks with the same token, then (moto has no idempotent create) adds its version; another run has its own; teardown deletes that template only', async () => {
    const longest = 'r'.repeat(64); // checkRunId allows 64 characters
    const first = fleet();
    await first.start();
    await fleet().start();
    await fleet({ runId: 'run-43' }).start();
    await fleet({ runId: longest }).start();
    const made = sent.of('CreateLaunchTemplateCommand') as unknown as Array<{ ClientToken: string; LaunchTemplateName: string }>;
    expect(made[0]?.ClientToken).toBe(made[1]?.ClientToken);
    expect(new Set(made.map((m) => m.ClientToken)).size).toBe(3);
    for (const m of made) {
      expect(m.ClientToken.length).toBeLessThanOrEqual(128); // CreateLaunchTemplate's limit
      expect(m.LaunchTemplateName.length).toBeLessThanOrEqual(128);
    }
    // The second launcher of run-42 launched with a version of the run's template.
    const versions = sent.of('CreateLaunchTemplateVersionCommand') as unknown as Array<{ LaunchTemplateName: string }>;
    expect(versions.map((v) => v.LaunchTemplateName)).toEqual([made[0]?.LaunchTemplateName]);
    expect(createFleets()[1]?.LaunchTemplateConfigs?.[0]?.LaunchTemplateSpecification?.Version).toBe('2');
    const names = async () => ((await probe.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? []).map((t) => t.LaunchTemplateName).sort();
    expect(await names()).toEqual([...new Set(made.map((m) => m.LaunchTemplateName))].sort());
    await first.stop();
    expect(await names()).toEqual([...new Set(made.slice(2).map((m) => m.LaunchTemplateName))].sort());
  });

  it('sends one instant, spot, price-capacity-optimized CreateFleet over every type x subnet, tagged with the run as the template\'s instances are', async () => {
    const f = fleet();
    await f.start();
    const calls = createFleets();
    expect(calls).toHaveLength(1);
    const input = calls[0];
    expect(input?.Type).toBe('instant');
    expect(input?.TargetCapacitySpecification).toEqual({ TotalTargetCapacity: 3, SpotTargetCapacity: 3, OnDemandTargetCapacity: 0, DefaultTargetCapacityType: 'spot' });
    expect(input?.SpotOptions).toEqual({ AllocationStrategy: 'price-capacity-optimized', InstanceInterruptionBehavior: 'terminate' });
    expect(input?.LaunchTemplateConfigs?.[0]?.Overrides).toEqual(OPTIONS.instanceTypes.flatMap((InstanceType) => subnets.map((SubnetId) => ({ InstanceType, SubnetId }))));
    // The fleet, its instances and (through the template) their volumes carry one tag naming the run.
    const runTags = (tags: Tag[]): Tag[] => tags.filter((t) => t.Value === OPTIONS.runId);
    const tag = runTags(tagsOf(input?.TagSpecifications, 'instance'));
    expect(tag).toEqual([{ Key: RUN_TAG, Value: OPTIONS.runId }]);
    expect(runTags(tagsOf(input?.TagSpecifications, 'fleet'))).toEqual(tag);
    const data = await templateData(f.launchTemplateName);
    expect(runTags(tagsOf(data?.TagSpecifications, 'instance'))).toEqual(tag);
    expect(runTags(tagsOf(data?.TagSpecifications, 'volume'))).toEqual(tag);
    // EC2 holds the instances with that tag.
    expect((await runInstances(OPTIONS.runId)).map((i) => i.InstanceId).sort()).toEqual(f.instances().map((i) => i.instanceId).sort());
  });

  it('tops up after instances are reclaimed (spot interruption), each launch with its own token within 64 characters, never above the target', async () => {
    for (const runId of ['run-42', 'r'.repeat(64)]) {
      const f = fleet({ runId });
      await f.start();
      const [gone] = f.instances();
      await probe.send(new TerminateInstancesCommand({ InstanceIds: [gone?.instanceId as string] })); // as EC2 reclaims a spot instance
      await f.resize(3);
      const calls = createFleets().filter((c) => c.TagSpecifications?.some((t) => t.Tags?.some((x) => x.Value === runId)));
      expect(calls.map((c) => c.TargetCapacitySpecification?.TotalTargetCapacity), runId).toEqual([3, 1]);
      // The same token twice would make EC2 answer the second launch with the first fleet: no top-up.
      expect(calls[0]?.ClientToken, runId).not.toBe(calls[1]?.ClientToken);
      for (const c of calls) expect(c.ClientToken?.length, c.ClientToken).toBeLessThanOrEqual(64);
      expect(live(await runInstances(runId)), runId).toHaveLength(3);
      expect(f.alive).toBe(3);
      const life = f.lifetimes().find((l) => l.instanceId === gone?.instanceId);
      expect(life?.terminatedAtMillis).toBeGreaterThanOrEqual(life?.launchedAtMillis ?? Infinity);
      // The queue drained to one file: no launch (idle workers leave by themselves).
      await f.resize(1);
      expect(createFleets().filter((c) => c.TagSpecifications?.some((t) => t.Tags?.some((x) => x.Value === runId)))).toHaveLength(2);
    }
  });

  it('tears down: the run\'s fleets (also ones an earlier process launched) with their instances, whatever else is tagged with the run, the template; another run\'s instances stay', async () => {
    const earlier = fleet();
    await earlier.start();
    const other = fleet({ runId: 'run-43', maxInstances: 1 });
    await other.start();
    // `fleet down` in a new process knows no ids: it finds the run's fleets by their tag.
    const f = fleet();
    await f.stop();
    expect(live(await runInstances(OPTIONS.runId))).toEqual([]);
    expect(live(await runInstances('run-43'))).toHaveLength(1);
    expect(sent.of('DeleteFleetsCommand')).toHaveLength(1);
    expect(sent.of('DeleteFleetsCommand')[0]).toMatchObject({ TerminateInstances: true });
    // The sweep looks for the tag the launched instances carry.
    expect(sent.of('DescribeInstancesCommand').at(-1)?.Filters).toEqual([{ Name: `tag:${RUN_TAG}`, Values: [OPTIONS.runId] }]);
    const templates = ((await probe.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? []).map((t) => t.LaunchTemplateName);
    expect(templates).toEqual([other.launchTemplateName]);
    expect(f.alive).toBe(0);
    expect(f.lifetimes()).toHaveLength(3);
    expect(f.lifetimes().every((l) => l.terminatedAtMillis !== null)).toBe(true);
    // Stopped: no more launches.
    await f.resize(3);
    expect(live(await runInstances(OPTIONS.runId))).toEqual([]);
  });

  it('tears down every live instance even when a fleet\'s instances all ended already (DeleteFleets then fails: the sweep still runs)', async () => {
    const f = fleet({ maxInstances: 1 });
    await f.start();
    // The first fleet's instance shut itself down (a failed boot); a top-up launched a second fleet.
    await probe.send(new TerminateInstancesCommand({ InstanceIds: live(await runInstances(OPTIONS.runId)).map((i) => i.InstanceId as string) }));
    await f.refresh();
    await f.resize(1);
    expect(live(await runInstances(OPTIONS.runId))).toHaveLength(1);
    await f.stop();
    expect(live(await runInstances(OPTIONS.runId))).toEqual([]);
    expect(f.alive).toBe(0);
  });

  it('the fleet driver launches at start, sizes at ticks, tears down at the end (twice is once)', async () => {
    const made: string[] = [];
    const driver = new FleetDriver({
      kind: 'ec2', maxWorkers: 3, sizing: { filesPerWorker: 2, resizeIntervalMillis: 0 },
      create: (run) => (made.push(run.runId), fleet()),
    }, log);
    const f = await driver.start({ runId: 'run-42', redisUrl: 'redis://10.0.0.1:6379', log });
    expect(made).toEqual(['run-42']);
    expect(live(await runInstances('run-42'))).toHaveLength(3);
    expect(driver.aliveLocal()).toBeUndefined(); // an EC2 fleet at 0 alive (spot reclaimed) does not end the run
    await driver.tick({ active: 1, waiting: 0 });
    expect(createFleets()).toHaveLength(1);
    await driver.stop();
    await driver.stop();
    expect(sent.of('DeleteFleetsCommand')).toHaveLength(1);
    expect(live(await runInstances('run-42'))).toEqual([]);
    expect(f.alive).toBe(0);
  });

  it('an instance that never becomes a worker is terminated after the boot time and counted; failed launches in a row back off, then fail the run with the last instance\'s boot log', async () => {
    let now = Date.now();
    const seen = new Map<string, number>();
    const f = fleet({ maxInstances: 2, workersSeen: async () => seen, bootMillis: 60_000, maxFailedLaunches: 3, launchBackoffMillis: 10_000, now: () => now });
    await f.start();
    const [a, b] = f.instances().map((i) => i.instanceId) as [string, string];
    seen.set(a, now); // a's worker connected; b is silent
    now += 30_000;
    await f.resize(2);
    expect(live(await runInstances(OPTIONS.runId))).toHaveLength(2); // within the boot time: b is left alone
    now += 40_000;
    await f.resize(2);
    // b: terminated in EC2, one failed launch; the top-up waits out the back-off.
    const states = new Map((await runInstances(OPTIONS.runId)).map((i) => [i.InstanceId, i.State?.Name]));
    expect(states.get(a)).toBe('running');
    expect(['shutting-down', 'terminated']).toContain(states.get(b));
    expect(f.launches.failedInARow).toBe(1);
    expect(createFleets()).toHaveLength(1);
    now += 10_000;
    await f.resize(2);
    expect(createFleets()).toHaveLength(2);
    // The next one's user-data fails and shuts it down (it wrote why to the run's log group first).
    const c = f.instances().map((i) => i.instanceId).find((id) => id !== a && id !== b) as string;
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/wikireverse/run-42', logStreamName: `${c}/boot` }));
    await logs.send(new PutLogEventsCommand({ logGroupName: '/wikireverse/run-42', logStreamName: `${c}/boot`, logEvents: [{ timestamp: now, message: 'wikireverse: failed at step pull (exit 1); last output: no basic auth credentials\u001b[2J' }] }));
    await probe.send(new TerminateInstancesCommand({ InstanceIds: [c] }));
    await f.resize(2);
    expect(f.launches.failedInARow).toBe(2);
    now += 20_000; // the back-off doubled
    await f.resize(2);
    const d = f.instances().map((i) => i.instanceId).find((id) => ![a, b, c].includes(id)) as string;
    await probe.send(new TerminateInstancesCommand({ InstanceIds: [d] }));
    const failed = await f.resize(2).then(() => null, (err: Error) => err);
    expect(failed?.name).toBe('FleetFailedError');
    expect(failed?.message).toMatch(new RegExp(`^3 instances started but no worker connected; last instance's log \\(${d}\\): nothing in /wikireverse/run-42`));
    expect(await f.bootLog(c)).toBe('wikireverse: failed at step pull (exit 1); last output: no basic auth credentials [2J');
    // The driver does not retry that: the run ends.
    const driver = new FleetDriver({ kind: 'ec2', maxWorkers: 2, sizing: { filesPerWorker: 1, resizeIntervalMillis: 0 }, create: () => f }, log);
    await driver.start({ runId: 'run-42', redisUrl: 'redis://10.0.0.1:6379', log });
    await expect(driver.tick({ active: 0, waiting: 5 })).rejects.toThrow(/no worker connected/);
    await driver.stop();
    expect(live(await runInstances(OPTIONS.runId))).toEqual([]);
  });

  it('`fleet logs` prints the run\'s boot and worker lines of every instance in time order, or of one, cleaned of control characters', async () => {
    const group = '/wikireverse/run-logs';
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    const put = async (stream: string, events: Array<[number, string]>) => {
      await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
      await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events.map(([timestamp, message]) => ({ timestamp, message })) }));
    };
    const t = Date.parse('2026-12-06T10:00:00Z');
    await put('i-0aaaaaaaaaaaaaaaa/boot', [[t, 'wikireverse: image pulled; worker container starting']]);
    await put('i-0aaaaaaaaaaaaaaaa/worker', [[t + 2000, '{"msg":"worker ready"}'], [t + 4000, '{"msg":"file committed"}']]);
    await put('i-0bbbbbbbbbbbbbbbb/boot', [[t + 3000, 'wikireverse: failed at step pull (exit 1)\u001b]0;owned\u0007']]);
    const all = await runCli(['fleet', 'logs', 'run-logs'], moto.env);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout.trim().split('\n')).toEqual([
      '2026-12-06T10:00:00.000Z i-0aaaaaaaaaaaaaaaa/boot wikireverse: image pulled; worker container starting',
      '2026-12-06T10:00:02.000Z i-0aaaaaaaaaaaaaaaa/worker {"msg":"worker ready"}',
      '2026-12-06T10:00:03.000Z i-0bbbbbbbbbbbbbbbb/boot wikireverse: failed at step pull (exit 1) ]0;owned ',
      '2026-12-06T10:00:04.000Z i-0aaaaaaaaaaaaaaaa/worker {"msg":"file committed"}',
    ]);
    const one = await runCli(['fleet', 'logs', 'run-logs', '--instance', 'i-0bbbbbbbbbbbbbbbb', '--json'], moto.env);
    expect(one.stdout.trim().split('\n').map((l) => JSON.parse(l) as { stream: string }).map((l) => l.stream)).toEqual(['i-0bbbbbbbbbbbbbbbb/boot']);
    const tail = await runCli(['fleet', 'logs', 'run-logs', '--tail', '1'], moto.env);
    expect(tail.stdout).toMatch(/^\S+ i-0aaaaaaaaaaaaaaaa\/worker \{"msg":"file committed"\}\n$/);
    const none = await runCli(['fleet', 'logs', 'run-nope'], moto.env);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no fleet logs for run run-nope/);
  });

  it('a fleet\'s instance types share the architecture the image is built for, and the template takes that architecture\'s AMI; anything else is refused with one line before a launch', async () => {
    const x86 = loadConfig();
    expect(await checkedArchitecture(x86, client, 'm6i.large,c6in.large,c6i.large')).toBe('x86_64');
    await expect(checkedArchitecture(x86, client, 'c7g.large')).rejects.toThrow(/^--instance-types are arm64 \(c7g\.large\), and the worker image is built for x86_64 \(WIKIREVERSE_IMAGE_ARCHS\)/);
    await expect(checkedArchitecture(x86, client, 'm6i.large,c7g.large')).rejects.toThrow('--instance-types mixes architectures (x86_64: m6i.large; arm64: c7g.large)');
    await expect(checkedArchitecture(x86, client, 'm6i.large,x9.large')).rejects.toThrow(/^--instance-types: .*x9\.large/);
    // An image built for both: Graviton types launch, from the arm64 AMI.
    const both = loadConfig({}, { WIKIREVERSE_IMAGE_ARCHS: 'x86_64,arm64' });
    const arch = await checkedArchitecture(both, client, 'c7g.large,m7g.large');
    expect(arch).toBe('arm64');
    const f = await makeEc2Fleet(both, { instances: 1, instanceTypes: 'c7g.large,m7g.large', image: OPTIONS.image, redisParam: OPTIONS.redisParam }, 'run-arm', log, client, 0, undefined, arch);
    await f.start();
    expect((await templateData(f.launchTemplateName))?.ImageId).toBe(DEFAULT_AMIS.arm64);
    expect(live(await runInstances('run-arm')).map((i) => i.InstanceType)).toEqual(expect.arrayContaining([expect.stringMatching(/^(c7g|m7g)\.large$/)]));
    // `run --fleet ec2` refuses the types before it starts anything.
    const res = await runCli(['run', '--fleet', 'ec2', '--instance-types', 'c7g.large', '--image', OPTIONS.image, '--redis-param', OPTIONS.redisParam,
      '--redis', 'redis://10.255.255.1:6379', '--paths', '/nonexistent/paths.txt', '--out', '/nonexistent/out'], moto.env);
    expect(res.code).toBe(2);
    expect(res.stderr.split('\n')[0]).toMatch(/^error: --instance-types are arm64 \(c7g\.large\)/); // then only the pointer to --help
    expect(live(await runInstances('run-arm'))).toHaveLength(1);
  });

  it('reads termination times from StateTransitionReason', () => {
    expect(transitionTime('User initiated (2025-05-01 10:11:12 GMT)')).toBe(Date.parse('2025-05-01T10:11:12Z'));
    expect(transitionTime(undefined)).toBeNull();
  });
});

describe('EC2 is eventually consistent (aws-sdk-client-mock: moto shows every instance at once)', () => {
  it('an instance CreateFleet returned but DescribeInstances does not show yet counts as alive, and the teardown terminates it', async () => {
    const ec2 = mockClient(EC2Client);
    try {
      ec2.onAnyCommand().resolves({});
      ec2.on(CreateLaunchTemplateCommand).resolves({ LaunchTemplate: { LaunchTemplateId: 'lt-1' } });
      ec2.on(CreateFleetCommand).resolves({ FleetId: 'fleet-1', Instances: [{ InstanceIds: ['i-1', 'i-2'], InstanceType: 'm6i.large' }] });
      ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1', State: { Name: 'running' } }] }] });
      const f = new Ec2Fleet({ client: new EC2Client({ region: 'us-east-1' }), logs, ...OPTIONS, subnets: [], log });
      await f.start();
      await f.refresh();
      expect(f.alive).toBe(2);
      await f.stop();
      expect(ec2.commandCalls(TerminateInstancesCommand)[0]?.args[0].input.InstanceIds?.sort()).toEqual(['i-1', 'i-2']);
    } finally {
      ec2.restore();
    }
  });
});
