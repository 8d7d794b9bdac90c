/**
 * `npm run fuzz -- --seconds N --seed S`: mutates real and generated WARC/WAT/WET files and reads every mutant with the
 * real reader in a child process the harness watches (deadline, memory); prints what was read and what was found.
 * `--replay DIR` reads saved reproducers instead. See options.ts for the flags and the exit codes.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { USAGE, UsageError, parseFuzzArgs } from './options.js';
import { formatReport } from './report.js';
import { FuzzExitCode } from '../exit-codes.js';
import { runFuzz, runReplay } from './run.js';

export { MUTATION_KINDS, mutantAt, type Mutant, type MutationKind } from './mutants.js';
export { FINDING_KINDS, type FindingKind } from './protocol.js';
export type { FuzzReport, Finding } from './report.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');

/** Runs the command; returns the exit code (0 no findings, 1 findings, 2 usage error, 3 the harness failed). */
export async function main(args: readonly string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<FuzzExitCode> {
  let options: ReturnType<typeof parseFuzzArgs>;
  try {
    options = parseFuzzArgs(args, ROOT);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`fuzz: ${e.message}\n${USAGE}\n`);
    return FuzzExitCode.Usage;
  }
  if (options === 'help') {
    out.write(`${USAGE}\n`);
    return FuzzExitCode.NoFindings;
  }
  const ctx = { childModule: path.join(HERE, 'child.js'), log: (line: string) => err.write(`[fuzz] ${line}\n`) };
  try {
    const report = options.mode === 'replay' ? await runReplay(options, ctx) : await runFuzz(options, ctx);
    out.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.findings.length > 0 ? FuzzExitCode.Findings : FuzzExitCode.NoFindings;
  } catch (e) {
    err.write(`fuzz: the harness failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return FuzzExitCode.HarnessFailed;
  }
}

const invoked = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invoked) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`fuzz: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = FuzzExitCode.HarnessFailed;
    },
  );
}
