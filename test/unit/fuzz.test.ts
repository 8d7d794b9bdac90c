/**
 * The fuzz harness (src/fuzz) through its real CLI, `node dist/src/fuzz/index.js` (built by `npm run build`):
 * - a bounded pass over the real reader reads enough mutants, exercises every mutation kind and finds nothing;
 * - the harness's detection is proven on faults the reader child injects on purpose (WIKIREVERSE_FUZZ_SELFTEST), not
 *   on parser bugs that will be fixed: a spinning reader is a hang, a TypeError a crash, 2 GB of buffers a memory
 *   finding, and the child restarted after a kill reads the next file;
 * - the same seed makes the same mutants; the classification of answers (offset-less InputError, bloated counters);
 * - the regression fixtures in test/fixtures/fuzz are read without a finding: `prefix-<seed>-<index>-hang.*` hung the
 *   reader on commit d4e115a (found by `npm run fuzz`, seeds 1 and 2: a Content-Length past the end of the input sent
 *   the stream to warcio, whose skip looped forever), and `issue12-nonascii-cut.warc` is issue 12's 75-byte file.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyResult } from '../../src/fuzz/classify.js';
import { DEFAULT_JOB, jobRegistry } from '../../jobs/index.js';
import { scanInput } from '../../src/extract/index.js';
import { MARKUP_SHAPES } from '../../src/fuzz/markup-mutations.js';
import { MUTATION_KINDS, mutantAt } from '../../src/fuzz/mutants.js';
import { resolveJob } from '../../src/job/index.js';
import { openLocalInput } from '../../src/storage/index.js';
import { MAX_COUNTERS_BYTES, SELFTEST_MARKER, type FindingKind, type SelfTestFault } from '../../src/fuzz/protocol.js';
import type { FuzzReport } from '../../src/fuzz/report.js';
import { loadSeeds } from '../../src/fuzz/seeds.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

const FUZZ = path.join(ROOT, 'dist/src/fuzz/index.js');
const SAMPLES = path.join(ROOT, 'test/fixtures/samples');
const FUZZ_SECONDS = 40;
/**
 * About half of what 40 s gives on a 2-core machine, each mutant read twice (libdeflate, then zlib, compared): measured
 * 1,270 mutants (31.8/s; 62/s on one inflate) on 2026-12-07: room for a loaded machine, while a harness that stalls or
 * restarts its child per mutant falls far below it.
 */
const MIN_MUTANTS = 600;

interface FuzzRun {
  readonly code: number | null;
  readonly report: FuzzReport;
  readonly stderr: string;
}

function fuzz(args: readonly string[], env: Record<string, string> = {}): Promise<FuzzRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FUZZ, '--json', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, report: JSON.parse(stdout) as FuzzReport, stderr });
      } catch {
        reject(new Error(`fuzz ${args.join(' ')} exited ${code} without a JSON report:\n${stdout}\n${stderr.slice(-3000)}`));
      }
    });
  });
}

let work = '';
beforeAll(async () => {
  work = await tempDir('fuzz');
});
afterAll(async () => {
  await fsp.rm(work, { recursive: true, force: true });
});

describe('fuzz pass over the real reader', () => {
  it(`reads at least ${MIN_MUTANTS} mutants in ${FUZZ_SECONDS} s, exercises every mutation kind, and finds nothing`, async () => {
    // Outside the scratch directory, so that a failing pass leaves its reproducers behind (test/output is not committed).
    const findings = path.join(ROOT, 'test/output/fuzz-findings');
    await fsp.rm(findings, { recursive: true, force: true });
    const { code, report } = await fuzz(['--seconds', String(FUZZ_SECONDS), '--seed', '1', '--findings', findings]);
    const found = report.findings.map((f) => `${f.kind} on ${f.mutation} (${f.file}): ${f.message.split('\n')[0] ?? ''}`);
    expect(found, 'findings (reproducers kept in test/output/fuzz-findings; replay them with --replay)').toEqual([]);
    expect(code).toBe(0);
    expect(report.mode).toBe('fuzz');
    expect(report.inputs).toBeGreaterThanOrEqual(MIN_MUTANTS);
    const unexercised = MUTATION_KINDS.filter((k) => (report.kinds[k]?.count ?? 0) === 0);
    expect(unexercised).toEqual([]);
    expect(report.outcomes.ok + report.outcomes.inputError).toBe(report.inputs);
  }, 150_000);
});

