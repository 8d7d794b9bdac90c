/**
 * The fleet's user-data (src/fleet/user-data.ts), run rather than read: bash executes it as root in a mount namespace of
 * its own (fresh tmpfs on /run and /var/log), with the real AWS CLI against moto (SSM, ECR, CloudWatch Logs), real curl
 * against an IMDSv2 stand-in (a shim on PATH sends 169.254.169.254's requests to it), and stand-ins for systemctl,
 * docker and shutdown that record what they are asked. docker's stand-in answers as a registry that requires
 * credentials would: `pull` of an ECR image fails with "no basic auth credentials" unless `docker login` was given the
 * password ECR (moto) hands out. The whole fleet, with podman and a real registry, runs in fleet-sim.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { CloudWatchLogsClient, CreateLogGroupCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { renderUserData, type UserDataOptions } from '../../src/fleet/index.js';
import { runLogGroup, bootStream } from '../../src/fleet/index.js';
import { tempDir } from '../helpers/fixtures.js';
import { exec } from '../helpers/cli.js';
import { AWS_CLI, MOTO_ACCOUNT, startMoto, useMoto, type Moto } from '../helpers/aws.js';

const SECRET = "redis://:hu'nt$er2@10.0.0.5:6379";
const ECR_IMAGE = `${MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/wikireverse:1`;
const INSTANCE = 'i-0123456789abcdef0';
const PARAM = '/wikireverse/redis-url';

/** What a stand-in was asked, and for `docker run`, the env file it was given as it found it. */
interface Call { name: string; args: string[]; envFile?: { content: string; mode: string; dirMode: string } }

const STUB = `const fs = require('fs'), path = require('path');
const [dir, name, ...args] = process.argv.slice(2);
const call = { name, args };
let out = '', err = '', code = 0;
const loggedIn = path.join(dir, 'logged-in');
if (name === 'docker' && args[0] === 'login') {
  const password = fs.readFileSync(0, 'utf8').trim();
  const host = args.at(-1);
  if (args[args.indexOf('--username') + 1] === 'AWS' && password === ${JSON.stringify(`${MOTO_ACCOUNT}-auth-token`)}) fs.appendFileSync(loggedIn, host + '\\n');
  else { err = 'Error response from daemon: login attempt failed: unauthorized'; code = 1; }
}
if (name === 'docker' && args[0] === 'pull') {
  const host = args[1].split('/')[0];
  const auth = fs.existsSync(loggedIn) && fs.readFileSync(loggedIn, 'utf8').split('\\n').includes(host);
  if (process.env.FAIL_PULL) { err = 'Error response from daemon: manifest for ' + args[1] + ' not found: manifest unknown'; code = 1; }
  else if (host.includes('.dkr.ecr.') && !auth) { err = 'Error response from daemon: Head "https://' + host + '/v2/": no basic auth credentials'; code = 1; }
}
if (name === 'docker' && args[0] === 'run') {
  const f = args[args.indexOf('--env-file') + 1];
  call.envFile = { content: fs.readFileSync(f, 'utf8'), mode: (fs.statSync(f).mode & 0o777).toString(8), dirMode: (fs.statSync(path.dirname(f)).mode & 0o777).toString(8) };
  code = Number(process.env.WORKER_EXIT || 0);
}
fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify(call) + '\\n');
process.stdout.write(out);
process.stderr.write(err ? err + '\\n' : '');
process.exit(code);
`;

let dir: string;
let moto: Moto;
let imds: http.Server;
let imdsUrl = '';
let logs: CloudWatchLogsClient;
let namespaces = true;

