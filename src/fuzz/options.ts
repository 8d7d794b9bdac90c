/** The fuzz command's options: every flag once, with its default and its check. */
import path from 'node:path';
import { parseArgs } from 'node:util';

export const USAGE = `usage: node dist/src/fuzz/index.js [--seconds N | --count N] [--seed S] [options]
       node dist/src/fuzz/index.js --replay DIR [options]
  --seconds N        fuzz for N seconds (default 60 when --count is not given either)
  --count N          stop after N mutants
  --seed S           PRNG seed (0 to 4294967295): the same seed makes the same mutants (default 1)
  --replay DIR       read every file in DIR instead of mutants (saved reproducers as regression inputs)
  --deadline-ms N    time one input may take before it is a hang (default 10000)
  --max-rss-mb N     reader RSS that is a memory finding (default 1024)
  --findings DIR     where reproducers are written (default fuzz-findings)
  --samples DIR      real .gz samples to mutate; repeat for several directories
                     (default test/fixtures/samples and test/fixtures/arc)
  --json             print the report as JSON
exit codes: 0 no findings, 1 findings, 2 usage error, 3 the harness itself failed`;

export interface FuzzOptions {
  /** Fuzzing (mutants) or replaying the files of a directory. */
  readonly mode: 'fuzz' | 'replay';
  /** Seconds to fuzz; undefined: until `count`. */
  readonly seconds: number | undefined;
  /** Mutants to read; undefined: until `seconds`. */
  readonly count: number | undefined;
  readonly seed: number;
  readonly replayDir: string | undefined;
  readonly deadlineMillis: number;
  readonly maxRssMb: number;
  readonly findingsDir: string;
  /** Directories of real `.gz` samples (WARC/WAT/WET and ARC, one gzip member per record). */
  readonly samplesDirs: readonly string[];
  readonly json: boolean;
}

/** A command line that cannot be run: the message says what to change. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function numberOf(flag: string, raw: string | undefined, check: { integer: boolean; min: number; max?: number }): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const max = check.max ?? Number.MAX_SAFE_INTEGER;
  if (raw.trim() === '' || !Number.isFinite(n) || (check.integer && !Number.isInteger(n)) || n < check.min || n > max) {
    const range = check.max === undefined ? `>= ${check.min}` : `from ${check.min} to ${check.max}`;
    throw new UsageError(`--${flag} must be ${check.integer ? 'an integer' : 'a number'} ${range}, got '${raw}'`);
  }
  return n;
}

const FLAGS = {
  seconds: { type: 'string' },
  count: { type: 'string' },
  seed: { type: 'string' },
  replay: { type: 'string' },
  'deadline-ms': { type: 'string' },
  'max-rss-mb': { type: 'string' },
  findings: { type: 'string' },
  samples: { type: 'string', multiple: true },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

function flagsOf(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Parses and checks the command line; `root` is the repository (for the default samples directory). */
export function parseFuzzArgs(args: readonly string[], root: string): FuzzOptions | 'help' {
  const values = flagsOf(args);
  if (values.help) return 'help';
  const seconds = numberOf('seconds', values.seconds, { integer: false, min: 0.1 });
  const count = numberOf('count', values.count, { integer: true, min: 1 });
  const replayDir = values.replay;
  if (replayDir !== undefined && (seconds !== undefined || count !== undefined || values.seed !== undefined)) {
    throw new UsageError('--replay reads the files of a directory once: it takes no --seconds, --count or --seed');
  }
  return {
    mode: replayDir === undefined ? 'fuzz' : 'replay',
    seconds: replayDir === undefined && seconds === undefined && count === undefined ? 60 : seconds,
    count,
    seed: numberOf('seed', values.seed, { integer: true, min: 0, max: 0xffffffff }) ?? 1,
    replayDir,
    deadlineMillis: numberOf('deadline-ms', values['deadline-ms'], { integer: true, min: 100 }) ?? 10_000,
    maxRssMb: numberOf('max-rss-mb', values['max-rss-mb'], { integer: true, min: 64 }) ?? 1024,
    findingsDir: values.findings ?? 'fuzz-findings',
    samplesDirs: values.samples ?? [path.join(root, 'test/fixtures/samples'), path.join(root, 'test/fixtures/arc')],
    json: values.json,
  };
}
