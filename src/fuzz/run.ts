/**
 * A fuzz run (mutants of the seeds, until the time or the count is up) and a replay (every file of a directory), both
 * read through one ReaderProcess. A mutant with a finding is kept as `<findings>/<seed>-<index>-<kind>.<warc|warc.gz>`.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MUTATION_KINDS, mutantAt, type Mutant } from './mutants.js';
import type { FuzzOptions } from './options.js';
import { isFindingKind } from './protocol.js';
import { ReaderProcess, type ReadOutcome } from './reader-process.js';
import { Tally, type FuzzReport } from './report.js';
import { loadSeeds } from './seeds.js';
import { nativeInflate, zlibInflate } from '../warc/index.js';

export interface RunContext {
  /** The reader child's entry module. */
  readonly childModule: string;
  /** Progress lines (findings as they come). */
  readonly log: (line: string) => void;
}

const extensionOf = (gzipped: boolean): string => (gzipped ? 'warc.gz' : 'warc');

function readerFor(o: FuzzOptions, ctx: RunContext): ReaderProcess {
  return new ReaderProcess({ childModule: ctx.childModule, deadlineMillis: o.deadlineMillis, maxRssMb: o.maxRssMb });
}

function logFinding(ctx: RunContext, kind: string, what: string, file: string, outcome: ReadOutcome): void {
  ctx.log(`finding: ${kind} on ${what} -> ${file}: ${outcome.message.split('\n')[0] ?? ''}`);
}

export async function runFuzz(o: FuzzOptions, ctx: RunContext): Promise<FuzzReport> {
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'wikireverse-fuzz-'));
  const reader = readerFor(o, ctx);
  const tally = new Tally(MUTATION_KINDS);
  try {
    const seeds = await loadSeeds({ samplesDirs: o.samplesDirs, workDir: path.join(work, 'seeds') });
    ctx.log(`${seeds.length} seeds (${seeds.map((s) => `${s.name}: ${s.records.length} records`).join(', ')})`);
    await fsp.mkdir(o.findingsDir, { recursive: true });
    const started = performance.now();
    const elapsedSecs = (): number => (performance.now() - started) / 1000;
    const more = (index: number): boolean => (o.count === undefined || index < o.count) && (o.seconds === undefined || elapsedSecs() < o.seconds);
    /** Mutant `index` written to a scratch file. */
    const prepare = async (index: number): Promise<{ mutant: Mutant; file: string }> => {
      const mutant = mutantAt(seeds, o.seed, index);
      const file = path.join(work, `mutant-${index}.${extensionOf(mutant.gzipped)}`);
      await fsp.writeFile(file, mutant.bytes);
      return { mutant, file };
    };
    let next = more(0) ? await prepare(0) : null;
    for (let index = 0; next !== null; index++) {
      const { mutant, file } = next;
      const reading = reader.read(file);
      // The next mutant is made while this one is read.
      const following = more(index + 1) ? prepare(index + 1) : null;
      following?.catch(() => undefined); // awaited below; marked handled so that a failure does not surface before that
      const outcome = await reading;
      if (isFindingKind(outcome.outcome)) {
        const kept = path.join(o.findingsDir, `${o.seed}-${index}-${outcome.outcome}.${extensionOf(mutant.gzipped)}`);
        await fsp.copyFile(file, kept);
        logFinding(ctx, outcome.outcome, `mutant ${index} (${mutant.kind})`, kept, outcome);
        tally.add({ mutation: mutant.kind, outcome: outcome.outcome, millis: outcome.millis, finding: { index, detail: mutant.detail, file: kept, message: outcome.message } });
      } else {
        tally.add({ mutation: mutant.kind, outcome: outcome.outcome, millis: outcome.millis, cause: outcome.cause });
      }
      await fsp.rm(file, { force: true });
      // Time may have run out while this one was read: the one made meanwhile is dropped.
      next = following !== null && more(index + 1) ? await following : null;
      if (next === null && following !== null) await following.then((f) => fsp.rm(f.file, { force: true }));
    }
    return tally.report({
      mode: 'fuzz', seed: o.seed, elapsedSecs: elapsedSecs(), peakChildRssMb: reader.peakRssMb, childRestarts: reader.restarts,
      deadlineMillis: o.deadlineMillis, maxRssMb: o.maxRssMb, inflates: inflatesRead(),
    });
  } finally {
    await reader.close();
    await fsp.rm(work, { recursive: true, force: true });
  }
}

/** What the reader child inflates with (it loads the same addon): both inflates, compared, or zlib alone and why. */
function inflatesRead(): string {
  const native = nativeInflate();
  return 'inflate' in native ? `every input read with ${native.inflate.name} and with ${zlibInflate.name}, rows, counters and errors compared` : `${zlibInflate.name} only (${native.error})`;
}

export async function runReplay(o: FuzzOptions, ctx: RunContext): Promise<FuzzReport> {
  const dir = o.replayDir;
  if (dir === undefined) throw new Error('runReplay: no replay directory');
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(dir, e.name)).sort();
  const reader = readerFor(o, ctx);
  const tally = new Tally([]);
  const started = performance.now();
  try {
    for (const file of files) {
      const outcome = await reader.read(file);
      if (isFindingKind(outcome.outcome)) {
        logFinding(ctx, outcome.outcome, 'replayed file', file, outcome);
        tally.add({ mutation: 'replay', outcome: outcome.outcome, millis: outcome.millis, finding: { index: null, detail: path.basename(file), file, message: outcome.message } });
      } else {
        tally.add({ mutation: 'replay', outcome: outcome.outcome, millis: outcome.millis, cause: outcome.cause });
      }
    }
  } finally {
    await reader.close();
  }
  return tally.report({
    mode: 'replay', seed: null, elapsedSecs: (performance.now() - started) / 1000, peakChildRssMb: reader.peakRssMb,
    childRestarts: reader.restarts, deadlineMillis: o.deadlineMillis, maxRssMb: o.maxRssMb, inflates: inflatesRead(),
  });
}