beforeAll(async () => {
  moto = await startMoto();
  useMoto(moto);
  dir = await tempDir('user-data');
  const stubs = path.join(dir, 'bin');
  await fsp.mkdir(stubs);
  await fsp.writeFile(path.join(dir, 'stub.cjs'), STUB);
  for (const tool of ['systemctl', 'docker', 'shutdown']) {
    await fsp.writeFile(path.join(stubs, tool), `#!/bin/sh\nexec '${process.execPath}' '${path.join(dir, 'stub.cjs')}' "$RUN_DIR" ${tool} "$@"\n`, { mode: 0o755 });
  }
  // curl itself, with the link-local metadata address sent to the stand-in; the AWS CLI from .venv/.
  await fsp.writeFile(path.join(stubs, 'curl'), `#!/bin/bash\nexec /usr/bin/curl "\${@//http:\\/\\/169.254.169.254/$IMDS_URL}"\n`, { mode: 0o755 });
  await fsp.writeFile(path.join(stubs, 'aws'), `#!/bin/sh\nexec '${AWS_CLI}' "$@"\n`, { mode: 0o755 });
  imds = http.createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token' && req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return void res.writeHead(200).end('TOKEN-UD');
    if (req.headers['x-aws-ec2-metadata-token'] !== 'TOKEN-UD') return void res.writeHead(401).end();
    if (req.url === '/latest/meta-data/placement/region') return void res.writeHead(200).end('us-east-1');
    if (req.url === '/latest/meta-data/instance-id') return void res.writeHead(200).end(INSTANCE);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => imds.listen(0, '127.0.0.1', () => r()));
  imdsUrl = `http://127.0.0.1:${(imds.address() as AddressInfo).port}`;
  await exec(AWS_CLI, ['ssm', 'put-parameter', '--name', PARAM, '--type', 'SecureString', '--value', SECRET], { env: moto.env }).then((r) => {
    if (r.code !== 0) throw new Error(r.stderr);
  });
  logs = new CloudWatchLogsClient({ region: 'us-east-1' });
  const userns = process.getuid?.() === 0 ? [] : ['--map-root-user'];
  const probe = await exec('unshare', [...userns, '--mount', '--propagation', 'private', 'true']).catch((err: Error) => ({ code: -1, stderr: err.message }));
  if (probe.code !== 0) {
    namespaces = false;
    console.warn(`user-data runs skipped: unshare cannot make a mount namespace here (${probe.stderr.trim()})`);
  }
});