describe('detection, on faults the reader child injects', () => {
  const cases: readonly { fault: SelfTestFault; kind: FindingKind; args: string[]; restarts: number; message: RegExp }[] = [
    { fault: 'hang', kind: 'hang', args: ['--deadline-ms', '2000'], restarts: 1, message: /^no answer within 2000 ms; it was busy .*\nat injectFault/ },
    { fault: 'crash', kind: 'crash', args: [], restarts: 0, message: /^TypeError: fuzz self-test: injected TypeError\nat injectFault/ },
    { fault: 'memory', kind: 'memory', args: ['--max-rss-mb', '512'], restarts: 1, message: /^child RSS (reached \d+ MB while reading|\d+ MB after the read) \(limit 512 MB\)/ },
  ];
  /** A directory with a file that starts with the self-test marker, then a real sample. */
  async function replayDir(name: string): Promise<{ dir: string; faulty: string }> {
    const dir = path.join(work, name);
    await fsp.mkdir(dir, { recursive: true });
    const faulty = path.join(dir, 'a-selftest.warc');
    await fsp.writeFile(faulty, `${SELFTEST_MARKER}\r\n`);
    await fsp.copyFile(path.join(SAMPLES, 'CC-MAIN-2024-22-whirlwind.warc.gz'), path.join(dir, 'b-sample.warc.gz'));
    return { dir, faulty };
  }

  for (const c of cases) {
    it(`reports WIKIREVERSE_FUZZ_SELFTEST=${c.fault} as a ${c.kind} finding, and the next file is read`, async () => {
      const { dir, faulty } = await replayDir(`replay-${c.fault}`);
      const { code, report } = await fuzz(['--replay', dir, ...c.args], { WIKIREVERSE_FUZZ_SELFTEST: c.fault });
      expect(code).toBe(1);
      expect(report.findings.map((f) => ({ kind: f.kind, file: f.file }))).toEqual([{ kind: c.kind, file: faulty }]);
      expect(report.findings[0]?.message).toMatch(c.message);
      expect(report.outcomes).toMatchObject({ ok: 1, inputError: 0, findings: 1 });
      expect(report.childRestarts).toBe(c.restarts);
      if (c.fault === 'hang') expect(report.findings[0]?.millis).toBeLessThan(2000 + 3000); // killed, not waited for
    }, 60_000);
  }

  it('reads the same files without findings when no fault is injected (the marker alone is just a bad input)', async () => {
    const { dir } = await replayDir('replay-no-fault');
    const { code, report } = await fuzz(['--replay', dir]);
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    expect(report.outcomes).toMatchObject({ ok: 1, inputError: 1 });
  }, 60_000);

  it('replays the regression fixtures (inputs that hung the reader before) without findings', async () => {
    const { code, report } = await fuzz(['--replay', path.join(ROOT, 'test/fixtures/fuzz'), '--deadline-ms', '5000']);
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    expect(report.outcomes.ok + report.outcomes.inputError).toBe(6);
  }, 60_000);

  it('rejects a bad command line with exit code 2', async () => {
    const child = spawn(process.execPath, [FUZZ, '--seconds', 'soon'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--seconds must be a number >= 0.1, got 'soon'/);
  });
});

describe('mutants', () => {
  it('are the same for the same seed, and others for another seed; kinds come round-robin', async () => {
    const seeds = await loadSeeds({ samplesDirs: [SAMPLES, path.join(ROOT, 'test/fixtures/arc')], workDir: path.join(work, 'seeds') });
    const digest = (seed: number, index: number): string => createHash('sha256').update(mutantAt(seeds, seed, index).bytes).digest('hex');
    const n = MUTATION_KINDS.length * 2;
    const first = Array.from({ length: n }, (_, i) => digest(5, i));
    expect(Array.from({ length: n }, (_, i) => digest(5, i))).toEqual(first);
    // Mutant i does not depend on the ones before it.
    expect(digest(5, n - 1)).toBe(first[n - 1]);
    const other = Array.from({ length: n }, (_, i) => digest(6, i));
    expect(other.filter((d, i) => d !== first[i]).length).toBeGreaterThan(n / 2);
    expect(Array.from({ length: n }, (_, i) => mutantAt(seeds, 5, i).kind)).toEqual([...MUTATION_KINDS, ...MUTATION_KINDS]);
  }, 60_000);
});

describe('deep-markup mutants (issue 24, finding 3)', () => {
  it('put nesting, attributes, comments and entities into real responses, and the real job reads every one without failing the file', async () => {
    const seeds = await loadSeeds({ samplesDirs: [SAMPLES], workDir: path.join(work, 'seeds-markup') });
    const job = resolveJob(jobRegistry, DEFAULT_JOB);
    const at = MUTATION_KINDS.indexOf('deep-markup');
    const shapes = new Set<string>();
    const counters: Record<string, number> = {};
    let framed = 0;
    for (let round = 0; round < 60; round++) {
      const m = mutantAt(seeds, 3, round * MUTATION_KINDS.length + at);
      expect(m.kind).toBe('deep-markup');
      const shape = /bytes of (\w+) markup/.exec(m.detail)?.[1];
      if (shape === undefined) continue; // a seed without HTTP responses (WAT, WET) is left as it was
      shapes.add(shape);
      if (!m.detail.includes('Content-Length adjusted')) continue;
      framed++;
      const file = path.join(work, `markup-${round}${m.gzipped ? '.warc.gz' : '.warc'}`);
      await fsp.writeFile(file, m.bytes);
      const result = await scanInput(await openLocalInput(file), job, { inputName: file, maxRecordBytes: 1 << 20 }, () => undefined);
      for (const [k, v] of Object.entries(result.counters.toJSON())) counters[k] = (counters[k] ?? 0) + v;
    }
    expect([...shapes].sort()).toEqual([...MARKUP_SHAPES].sort());
    expect(framed).toBeGreaterThan(10);
    // The markup was parsed as HTML (not skipped as a broken record): deep nesting was cut, links to Wikipedia were found.
    expect(counters.pages_nesting_cut ?? 0).toBeGreaterThan(0);
    expect(counters.links_kept ?? 0).toBeGreaterThan(0);
  }, 120_000);
});

describe('classification of the reader child answers', () => {
  const answer = { type: 'result', id: 1, rssMb: 100, maxRssMb: 120 } as const;
  it('an InputError with a byte offset is expected; one without is a finding', () => {
    const withOffset = 'Input x.warc.gz is unreadable at byte offset 1234: gzip member at byte offset 1200 is cut short';
    expect(classifyResult({ ...answer, status: 'input-error', message: withOffset, cause: 'InputFramingError' }, 1024).outcome).toBe('input-error');
    expect(classifyResult({ ...answer, status: 'input-error', message: 'Input x.warc.gz is unreadable: ?', cause: 'Error' }, 1024).outcome).toBe('no-offset');
    expect(classifyResult({ ...answer, status: 'input-error', message: 'Input x is unreadable at byte offset NaN: ?', cause: 'Error' }, 1024).outcome).toBe('no-offset');
  });

  it('counters past 64 KiB of JSON, an RSS past the limit and any other error class are findings', () => {
    expect(classifyResult({ ...answer, status: 'ok', rows: 3, countersBytes: MAX_COUNTERS_BYTES }, 1024).outcome).toBe('ok');
    expect(classifyResult({ ...answer, status: 'ok', rows: 3, countersBytes: MAX_COUNTERS_BYTES + 1 }, 1024).outcome).toBe('counters-bloat');
    expect(classifyResult({ ...answer, status: 'ok', rows: 3, countersBytes: 100 }, 99).outcome).toBe('memory');
    expect(classifyResult({ ...answer, status: 'error', name: 'RangeError', message: 'Invalid array length', stack: '' }, 1024).outcome).toBe('crash');
  });
});
