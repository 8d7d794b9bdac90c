/** Runs the built CLI (`dist/cli.js`) as a child process, as a user would; or any command whose stderr is watched alike. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { childEnv } from '../../src/config/index.js';

// Every test that runs dist/ comes through here: it refuses to run a dist/ built from other sources (test/global-setup.ts).
const distStale = inject('distStale');
if (distStale) throw new Error(distStale);

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/cli.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
  /** Resolves with the first stderr line matching `pred` (parsed as JSON when possible). */
  waitForLine(pred: (line: string) => boolean, timeoutMillis?: number): Promise<string>;
  /** Everything written to stderr so far. */
  stderr(): string;
}

export function startCli(args: string[], env: Record<string, string> = {}): RunningCli {
  return startProcess(process.execPath, [CLI, ...args], env);
}

/** Starts `command` with this process's environment plus `env`, watching its stderr line by line. */
export function startProcess(command: string, args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(command, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ pred: (l: string) => boolean; resolve: (l: string) => void }> = [];
  let partial = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on('data', (b: Buffer) => {
    const s = b.toString();
    stderr += s;
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    stderr: () => stderr,
    waitForLine(pred, timeoutMillis = 60_000) {
      return new Promise((resolve, reject) => {
        const existing = stderr.split('\n').find(pred);
        if (existing) return resolve(existing);
        const t = setTimeout(() => reject(new Error(`timed out waiting for a log line; stderr so far:\n${stderr.slice(-3000)}`)), timeoutMillis);
        waiters.push({ pred, resolve: (l) => { clearTimeout(t); resolve(l); } });
      });
    },
  };
}

export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return startCli(args, env).done;
}

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
