/**
 * The fleet's user-data (src/fleet/user-data.ts), run rather than read (issue 14): bash executes it in a mount namespace
 * of its own (its /run is a fresh tmpfs, so /run/wikireverse is the script's alone), with stand-ins for curl, aws,
 * systemctl, docker and shutdown first on PATH that record what they are asked and answer as an instance would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { renderUserData } from '../../src/fleet/index.js';
import { tempDir } from '../helpers/fixtures.js';
import { exec } from '../helpers/cli.js';

const SECRET = "redis://:hu'nt$er2@10.0.0.5:6379";
const IMAGE = '123.dkr.ecr.us-east-1.amazonaws.com/wikireverse:1';
const TOOLS = ['curl', 'aws', 'systemctl', 'docker', 'shutdown'];

/** What a stand-in was asked, and for `docker run`, the env file it was given as it found it. */
interface Call { name: string; args: string[]; envFile?: { content: string; mode: string; dirMode: string } }

const STUB = `const fs = require('fs'), path = require('path');
const [log, name, ...args] = process.argv.slice(2);
const call = { name, args };
let out = '', code = 0;
if (name === 'curl') {
  const url = args.find((a) => a.startsWith('http://169.254.169.254/'));
  if (url === 'http://169.254.169.254/latest/api/token' && args.includes('PUT')) out = 'TOKEN-UD';
  else if (url === 'http://169.254.169.254/latest/meta-data/placement/region' && args.includes('X-aws-ec2-metadata-token: TOKEN-UD')) out = 'eu-west-3';
  else code = 22;
}
if (name === 'aws') out = ${JSON.stringify(SECRET)} + '\\n';
if (name === 'docker' && args[0] === 'run') {
  const f = args[args.indexOf('--env-file') + 1];
  call.envFile = { content: fs.readFileSync(f, 'utf8'), mode: (fs.statSync(f).mode & 0o777).toString(8), dirMode: (fs.statSync(path.dirname(f)).mode & 0o777).toString(8) };
  code = 3; // the worker container failed: the instance shuts down all the same
}
fs.appendFileSync(log, JSON.stringify(call) + '\\n');
process.stdout.write(out);
process.exit(code);
`;

let dir: string;
let script: string;

beforeAll(async () => {
  dir = await tempDir('user-data');
  const stubs = path.join(dir, 'bin');
  await fsp.mkdir(stubs);
  await fsp.writeFile(path.join(dir, 'stub.cjs'), STUB);
  for (const tool of TOOLS) {
    await fsp.writeFile(path.join(stubs, tool), `#!/bin/sh\nexec '${process.execPath}' '${path.join(dir, 'stub.cjs')}' '${path.join(dir, 'calls.jsonl')}' ${tool} "$@"\n`, { mode: 0o755 });
  }
  script = path.join(dir, 'user-data.sh');
  await fsp.writeFile(script, renderUserData({
    runId: 'run-42', image: IMAGE, redisParam: '/wikireverse/redis-url', concurrency: 2, healthPort: 9464, idleExitSecs: 120,
    env: { WIKIREVERSE_LOG_LEVEL: 'debug', WIKIREVERSE_NOTE: "it's $HOME `id`" },
  }), { mode: 0o755 });
});

afterAll(async () => {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

describe("the fleet's user-data", () => {
  it('is valid bash', async () => {
    const r = await exec('bash', ['-n', script]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('reads the Redis URL from SSM in the instance region, hands it to the worker container in a 0600 file only, runs the image for the run, then shuts the instance down', async (ctx) => {
    // A mount namespace of its own (as root; otherwise as root of a user namespace too): /run is a fresh tmpfs there.
    const userns = process.getuid?.() === 0 ? [] : ['--map-root-user'];
    const probe = await exec('unshare', [...userns, '--mount', '--propagation', 'private', 'true']).catch((err: Error) => ({ code: -1, stderr: err.message }));
    if (probe.code !== 0) console.warn(`user-data run skipped: unshare cannot make a mount namespace here (${probe.stderr.trim()})`);
    ctx.skip(probe.code !== 0, 'unshare cannot make a mount namespace here');
    const r = await exec('unshare', [...userns, '--mount', '--propagation', 'private', 'bash', '-c',
      'mount -t tmpfs tmpfs /run && PATH="$STUBS:$PATH" exec bash "$0"', script], { env: { STUBS: path.join(dir, 'bin') } });
    expect(r.code, r.stderr).toBe(0);
    const calls = (await fsp.readFile(path.join(dir, 'calls.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Call);
    expect(calls.map((c) => [c.name, ...c.args].join(' '))).toEqual([
      'curl -sf -X PUT http://169.254.169.254/latest/api/token -H X-aws-ec2-metadata-token-ttl-seconds: 300',
      'curl -sf -H X-aws-ec2-metadata-token: TOKEN-UD http://169.254.169.254/latest/meta-data/placement/region',
      'aws ssm get-parameter --region eu-west-3 --name /wikireverse/redis-url --with-decryption --query Parameter.Value --output text',
      'systemctl start docker',
      `docker pull ${IMAGE}`,
      `docker run --name wikireverse-worker --env-file /run/wikireverse/worker.env --stop-timeout 110 -p 9464:9464 ${IMAGE} --run run-42 --concurrency 2 --health-port 9464 --exit-when-idle 120`,
      'shutdown -h now',
    ]);
    const run = calls.find((c) => c.name === 'docker' && c.args[0] === 'run') as Call;
    expect(run.envFile).toEqual({
      content: `WIKIREVERSE_REDIS_URL=${SECRET}\nWIKIREVERSE_IMDS_URL=http://169.254.169.254\nWIKIREVERSE_LOG_LEVEL=debug\nWIKIREVERSE_NOTE=it's $HOME \`id\`\n`,
      mode: '600', dirMode: '700',
    });
    // The secret went through the file only: on no command line, and not echoed by the script.
    expect(calls.flatMap((c) => c.args).some((a) => a.includes('hu\'nt'))).toBe(false);
    expect(r.stdout + r.stderr).not.toContain("hu'nt");
  });
});
