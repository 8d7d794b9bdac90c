/**
 * podman for the container test, every call with the containers.conf that scripts/container-base.sh wrote for this
 * machine; and the commands it runs, with their output and duration.
 */
import { spawn } from 'node:child_process';
import { childEnv } from '../../src/config/index.js';
import { startProcess, type RunningCli } from './cli.js';

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly millis: number;
}

/** Runs a command to its end (killed after `timeoutMillis`). */
export function exec(command: string, args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMillis?: number } = {}): Promise<Ran> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMillis ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, millis: Date.now() - t0 });
    });
  });
}

export class Podman {
  constructor(private readonly conf: string) {}

  get env(): Record<string, string> {
    return { CONTAINERS_CONF: this.conf };
  }

  /** `podman <args>` to its end. */
  run(args: string[], timeoutMillis?: number): Promise<Ran> {
    return exec('podman', args, { env: this.env, ...(timeoutMillis === undefined ? {} : { timeoutMillis }) });
  }

  /** `podman <args>` to its end; throws with its stderr unless it exits 0. */
  async ok(args: string[], timeoutMillis?: number): Promise<string> {
    const r = await this.run(args, timeoutMillis);
    if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
    return r.stdout;
  }

  /** A long-running `podman <args>` (an attached `podman run`), its stderr watched line by line. */
  start(args: string[]): RunningCli {
    return startProcess('podman', args, this.env);
  }
}
