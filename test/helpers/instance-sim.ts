/**
 * Simulated EC2 instances for the fleet tests. The simulator watches the stand-in EC2 (moto) for the instances of a run
 * and, for each one that is running, boots a simulated host that runs the instance's real user-data, decoded from the
 * run's launch template, as root in a mount namespace of its own (/run/wikireverse and /var/log are the host's own
 * directories), with:
 *  - its own IMDSv2 stand-in: token, region, instance id, the instance role's credentials, and on demand a spot
 *    `instance-action` notice and a rebalance recommendation (curl on its PATH sends 169.254.169.254 there);
 *  - the real AWS CLI (.venv) against moto; `docker` that runs podman (docker-shim.mjs) against the suite's registry;
 *  - `shutdown` that terminates the instance in moto, as `InstanceInitiatedShutdownBehavior: terminate` does.
 * An instance that EC2 terminates (the fleet's teardown, a spot interruption) has its container and user-data killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fsp from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { DescribeInstancesCommand, DescribeLaunchTemplateVersionsCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { RUN_TAG } from '../../src/fleet/index.js';
import { AWS_CLI, type Moto } from './aws.js';
import { ROOT } from './cli.js';
import type { Podman } from './podman.js';

export interface SimOptions {
  readonly runId: string;
  readonly moto: Moto;
  readonly podman: Podman;
  /** host:port of the registry that stands in for the image's ECR registry. */
  readonly registry: string;
  /** Where the simulated hosts keep their files. */
  readonly dir: string;
  /** The instance role's credentials, as the metadata service hands them out. */
  readonly role: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** @default 300 */
  readonly pollMillis?: number;
}

export interface SimHost {
  readonly instanceId: string;
  readonly imdsUrl: string;
  /** Everything the user-data (and through docker, the worker container) wrote. */
  output: string;
  /** When the user-data ended (the instance shut itself down, or EC2 terminated it). */
  readonly ended: Promise<number | null>;
  notice: { action: string; time: string } | null;
  rebalance: boolean;
}

interface Host extends SimHost {
  server: http.Server;
  proc: ChildProcess;
  gone: boolean;
}

export class InstanceSim {
  private readonly hosts = new Map<string, Host>();
  private readonly ec2 = new EC2Client({ region: 'us-east-1' });
  private timer: NodeJS.Timeout | undefined;
  private polling = Promise.resolve();
  private readonly waiters: Array<{ pred: (line: string, host: SimHost) => boolean; resolve: (v: { line: string; host: SimHost }) => void }> = [];

