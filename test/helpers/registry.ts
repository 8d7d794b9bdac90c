/**
 * A container registry that requires credentials, on loopback: Debian's docker-registry (the Distribution registry v2)
 * with htpasswd auth (bcrypt, htpasswd from apache2-utils), as ECR requires a login. scripts/container-base.sh installs both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { exec } from './cli.js';
import { freePort } from './redis.js';

export interface TestRegistry {
  /** host:port, e.g. 127.0.0.1:5123 (plain HTTP: podman needs --tls-verify=false). */
  readonly host: string;
  stop(): Promise<void>;
}

export async function startRegistry(dir: string, user: string, password: string): Promise<TestRegistry> {
  await fsp.mkdir(path.join(dir, 'data'), { recursive: true });
  const pw = await exec('htpasswd', ['-Bbn', user, password]);
  if (pw.code !== 0) throw new Error(`htpasswd failed: ${pw.stderr}`);
  await fsp.writeFile(path.join(dir, 'htpasswd'), pw.stdout, { mode: 0o600 });
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  await fsp.writeFile(config, [
    'version: 0.1',
    'log: { level: warn }',
    `storage: { filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'data'))} }, delete: { enabled: true } }`,
    `http: { addr: "127.0.0.1:${port}" }`,
    `auth: { htpasswd: { realm: wikireverse-test, path: ${JSON.stringify(path.join(dir, 'htpasswd'))} } }`,
    '',
  ].join('\n'));
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode}: ${stderr}`);
    // Up, and refusing a request without credentials.
    const status = await fetch(`http://${host}/v2/`).then((r) => r.status, () => 0);
    if (status === 401) break;
    if (status !== 0) throw new Error(`docker-registry answered /v2/ without credentials with ${status}, not 401`);
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${host} within 30 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