afterAll(async () => {
  imds?.close();
  await moto?.stop();
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

let boots = 0;
/** Runs the user-data of `o` to its end on a fresh "instance"; what the stand-ins were asked and the boot log's events. */
async function boot(o: Partial<UserDataOptions>, env: Record<string, string> = {}): Promise<{ code: number | null; out: string; calls: Call[]; commands: string[]; reported: string[] }> {
  const runId = `run-${++boots}`;
  await logs.send(new CreateLogGroupCommand({ logGroupName: runLogGroup(runId) })); // as the coordinator does before launching
  const runDir = path.join(dir, runId);
  await fsp.mkdir(runDir);
  const script = path.join(runDir, 'user-data.sh');
  await fsp.writeFile(script, renderUserData({
    runId, image: ECR_IMAGE, redisParam: PARAM, concurrency: 2, healthPort: 9464, idleExitSecs: 120,
    env: { WIKIREVERSE_NO_PROGRESS_SECS: '77', WIKIREVERSE_NOTE: "it's $HOME `id`" }, ...o,
  }), { mode: 0o755 });
  const userns = process.getuid?.() === 0 ? [] : ['--map-root-user'];
  const r = await exec('unshare', [...userns, '--mount', '--propagation', 'private', 'bash', '-c',
    'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/log && PATH="$STUBS:$PATH" exec bash "$0"', script],
  { env: { STUBS: path.join(dir, 'bin'), RUN_DIR: runDir, IMDS_URL: imdsUrl, ...moto.env, ...env } });
  const calls = (await fsp.readFile(path.join(runDir, 'calls.jsonl'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call);
  const events = await logs.send(new GetLogEventsCommand({ logGroupName: runLogGroup(runId), logStreamName: bootStream(INSTANCE) })).catch(() => ({ events: [] }));
  return {
    code: r.code, out: r.stdout + r.stderr, calls, commands: calls.map((c) => [c.name, ...c.args].join(' ')),
    reported: (events.events ?? []).map((e) => e.message ?? ''),
  };
}

describe("the fleet's user-data", () => {
  it('is valid bash', async () => {
    await fsp.writeFile(path.join(dir, 'syntax.sh'), renderUserData({ runId: 'r', image: ECR_IMAGE, redisParam: PARAM, concurrency: 1, healthPort: 1, idleExitSecs: 1 }));
    const r = await exec('bash', ['-n', path.join(dir, 'syntax.sh')]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('reads the Redis URL from SSM in the instance region, logs in to ECR with its token, pulls, hands the secret to the container in a 0600 file only, runs the image with its log to the run\'s group, then shuts down', async (ctx) => {
    ctx.skip(!namespaces, 'unshare cannot make a mount namespace here');
    const r = await boot({});
    expect(r.code, r.out).toBe(0);
    expect(r.commands).toEqual([
      'systemctl start docker',
      `docker login --username AWS --password-stdin ${MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`,
      `docker pull ${ECR_IMAGE}`,
      `docker run --name wikireverse-worker --security-opt no-new-privileges --env-file /run/wikireverse/worker.env --stop-timeout 110 -p 9464:9464 --log-driver awslogs --log-opt awslogs-region=us-east-1 --log-opt awslogs-group=/wikireverse/run-1 --log-opt awslogs-stream=${INSTANCE}/worker ${ECR_IMAGE} --run run-1 --concurrency 2 --health-port 9464 --exit-when-idle 120`,
      'shutdown -h now',
    ]);
    const run = r.calls.find((c) => c.name === 'docker' && c.args[0] === 'run') as Call;
    // The worker settings the coordinator rendered reach the worker's environment as given (quotes and all).
    expect(run.envFile).toEqual({
      content: `WIKIREVERSE_REDIS_URL=${SECRET}\nWIKIREVERSE_IMDS_URL=http://169.254.169.254\nWIKIREVERSE_INSTANCE_ID=${INSTANCE}\nWIKIREVERSE_NO_PROGRESS_SECS=77\nWIKIREVERSE_NOTE=it's $HOME \`id\`\n`,
      mode: '600', dirMode: '700',
    });
    // The secret went through the file only: on no command line, not echoed, not in the boot log.
    expect(r.calls.flatMap((c) => c.args).some((a) => a.includes('hu\'nt'))).toBe(false);
    expect(r.out).not.toContain("hu'nt");
    expect(r.reported).toEqual(['wikireverse: image pulled; worker container starting']);
  });

  it('an image outside ECR is pulled without a login (an ECR one only after it: the registry stand-in refuses it otherwise)', async (ctx) => {
    ctx.skip(!namespaces, 'unshare cannot make a mount namespace here');
    const other = await boot({ image: 'ghcr.io/example/wikireverse:1' });
    expect(other.code, other.out).toBe(0);
    expect(other.commands.filter((c) => c.startsWith('docker login'))).toEqual([]);
    expect(other.commands).toContain('docker run --name wikireverse-worker --security-opt no-new-privileges --env-file /run/wikireverse/worker.env --stop-timeout 110 -p 9464:9464 --log-driver awslogs --log-opt awslogs-region=us-east-1 --log-opt awslogs-group=/wikireverse/run-2 --log-opt awslogs-stream=i-0123456789abcdef0/worker ghcr.io/example/wikireverse:1 --run run-2 --concurrency 2 --health-port 9464 --exit-when-idle 120');
  });

  it('any failure before the worker runs shuts the instance down, after writing the step and its output to the run\'s log group', async (ctx) => {
    ctx.skip(!namespaces, 'unshare cannot make a mount namespace here');
    // The pull fails (a registry outage, a wrong tag).
    const pull = await boot({}, { FAIL_PULL: '1' });
    expect(pull.commands.at(-1)).toBe('shutdown -h now');
    expect(pull.commands.some((c) => c.startsWith('docker run'))).toBe(false);
    expect(pull.reported).toHaveLength(1);
    expect(pull.reported[0]).toMatch(/^wikireverse: failed at step pull \(exit 1\); last output: .*manifest unknown/);
    // The parameter does not exist (or the role may not read it).
    const ssm = await boot({ redisParam: '/wikireverse/missing' });
    expect(ssm.commands).toEqual(['shutdown -h now']);
    expect(ssm.reported[0]).toMatch(/^wikireverse: failed at step redis-url \(exit \d+\); last output: .*ParameterNotFound/);
    // The metadata service does not answer: nothing reaches the log group, the console has it, and the instance stops.
    const metadata = await boot({}, { IMDS_URL: 'http://127.0.0.1:9' });
    expect(metadata.commands).toEqual(['shutdown -h now']);
    expect(metadata.out).toMatch(/failed at step metadata/);
    // The worker container fails at start: the instance shuts down all the same, and says why.
    const worker = await boot({}, { WORKER_EXIT: '3' });
    expect(worker.commands.at(-1)).toBe('shutdown -h now');
    expect(worker.reported.at(-1)).toMatch(/^wikireverse: failed at step worker \(exit 3\)/);
  });
});
