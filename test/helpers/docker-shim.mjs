/**
 * `docker` on a simulated fleet instance (test/helpers/instance-sim.ts): the user-data's docker commands, run by podman.
 * What differs from a real instance, and only that, is translated:
 *  - the image's ECR registry host is the suite's local registry (SIM_REGISTRY, plain HTTP: --tls-verify=false);
 *  - the instances of the simulation share the host's network: `run` uses it (no -p), its health port is a free one,
 *    and the container's metadata service is the instance's stand-in (SIM_IMDS_URL) instead of 169.254.169.254;
 *  - podman has no awslogs log driver: the container's output is sent to the CloudWatch Logs group and stream the
 *    `--log-opt`s name (moto), as Docker's driver does, and copied to this process's stdout.
 * Environment: SIM_REGISTRY, SIM_IMDS_URL, SIM_INSTANCE_ID, CONTAINERS_CONF, AWS_ENDPOINT_URL and credentials.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';

const [verb, ...args] = process.argv.slice(2);
const { SIM_REGISTRY, SIM_IMDS_URL, SIM_INSTANCE_ID } = process.env;
const mapHost = (host) => (/\.dkr\.ecr\./.test(host) ? SIM_REGISTRY : host);
const mapImage = (image) => {
  const [host, ...rest] = image.split('/');
  return [mapHost(host), ...rest].join('/');
};

function podman(podmanArgs, stdio = 'inherit') {
  return spawn('podman', podmanArgs, { stdio });
}

function exitWith(child) {
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
}

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

if (verb === 'login') {
  const user = args[args.indexOf('--username') + 1];
  exitWith(podman(['login', '--tls-verify=false', '--username', user, '--password-stdin', mapHost(args.at(-1))], ['inherit', 'inherit', 'inherit']));
} else if (verb === 'pull') {
  exitWith(podman(['pull', '--tls-verify=false', '--quiet', mapImage(args[0])]));
} else if (verb === 'run') {
  const opts = [];
  const logOpts = {};
  let i = 0;
  for (; i < args.length && args[i].startsWith('-'); i++) {
    const a = args[i];
    const v = args[i + 1];
    if (a === '--name') opts.push('--name', `wikireverse-worker-${SIM_INSTANCE_ID}`);
    else if (a === '-p' || a === '--log-driver') { /* host network; the log driver is emulated here */ }
    else if (a === '--log-opt') logOpts[v.slice(0, v.indexOf('='))] = v.slice(v.indexOf('=') + 1);
    else if (a === '--env-file' || a === '--stop-timeout' || a === '--security-opt') opts.push(a, v);
    else throw new Error(`docker-shim: run option ${a} not simulated`);
    i++;
  }
  const image = mapImage(args[i]);
  const workerArgs = args.slice(i + 1);
  const health = workerArgs.indexOf('--health-port');
  if (health !== -1) workerArgs[health + 1] = String(await freePort());
  const child = podman([
    'run', '--rm', '--network', 'host', ...opts, '-e', `WIKIREVERSE_IMDS_URL=${SIM_IMDS_URL}`, '-e', `AWS_EC2_METADATA_SERVICE_ENDPOINT=${SIM_IMDS_URL}`,
    image, ...workerArgs,
  ], ['ignore', 'pipe', 'pipe']);
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => child.kill(sig));
  const logs = new CloudWatchLogsClient({ region: logOpts['awslogs-region'] });
  const group = logOpts['awslogs-group'];
  const stream = logOpts['awslogs-stream'];
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })).catch((err) => {
    if (err.name !== 'ResourceAlreadyExistsException') throw err;
  });
  let pending = [];
  let sending = Promise.resolve();
  const flush = () => {
    const batch = pending;
    pending = [];
    if (batch.length > 0) {
      sending = sending.then(() => logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: batch })))
        .catch((err) => process.stderr.write(`docker-shim: PutLogEvents failed: ${err.message}\n`));
    }
    return sending;
  };
  const timer = setInterval(flush, 300);
  const lines = (s) => createInterface({ input: s }).on('line', (line) => {
    process.stdout.write(line + '\n');
    pending.push({ timestamp: Date.now(), message: line });
  });
  lines(child.stdout);
  lines(child.stderr);
  const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1))));
  clearInterval(timer);
  await flush();
  process.exit(code);
} else {
  process.stderr.write(`docker-shim: docker ${verb} is not simulated\n`);
  process.exit(2);
}
