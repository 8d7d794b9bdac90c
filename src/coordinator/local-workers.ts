/**
 * Local worker processes for a run: N children running `wikireverse worker --run <id>`, each a BullMQ worker.
 * A child that dies while the run is going is replaced (its file is retried by BullMQ's stalled-job check).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log/index.js';

export interface LocalWorkersOptions {
  readonly count: number;
  readonly redisUrl: string;
  readonly runId: string;
  readonly maxRestarts: number;
  readonly log: Logger;
  /** Extra arguments for each `worker` command (e.g. settings). */
  readonly extraArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** The built CLI entry (`dist/cli.js`), which worker children run. */
export function cliEntry(): string {
  const candidate = fileURLToPath(new URL('../../cli.js', import.meta.url));
  if (!fs.existsSync(candidate)) {
    throw new Error(`Cannot find the built CLI at ${candidate}: run \`npm run build\` first`);
  }
  return candidate;
}

export class LocalWorkers {
  private readonly children = new Set<ChildProcess>();
  private stopping = false;
  restarts = 0;

  constructor(private readonly opts: LocalWorkersOptions) {}

  start(): void {
    for (let i = 0; i < this.opts.count; i++) this.spawnOne(i);
  }

  get pids(): number[] {
    return [...this.children].map((c) => c.pid ?? -1);
  }

  private spawnOne(slot: number): void {
    const { opts } = this;
    const args = [cliEntry(), 'worker', '--redis', opts.redisUrl, '--run', opts.runId, ...(opts.extraArgs ?? [])];
    // The IPC channel tells the child when this coordinator dies (it then stops instead of running on as an orphan).
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: opts.env ?? process.env });
    this.children.add(child);
    opts.log.info({ runId: opts.runId, slot, workerPid: child.pid }, 'local worker started');
    child.once('exit', (code, signal) => {
      this.children.delete(child);
      if (this.stopping) return;
      opts.log.warn({ runId: opts.runId, slot, workerPid: child.pid, code, signal }, 'local worker exited unexpectedly');
      if (this.restarts < opts.maxRestarts) {
        this.restarts++;
        this.spawnOne(slot);
      } else {
        opts.log.error({ runId: opts.runId }, `local worker restarts exhausted (${opts.maxRestarts}); continuing with ${this.children.size}`);
      }
    });
  }

  /** Whether any worker process is alive. */
  get alive(): number {
    return this.children.size;
  }

  /** SIGTERM (graceful drain), then SIGKILL after `graceMillis`. */
  async stop(graceMillis = 10_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const t = setTimeout(() => child.kill('SIGKILL'), graceMillis);
            child.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}
