/**
 * The local fleet: N child processes running `wikireverse worker --run <id>`, each a BullMQ worker.
 * A child that dies while the run is going is replaced (its file is retried by BullMQ's stalled-job check).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log/index.js';
import type { Fleet, FleetPlan } from './fleet.js';
import { childEnv, WORKER_NODE_FLAGS } from '../config/index.js';

export interface LocalFleetOptions {
  readonly count: number;
  readonly redisUrl: string;
  readonly runId: string;
  readonly maxRestarts: number;
  readonly log: Logger;
  /** Extra arguments for each `worker` command (e.g. settings). */
  readonly extraArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** When > 0, child `i` serves /healthz and /metrics on `healthPortBase + i`. @default 0 (off) */
  readonly healthPortBase?: number;
}

/** A run's workers as `count` local processes (the run's id, Redis and log come when the coordinator makes the fleet). */
export function localFleetPlan(opts: Omit<LocalFleetOptions, 'redisUrl' | 'runId' | 'log'>): FleetPlan {
  return { kind: 'local', maxWorkers: opts.count, create: (run) => new LocalFleet({ ...opts, ...run }) };
}

/** The built CLI entry (`dist/cli.js`), which worker children run. */
export function cliEntry(): string {
  const candidate = fileURLToPath(new URL('../../cli.js', import.meta.url));
  if (!fs.existsSync(candidate)) {
    throw new Error(`Cannot find the built CLI at ${candidate}: run \`npm run build\` first`);
  }
  return candidate;
}

export class LocalFleet implements Fleet {
  readonly kind = 'local' as const;
  private readonly children = new Map<ChildProcess, number>();
  private stopping = false;
  private nextSlot = 0;
  restarts = 0;

  constructor(private readonly opts: LocalFleetOptions) {}

  start(): void {
    for (let i = 0; i < this.opts.count; i++) this.spawnOne(this.nextSlot++);
  }

  get pids(): number[] {
    return [...this.children.keys()].map((c) => c.pid ?? -1);
  }

  private spawnOne(slot: number): void {
    const { opts } = this;
    const health = (opts.healthPortBase ?? 0) > 0 ? ['--health-port', String((opts.healthPortBase ?? 0) + slot)] : ['--health-port', '0'];
    const args = [...WORKER_NODE_FLAGS, cliEntry(), 'worker', '--run', opts.runId, ...health, ...(opts.extraArgs ?? [])];
    // The Redis URL (it may hold a password) goes through the environment, never the command line (`ps` shows that).
    // The IPC channel tells the child when this coordinator dies (it then stops instead of running on as an orphan).
    const env = { ...(opts.env ?? childEnv()), WIKIREVERSE_REDIS_URL: opts.redisUrl };
    // Their own process group: a Ctrl-C on the terminal reaches the coordinator only, which then stops them with one SIGTERM.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env, detached: true });
    this.children.set(child, slot);
    opts.log.info({ runId: opts.runId, slot, workerPid: child.pid }, 'local worker started');
    child.once('exit', (code, signal) => {
      this.children.delete(child);
      if (this.stopping || child.killed) return;
      opts.log.warn({ runId: opts.runId, slot, workerPid: child.pid, code, signal }, 'local worker exited unexpectedly');
      if (this.restarts < opts.maxRestarts) {
        this.restarts++;
        this.spawnOne(slot);
      } else {
        opts.log.error({ runId: opts.runId }, `local worker restarts exhausted (${opts.maxRestarts}); continuing with ${this.children.size}`);
      }
    });
  }

  /** Worker processes alive. */
  get alive(): number {
    return this.children.size;
  }

  /** Starts processes up to `target`, or asks the newest extra ones to drain and exit. */
  async resize(target: number): Promise<void> {
    if (this.stopping) return;
    while (this.children.size < target) this.spawnOne(this.nextSlot++);
    const extra = [...this.children.keys()].filter((c) => !c.killed).slice(target);
    await Promise.all(extra.map((c) => this.stopChild(c, 10_000)));
  }

  private stopChild(child: ChildProcess, graceMillis: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const t = setTimeout(() => child.kill('SIGKILL'), graceMillis);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** SIGTERM (graceful drain), then SIGKILL after `graceMillis`. */
  async stop(graceMillis = 10_000): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.children.keys()].map((child) => this.stopChild(child, graceMillis)));
  }
}
