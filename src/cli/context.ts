/** What every command receives: its output streams, the resolved configuration, the job registry, and a way to set the exit code. */
import { Option } from 'commander';
import type { Config } from '../config/index.js';
import type { JobRegistry } from '../job/index.js';
import type { CliIO } from './io.js';

export interface CommandContext {
  readonly io: CliIO;
  readonly config: Config;
  readonly jobs: JobRegistry;
  readonly defaultJob: string;
  setExit(code: number): void;
}

export function jobOption(ctx: CommandContext): Option {
  return new Option('--job <name>', 'job definition to run').default(ctx.defaultJob).choices([...ctx.jobs.keys()]);
}

/** First SIGINT/SIGTERM calls `onFirst` (graceful); the second exits at once with 130. Returns an unhook function. */
export function onSignals(onFirst: () => void): () => void {
  let count = 0;
  const handler = (): void => {
    count++;
    if (count === 1) onFirst();
    else process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
