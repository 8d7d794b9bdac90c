/** `wikireverse extract <input>...`: one process, no Redis; rows as JSON lines or TSV on stdout. */
import { once } from 'node:events';
import type { JobDefinition } from '../../job/types.js';
import { Counters, formatHeader, formatRow, scanInput, type OutputFormat } from '../../extract/index.js';
import { openInput } from '../../storage/inputs.js';
import type { IoSession } from '../../storage/io-session.js';
import type { CliIO } from '../io.js';
import { ExitCode, UsageError } from '../../exit-codes.js';
import { inflateFor, type Inflate, type InflateChoice } from '../../warc/index.js';

export interface ExtractOptions {
  readonly inputs: readonly string[];
  readonly job: JobDefinition;
  readonly format: OutputFormat;
  readonly stats: boolean;
  readonly maxRecordBytes: number;
  /** Reads remote inputs (http(s)://, s3://). */
  readonly storage: IoSession;
  /** What inflates the inputs' gzip members (WIKIREVERSE_INFLATE). */
  readonly inflate: InflateChoice;
}

/** Returns the exit code: 0, or 1 when an input could not be read to its end (the others are still processed). */
export async function extractCommand(opts: ExtractOptions, io: CliIO): Promise<ExitCode> {
  let inflate: Inflate;
  try {
    inflate = inflateFor(opts.inflate).inflate;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const total = new Counters();
  let failed = 0;
  const header = formatHeader(opts.format, opts.job.columns);
  if (header) io.stdout.write(header);
  const emit = (row: Parameters<typeof formatRow>[2]): Promise<void> | void => {
    if (!io.stdout.write(formatRow(opts.format, opts.job.columns, row))) {
      return once(io.stdout, 'drain').then(() => undefined);
    }
  };
  for (const input of opts.inputs) {
    try {
      const source = await openInput(input, opts.storage);
      const result = await scanInput(source, opts.job, { inputName: input, maxRecordBytes: opts.maxRecordBytes, inflate }, emit);
      total.merge(result.counters.toJSON());
      total.add(`inputs.${result.kind}`);
      total.add('rows', result.rows);
    } catch (err) {
      failed++;
      total.add('inputs_failed');
      io.stderr.write(`error: ${(err as Error).message}\n`);
    }
  }
  if (opts.stats) io.stderr.write(JSON.stringify(total.toJSON(), null, 2) + '\n');
  return failed > 0 ? ExitCode.Failed : ExitCode.Ok;
}
