/**
 * The whole EC2 fleet, simulated (test/helpers/instance-sim.ts): `run --fleet ec2 --instances 2` against moto (EC2, SSM,
 * ECR, CloudWatch Logs), a shared redis-server on a non-loopback address, and the S3 stand-in for inputs and outputs.
 * Each instance the fleet launches boots its real user-data: the AWS CLI reads the Redis URL from SSM and logs in to
 * "ECR" (a local registry that refuses pulls without the password moto's ECR hands out), podman pulls the worker image
 * the suite built and runs it, its log goes to the run's log group. A spot notice on the instance reading the big file
 * hands the file back and the fleet is topped up; the output is exact; at the end no instance of the run is running,
 * the launch template is gone, and the cost ledger lists every instance with its lifetime as EC2 reports it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DescribeInstancesCommand, DescribeLaunchTemplatesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { loadConfig } from '../../src/config/index.js';
import { RUN_TAG } from '../../src/fleet/index.js';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { AWS_CLI, MOTO_ACCOUNT, startMoto, useMoto, type Moto } from '../helpers/aws.js';
import { exec, runCli, startCli } from '../helpers/cli.js';
import { keyOf, plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { InstanceSim } from '../helpers/instance-sim.js';
import { readParquet } from '../helpers/parquet.js';
import { Podman } from '../helpers/podman.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { S3_ACCESS_KEY, startS3, type TestS3 } from '../helpers/s3.js';
import { WORKER_IMAGE, ensureWorkerImage } from '../helpers/worker-image.js';

const RUN_ID = 'sim-1';
const ECR_IMAGE = `${MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/wikireverse:1`;
const PARAM = '/wikireverse/redis-url';

let work: string;
let moto: Moto;
let redis: EmbeddedRedis;
let s3: TestS3;
let registry: TestRegistry;
let podman: Podman;
let planted: PlantedSet;
let engine: { ready: boolean; why: string } = { ready: false, why: 'not checked' };

/** An address of this machine the instances reach it by (the fleet refuses a loopback Redis: instances could not). */
function hostAddress(): string | undefined {
  return Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

beforeAll(async () => {
  const mode = loadConfig().containerTest;
  work = await tempDir('fleet-sim');
  podman = new Podman(path.join(work, 'containers.conf'));
  const image = await ensureWorkerImage(podman);
  if (!image.ready) {
    engine = { ready: false, why: image.why };
    if (mode === 'require') throw new Error(`WIKIREVERSE_CONTAINER_TEST=require, but ${engine.why}`);
    return;
  }
  const address = hostAddress();
  if (!address) throw new Error('the fleet simulation needs a non-loopback IPv4 address on this machine (for the shared Redis)');
  const t0 = Date.now();
  moto = await startMoto();
  useMoto(moto);
  [redis, s3, registry] = await Promise.all([
    startRedisServer('redis-server', { bind: address }),
    startS3(path.join(work, 's3rver'), ['cc', 'out']),
    startRegistry(path.join(work, 'registry'), 'AWS', `${MOTO_ACCOUNT}-auth-token`),
  ]);
  // The image, in the registry the instances pull from (as `docker push` to ECR would put it).
  const push = await podman.run(['push', '--tls-verify=false', '--creds', `AWS:${MOTO_ACCOUNT}-auth-token`, WORKER_IMAGE, `${registry.host}/wikireverse:1`], 600_000);
  if (push.code !== 0) throw new Error(`podman push: ${push.stderr}`);
  const put = await exec(AWS_CLI, ['ssm', 'put-parameter', '--name', PARAM, '--type', 'SecureString', '--value', redis.url], { env: moto.env });
  if (put.code !== 0) throw new Error(put.stderr);
  planted = await plant(path.join(work, 'in'), [
    { kind: 'wat', files: 1, pagesPerFile: 20_000, seed: 71, prefix: 'big' },
    { kind: 'warc', files: 4, pagesPerFile: 150, seed: 72, wikiLinkRate: 0.2, prefix: 'small' },
  ]);
  for (const f of planted.files) await s3.put('cc', `crawl/${path.basename(f)}`, await fsp.readFile(f));
  await s3.put('cc', 'crawl/paths.txt', planted.files.map((f) => path.basename(f)).join('\n') + '\n');
  engine = { ready: true, why: '' };
  console.log(`fleet-sim: set-up (image ${image.buildMillis} ms, moto, redis, s3, registry, push, inputs) ${Date.now() - t0} ms after the image`);
}, 60 * 60_000);

afterAll(async () => {
  await moto?.stop();
  await Promise.all([redis?.stop(), s3?.stop(), registry?.stop()]);
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe('run --fleet ec2 on simulated instances', () => {
  it('launches, pulls with credentials, processes every file and the reduce, hands a file back on a spot notice and tops up, and leaves nothing running', async (ctx) => {
    if (!engine.ready) console.warn(`fleet simulation skipped: ${engine.why}`);
    ctx.skip(!engine.ready, engine.why);
    const sim = new InstanceSim({ runId: RUN_ID, moto, podman, registry: registry.host, dir: path.join(work, 'hosts'), role: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: 'test-secret' } });
    sim.start();
    const t0 = Date.now();
    const coordinator = startCli([
      'run', '--fleet', 'ec2', '--instances', '2', '--image', ECR_IMAGE, '--redis-param', PARAM, '--redis', redis.url,
      '--paths', 's3://cc/crawl/paths.txt', '--out', 's3://out/runs', '--run-id', RUN_ID, '--partitions', '2', '--no-progress',
    ], {
      ...moto.env, ...s3.env, WIKIREVERSE_S3_ENDPOINT: s3.endpoint,
      // Settings a worker takes: they must reach the fleet's workers as they reach local ones.
      WIKIREVERSE_IMDS_POLL_MS: '200', WIKIREVERSE_NO_PROGRESS_SECS: '97',
      WIKIREVERSE_FLEET_RESIZE_MS: '1000', WIKIREVERSE_FLEET_EXIT_WHEN_IDLE_SECS: '5', WIKIREVERSE_COST_INTERVAL_MS: '1000',
    });
    try {
      const isLog = (l: string, msg: string, input?: string): boolean => {
        try {
          const j = JSON.parse(l) as { msg?: string; input?: string };
          return j.msg === msg && (input === undefined || (j.input ?? '').endsWith(input));
        } catch {
          return false;
        }
      };
      const big = path.basename(planted.files.find((f) => path.basename(f).startsWith('big')) as string);
      const started = await sim.waitForLine((l) => isLog(l, 'file started', big), 300_000);
      const interrupted = started.host.instanceId;
      sim.interrupt(interrupted, 20_000);
      await sim.waitForLine((l, h) => h.instanceId === interrupted && isLog(l, 'files handed back'), 60_000);
      const res = await coordinator.done;
      expect(res.code, `${res.stderr.slice(-3000)}\n${sim.describe()}`).toBe(0);

      // Exact output.
      const outDir = path.join(work, 'downloaded');
      await s3.download('out', `runs/${RUN_ID}/`, outDir);
      const rows = await readParquet(`${outDir}/runs/${RUN_ID}/links/*.parquet`);
      const want = planted.expected.map((r) => ({ ...r, input_file: `s3://cc/crawl/${path.basename(r.input_file)}` }));
      expect(rows.length).toBe(want.length);
      expect(rows.map(keyOf).sort()).toEqual(want.map((r) => keyOf(r as unknown as Record<string, unknown>)).sort());

      // The spot-interrupted instance was replaced: more instances launched than the fleet's size, and all of them booted.
      const ec2 = new EC2Client({ region: 'us-east-1' });
      const instances = ((await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${RUN_TAG}`, Values: [RUN_ID] }] }))).Reservations ?? [])
        .flatMap((r) => r.Instances ?? []);
      expect(instances.length).toBeGreaterThanOrEqual(3);
      expect(instances.filter((i) => ['pending', 'running'].includes(i.State?.Name ?? ''))).toEqual([]);
      expect(((await ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? []).map((t) => t.LaunchTemplateName)).not.toContain(`wikireverse-${RUN_ID}`);
      // Every instance logged in to the registry with ECR's token before its pull (the registry refuses a pull otherwise).
      const hosts = instances.map((i) => sim.booted.get(i.InstanceId as string));
      for (const h of hosts) expect(h?.output, h?.instanceId).toMatch(/Login Succeeded/);
      // The fleet's two and the top-up (which may come too late for work: then the teardown ends it) were launched.
      expect(hosts.filter((h) => /"msg":"worker ready"/.test(h?.output ?? '')).length).toBeGreaterThanOrEqual(2);

      // The cost ledger lists every instance, with the lifetime EC2 reports.
      const cost = JSON.parse((await s3.get('out', `runs/${RUN_ID}/cost.json`)).toString()) as { instances: Array<{ instanceId: string; instanceType: string; launchedAt: string; terminatedAt: string | null; billedSeconds: number }> };
      expect(cost.instances.map((i) => i.instanceId).sort()).toEqual(instances.map((i) => i.InstanceId).sort());
      for (const i of instances) {
        const c = cost.instances.find((x) => x.instanceId === i.InstanceId);
        expect(c?.instanceType).toBe(i.InstanceType);
        expect(Date.parse(c?.launchedAt ?? '')).toBe(i.LaunchTime?.getTime());
        expect(c?.terminatedAt, i.InstanceId).not.toBeNull(); // every one ended, and the ledger knows when
        expect(c?.billedSeconds).toBeGreaterThanOrEqual(60); // EC2's minimum
      }

      // The settings the coordinator was given reached the fleet's workers, as `fleet logs` shows.
      const logs = await runCli(['fleet', 'logs', RUN_ID, '--json', '--tail', '100000'], moto.env);
      expect(logs.code, logs.stderr).toBe(0);
      const ready = logs.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { stream: string; message: string })
        .filter((l) => l.stream.endsWith('/worker') && l.message.includes('"worker ready"'));
      expect(ready.length).toBeGreaterThanOrEqual(2);
      for (const r of ready) {
        expect(JSON.parse(r.message)).toMatchObject({ settings: { WIKIREVERSE_IMDS_POLL_MS: '200', WIKIREVERSE_NO_PROGRESS_SECS: '97', WIKIREVERSE_S3_ENDPOINT: s3.endpoint } });
      }
      console.log(`fleet-sim: run of ${planted.files.length} files on ${instances.length} simulated instances in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      coordinator.child.kill('SIGKILL');
      await sim.stop();
    }
  }, 900_000);

  it('a worker that cannot start is not relaunched without end: the run fails naming the cause and the last instance\'s boot log, and nothing is left running', async (ctx) => {
    ctx.skip(!engine.ready, engine.why);
    const runId = 'sim-bad';
    const sim = new InstanceSim({ runId, moto, podman, registry: registry.host, dir: path.join(work, 'hosts-bad'), role: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: 'test-secret' } });
    sim.start();
    const t0 = Date.now();
    try {
      // A tag nobody pushed: every instance logs in, fails its pull, says why and shuts itself down.
      const res = await runCli([
        'run', '--fleet', 'ec2', '--instances', '2', '--image', `${MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/wikireverse:missing`, '--redis-param', PARAM,
        '--redis', redis.url, '--paths', 's3://cc/crawl/paths.txt', '--out', 's3://out/runs', '--run-id', runId, '--partitions', '2', '--no-progress',
      ], { ...moto.env, ...s3.env, WIKIREVERSE_S3_ENDPOINT: s3.endpoint, WIKIREVERSE_FLEET_RESIZE_MS: '1000', WIKIREVERSE_FLEET_LAUNCH_BACKOFF_MS: '1000' });
      expect(res.code, res.stderr.slice(-3000)).toBe(1);
      expect(res.stderr).toMatch(/\d instances started but no worker connected; last instance's log \(i-[0-9a-f]+\): wikireverse: failed at step pull \(exit \d+\); last output: .*(manifest unknown|not found)/);
      const ec2 = new EC2Client({ region: 'us-east-1' });
      const instances = ((await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${RUN_TAG}`, Values: [runId] }] }))).Reservations ?? []).flatMap((r) => r.Instances ?? []);
      // Launched in two rounds (the second after a back-off), then no more: 3 failed launches in a row end it.
      expect(instances.length).toBeGreaterThanOrEqual(3);
      expect(instances.length).toBeLessThanOrEqual(4);
      expect(instances.filter((i) => ['pending', 'running'].includes(i.State?.Name ?? ''))).toEqual([]);
      console.log(`fleet-sim: a run whose image cannot be pulled failed after ${instances.length} launches in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } finally {
      await sim.stop();
    }
  }, 600_000);
});
