/**
 * The `wikireverse` command line. `main(args, io)` parses and runs one command and resolves to its exit code,
 * so tests call it directly; its exit codes are decided in `../exit-codes.ts`. One file per command in `commands/`.
 */
import { Command, CommanderError } from 'commander';
import { jobRegistry, DEFAULT_JOB } from '../../jobs/index.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { UsageError, type CliIO } from './io.js';
import { interruptOnClosedPipes, type CommandContext } from './context.js';
import { registerExtract } from './commands/extract.js';
import { registerRun } from './commands/run.js';
import { registerWorker } from './commands/worker.js';
import { registerStatus } from './commands/status.js';
import { registerCancel } from './commands/cancel.js';
import { registerReport } from './commands/report.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerFleet } from './commands/fleet.js';
import { registerCost } from './commands/cost.js';
import { registerEstimate } from './commands/estimate.js';
import { registerRuns } from './commands/runs.js';
import { registerClean } from './commands/clean.js';
import { ExitCode } from '../exit-codes.js';

export const VERSION = '0.1.0';

/** The pointer printed under every usage error (one line of error, one of pointer; no usage dump). */
const HELP_HINT = '(wikireverse <command> --help shows the usage)';

const COMMANDS = [registerExtract, registerRun, registerWorker, registerStatus, registerCancel, registerReport, registerDashboard, registerFleet, registerCost, registerEstimate, registerRuns, registerClean];

export async function main(args: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr }): Promise<ExitCode> {
  if (io.stdout === process.stdout) interruptOnClosedPipes();
  let exitCode: ExitCode = ExitCode.Ok;
  try {
    const ctx: CommandContext = { io, config: loadConfig(), jobs: jobRegistry, defaultJob: DEFAULT_JOB, setExit: (c) => (exitCode = c) };
    const program = new Command('wikireverse')
      .description('Reverse link graph of Wikipedia from Common Crawl WAT/WARC files')
      .version(VERSION)
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
      .exitOverride()
      .showHelpAfterError(HELP_HINT);
    for (const register of COMMANDS) register(program, ctx);
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    if (err instanceof ConfigError) {
      io.stderr.write(`error: ${err.message}\n`); // a setting, not a flag: --help would not show the mistake
      return ExitCode.Usage;
    }
    if (err instanceof UsageError) {
      io.stderr.write(`error: ${err.message}\n${HELP_HINT}\n`);
      return ExitCode.Usage;
    }
    io.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.Failed;
  }
}