  constructor(private readonly o: SimOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.polling = this.polling.then(() => this.poll()).catch((err: unknown) => console.warn(`instance-sim: ${(err as Error).message}`));
    }, this.o.pollMillis ?? 300);
  }

  /** Hosts booted so far, by instance id. */
  get booted(): ReadonlyMap<string, SimHost> {
    return this.hosts;
  }

  /** Resolves with the first line any host prints that matches `pred` (lines printed already count). */
  waitForLine(pred: (line: string, host: SimHost) => boolean, timeoutMillis: number): Promise<{ line: string; host: SimHost }> {
    for (const h of this.hosts.values()) {
      const line = h.output.split('\n').find((l) => pred(l, h));
      if (line !== undefined) return Promise.resolve({ line, host: h });
    }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`instance-sim: no such line within ${timeoutMillis} ms; hosts:\n${this.describe()}`)), timeoutMillis);
      this.waiters.push({ pred, resolve: (v) => (clearTimeout(t), resolve(v)) });
    });
  }

  describe(): string {
    return [...this.hosts.values()].map((h) => `--- ${h.instanceId}${h.gone ? ' (gone)' : ''}\n${h.output.slice(-3000)}`).join('\n');
  }

  /**
   * A spot interruption: the notice now (and a rebalance recommendation), the instance terminated by EC2 after
   * `graceMillis` (two minutes on AWS) unless it shut itself down first.
   */
  interrupt(instanceId: string, graceMillis: number): void {
    const h = this.hosts.get(instanceId);
    if (!h) throw new Error(`instance-sim: no host for ${instanceId}`);
    h.rebalance = true;
    h.notice = { action: 'terminate', time: new Date(Date.now() + graceMillis).toISOString() };
    setTimeout(() => void this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })).catch(() => undefined), graceMillis).unref();
  }

  private async poll(): Promise<void> {
    const res = await this.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${RUN_TAG}`, Values: [this.o.runId] }] }));
    for (const i of (res.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      const id = i.InstanceId as string;
      const state = i.State?.Name ?? '';
      const h = this.hosts.get(id);
      if (!h && (state === 'running' || state === 'pending')) await this.boot(id);
      else if (h && !h.gone && (state === 'shutting-down' || state === 'terminated')) await this.halt(h);
    }
  }

  private async boot(instanceId: string): Promise<void> {
    const o = this.o;
    const versions = await this.ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: `wikireverse-${o.runId}`, Versions: ['$Latest'] }));
    const userData = Buffer.from(versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData ?? '', 'base64').toString('utf8');
    const hostDir = path.join(o.dir, instanceId);
    const bin = path.join(hostDir, 'bin');
    await fsp.mkdir(bin, { recursive: true });
    await fsp.mkdir(path.join(hostDir, 'run'), { mode: 0o700 });
    await fsp.mkdir(path.join(hostDir, 'log'));
    await fsp.mkdir('/run/wikireverse', { recursive: true, mode: 0o700 });
    await fsp.writeFile(path.join(hostDir, 'user-data.sh'), userData, { mode: 0o700 });
    const tools: Record<string, string> = {
      curl: `#!/bin/bash\nexec /usr/bin/curl "\${@//http:\\/\\/169.254.169.254/$SIM_IMDS_URL}"\n`,
      aws: `#!/bin/sh\nexec '${AWS_CLI}' "$@"\n`,
      systemctl: '#!/bin/sh\nexit 0\n',
      docker: `#!/bin/sh\nexec '${process.execPath}' '${path.join(ROOT, 'test/helpers/docker-shim.mjs')}' "$@"\n`,
      // InstanceInitiatedShutdownBehavior: terminate.
      shutdown: `#!/bin/sh\nexec '${AWS_CLI}' ec2 terminate-instances --region us-east-1 --instance-ids "$SIM_INSTANCE_ID" >/dev/null\n`,
    };
    for (const [name, body] of Object.entries(tools)) await fsp.writeFile(path.join(bin, name), body, { mode: 0o755 });

    const host = { instanceId, output: '', notice: null, rebalance: false, gone: false } as unknown as Host;
    host.server = http.createServer((req, res) => this.imds(host, req, res));
    await new Promise<void>((r) => host.server.listen(0, '127.0.0.1', () => r()));
    (host as { imdsUrl: string }).imdsUrl = `http://127.0.0.1:${(host.server.address() as AddressInfo).port}`;
    const env = {
      ...process.env, ...o.moto.env, ...o.podman.env, PATH: `${bin}:${process.env.PATH ?? ''}`,
      SIM_IMDS_URL: host.imdsUrl, SIM_INSTANCE_ID: instanceId, SIM_REGISTRY: o.registry,
    };
    host.proc = spawn('unshare', ['--mount', '--propagation', 'private', 'bash', '-c',
      `mount --bind '${hostDir}/run' /run/wikireverse && mount --bind '${hostDir}/log' /var/log && exec bash '${hostDir}/user-data.sh'`],
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const onData = (b: Buffer): void => {
      const before = host.output.length;
      host.output += b.toString();
      const lines = host.output.slice(host.output.lastIndexOf('\n', before) + 1).split('\n');
      for (const line of lines) {
        for (const w of [...this.waiters]) {
          if (w.pred(line, host)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve({ line, host });
          }
        }
      }
    };
    host.proc.stdout?.on('data', onData);
    host.proc.stderr?.on('data', onData);
    (host as { ended: Promise<number | null> }).ended = new Promise((resolve) => host.proc.on('close', (code) => resolve(code)));
    this.hosts.set(instanceId, host);
  }

  private imds(h: Host, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method === 'PUT' && req.url === '/latest/api/token') return void res.writeHead(200).end(`token-${h.instanceId}`);
    if (req.headers['x-aws-ec2-metadata-token'] !== `token-${h.instanceId}`) return void res.writeHead(401).end();
    const role = 'wikireverse-worker';
    const answers: Record<string, string | null> = {
      '/latest/meta-data/placement/region': 'us-east-1',
      '/latest/meta-data/instance-id': h.instanceId,
      '/latest/meta-data/iam/security-credentials/': role,
      [`/latest/meta-data/iam/security-credentials/${role}`]: JSON.stringify({
        Code: 'Success', Type: 'AWS-HMAC', AccessKeyId: this.o.role.accessKeyId, SecretAccessKey: this.o.role.secretAccessKey, Token: 'session-token',
        LastUpdated: new Date().toISOString(), Expiration: new Date(Date.now() + 6 * 3600_000).toISOString(),
      }),
      '/latest/meta-data/spot/instance-action': h.notice ? JSON.stringify(h.notice) : null,
      '/latest/meta-data/events/recommendations/rebalance': h.rebalance ? JSON.stringify({ noticeTime: new Date().toISOString() }) : null,
    };
    const body = answers[req.url ?? ''];
    if (body === undefined || body === null) return void res.writeHead(404).end();
    res.writeHead(200).end(body);
  }

  /** EC2 terminated the instance: its container and user-data go with it. */
  private async halt(h: Host): Promise<void> {
    h.gone = true;
    await this.o.podman.run(['rm', '-f', '-t', '0', `wikireverse-worker-${h.instanceId}`]).catch(() => undefined);
    try {
      if (h.proc.pid) process.kill(-h.proc.pid, 'SIGKILL');
    } catch {
      // ended already
    }
    h.server.close();
  }

  /** Stops watching; halts every host still up. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling;
    for (const h of this.hosts.values()) if (!h.gone) await this.halt(h);
  }
}
