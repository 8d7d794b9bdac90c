/**
 * CLI around the fixture generator:
 *   node dist/scripts/gen-fixtures.js --out DIR --kind wat|warc|arc --files N --pages N --seed S
 *        [--link-rate F] [--page-bytes N] [--plain] [--prefix P] [--gzip-level L]
 * Writes the files, expected.jsonl and listing.txt into DIR, and prints a one-line JSON summary.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { generateFixtures, writeSetManifest } from '../src/fixtures/index.js';
import { ExitCode } from '../src/exit-codes.js';

const USAGE =
  'usage: gen-fixtures --out DIR --kind wat|warc|arc --files N --pages N --seed S ' +
  '[--link-rate F] [--page-bytes N] [--plain] [--prefix P] [--gzip-level L]';

function num(name: string, value: string | undefined, required: boolean): number | undefined {
  if (value === undefined) {
    if (required) throw new Error(`--${name} is required\n${USAGE}`);
    return undefined;
  }
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got '${value}'\n${USAGE}`);
  return n;
}

/** Runs the CLI; returns the exit code. */
export async function main(args: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<ExitCode> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      out: { type: 'string' },
      kind: { type: 'string' },
      files: { type: 'string' },
      pages: { type: 'string' },
      seed: { type: 'string' },
      'link-rate': { type: 'string' },
      'page-bytes': { type: 'string' },
      plain: { type: 'boolean', default: false },
      prefix: { type: 'string' },
      'gzip-level': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    out.write(`${USAGE}\n`);
    return ExitCode.Ok;
  }
  if (values.out === undefined) throw new Error(`--out is required\n${USAGE}`);
  if (values.kind !== 'wat' && values.kind !== 'warc' && values.kind !== 'arc') throw new Error(`--kind must be wat, warc or arc\n${USAGE}`);
  const started = process.hrtime.bigint();
  const set = await generateFixtures({
    outDir: values.out,
    kind: values.kind,
    files: num('files', values.files, true) as number,
    pagesPerFile: num('pages', values.pages, true) as number,
    seed: num('seed', values.seed, true) as number,
    wikiLinkRate: num('link-rate', values['link-rate'], false),
    avgPageBytes: num('page-bytes', values['page-bytes'], false),
    gzipLevel: num('gzip-level', values['gzip-level'], false),
    gzip: !values.plain,
    prefix: values.prefix,
  });
  await writeSetManifest(values.out, set);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const summary = {
    outDir: values.out, kind: values.kind, files: set.files.length, pages: set.pages, rows: set.expected.length,
    bytes: set.bytes, uncompressedBytes: set.uncompressedBytes, seconds: Number(seconds.toFixed(3)),
    uncompressedMBps: Number((set.uncompressedBytes / 1e6 / seconds).toFixed(1)),
  };
  out.write(`${JSON.stringify(summary)}\n`);
  return ExitCode.Ok;
}

const invoked = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invoked) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`gen-fixtures: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = ExitCode.Failed;
    },
  );
}
