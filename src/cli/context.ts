/** What every command receives: its output streams, the resolved configuration, the job registry, and a way to set the exit code. */
import { Option } from 'commander';
import type { Config } from '../config/index.js';
import type { JobRegistry } from '../job/index.js';
import type { CliIO } from './io.js';
import { ExitCode } from '../exit-codes.js';

export interface CommandContext {
  readonly io: CliIO;
  readonly config: Config;
  readonly jobs: JobRegistry;
  readonly defaultJob: string;
  setExit(code: ExitCode): void;
}

export function jobOption(ctx: CommandContext): Option {
  return new Option('--job <name>', 'job definition to run').default(ctx.defaultJob).choices([...ctx.jobs.keys()]);
}

/** The interrupt handler of the command running now (`onSignals`), which a closed output pipe calls too. */
let activeInterrupt: (() => void) | undefined;

/**
 * First SIGINT/SIGTERM/SIGHUP (or a closed stdout/stderr pipe) calls `onFirst` (graceful); the second calls
 * `onSecond` when given (a bounded last save, then exit 130), else exits at once with 130; a third always exits at once.
 * Returns an unhook function.
 */
export function onSignals(onFirst: () => void, onSecond?: () => void): () => void {
  let count = 0;
  const handler = (): void => {
    count++;
    if (count === 1) onFirst();
    else if (count === 2 && onSecond) onSecond();
    else process.exit(ExitCode.Interrupted);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, handler);
  activeInterrupt = handler;
  return () => {
    for (const s of signals) process.off(s, handler);
    if (activeInterrupt === handler) activeInterrupt = undefined;
  };
}

/**
 * A reader that goes away (`wikireverse run | head`) is an interrupt, not a crash: the running command stops as on
 * Ctrl-C (once; the run stays resumable), and a command with nothing to save stops quietly. Other stream errors are
 * left to crash loudly.
 */
export function interruptOnClosedPipes(): void {
  let closed = false;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      if (closed) return;
      closed = true;
      if (activeInterrupt) activeInterrupt();
      else process.exit(ExitCode.Ok);
    });
  }
}
