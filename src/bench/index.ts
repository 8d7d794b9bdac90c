/**
 * `npm run bench`: throughput against the gunzip floor, worker scaling, reducer memory, and the projected cost
 * of a full crawl. Writes bench/results/latest.json and a timestamped copy.
 *
 *   node dist/src/bench/index.js [--quick] [--repeats N] [--only wat,warc,wat-generated,warc-generated,arc,scaling,reduce,titles,queue,scale]
 *        [--prices FILE] [--cache-dir D] [--results-dir D] [--no-write] [--label L] [--profile DIR]
 *        [file.warc.wat.gz ...]
 *
 * `wat` and `warc` are built from real records (real-shaped.ts); `wat-generated` and `warc-generated` are the fixture
 * generator's pages, a second shape. Given files replace them all (each measured as its own input).
 */
import fsp from 'node:fs/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { loadConfig } from '../config/index.js';
import { loadPrices } from '../cost/index.js';
import { projectCrawl, RECENT_WAT } from './crawl-projection.js';
import { ExitCode } from '../exit-codes.js';
import { generatedInputs, givenInputs, type InputSet, type InputSpec } from './inputs.js';
import { realShapedInputs, type RealShapeSpec, type ShapeFigures } from './real-shaped.js';
import { reduceInput } from './reduce-input.js';
import { titlesInput } from './titles-input.js';
import { formatCoordinatorRss, formatQueueScale, measureCoordinatorRss, measureQueueScale, type CoordinatorRss, type QueueScaleFigures } from './queue-scale.js';
import { formatScale, measureScale, type MapSpeed, type ScaleFigures, type ScaleSpec } from './scale.js';
import type { ChildTask } from './child.js';
import { measureChild, measureCommand, measureParallel, measureZcat, median, medianSample, zcatParallel, type Sample } from './measure.js';
import { formatProfile, summariseProfile } from './profile.js';
import { ensurePeers, measurePeer, PEER_LABELS, PEERS } from './peers.js';
import {
  ANCESTOR_DOLLARS, TARGETS, figures, formatCost, formatInput, formatReduce, formatScaling, formatTargets, formatTitles, machine, type TitlesFigures,
  type BenchResults, type CostFigures, type InputFigures, type ReduceFigures, type ScalingFigures, type VariantFigures,
} from './report.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Instances of the cost projection's fleet. */
const COST_INSTANCES = 20;

interface Mode {
  readonly name: 'quick' | 'full';
  readonly repeats: number;
  /** Built from real records: the main figures. */
  readonly wat: RealShapeSpec;
  readonly warc: RealShapeSpec;
  /** The fixture generator's pages: a second shape. */
  readonly watGenerated: InputSpec;
  readonly warcGenerated: InputSpec;
  /** ARC files (pre-2013 crawls): an http record per page, gzipped per record. */
  readonly arc: InputSpec;
  readonly scaling: InputSpec;
  readonly scalingRepeats: number;
  /** Rows in the one partition of each reduce measurement (the worst case: everything in one partition). */
  readonly reduceRows: readonly number[];
  /** The full-crawl-shaped run (`scale`): a tenth of the crawl's files, or a hundredth with --quick. */
  readonly scale: ScaleSpec;
  /** The titles lookup (`titles`): titles in the dumps, link rows joined in one partition. */
  readonly titles: { readonly titles: number; readonly rows: number };
}

const SEED = 20240518;
/** Generator defaults: 5% of pages link Wikipedia, 20 kB of HTML per page on average (WAT: ~10 kB of JSON). */
const shape = { seed: SEED, wikiLinkRate: 0.05, avgPageBytes: 20_000 } as const;
/** Real-shaped inputs: 5% of the pages with links given Wikipedia links. */
const real = { seed: SEED, linkRate: 0.05 } as const;
/** The real samples the real-shaped inputs are built from (in the repository). */
const SAMPLES_DIR = path.join(ROOT, 'test', 'fixtures', 'samples');
const MODES: Record<'quick' | 'full', Mode> = {
  quick: {
    name: 'quick',
    repeats: 3,
    wat: { ...real, kind: 'wat', captures: 3_000 },
    warc: { ...real, kind: 'warc', captures: 1_500 },
    watGenerated: { ...shape, kind: 'wat', files: 1, pagesPerFile: 6_000 },
    warcGenerated: { ...shape, kind: 'warc', files: 1, pagesPerFile: 2_500 },
    arc: { ...shape, kind: 'arc', files: 1, pagesPerFile: 2_500 },
    scaling: { ...shape, kind: 'wat', files: 4, pagesPerFile: 1_500 },
    scalingRepeats: 1,
    reduceRows: [250_000, 1_000_000],
    scale: { files: 636, pagesPerFile: 60, workers: 4, latencyMillis: 20 },
    titles: { titles: 2_000_000, rows: 1_000_000 },
  },
  full: {
    name: 'full',
    repeats: 5,
    // >= 200 MB uncompressed each (WAT ~10.1 kB per page, WARC ~22.6 kB per page with these settings).
    // Real records: 12,000 WAT captures (~4-5 kB gzipped each, as a 2014-15 WAT file's), 6,000 WARC captures.
    wat: { ...real, kind: 'wat', captures: 12_000 },
    warc: { ...real, kind: 'warc', captures: 6_000 },
    watGenerated: { ...shape, kind: 'wat', files: 1, pagesPerFile: 20_000 },
    warcGenerated: { ...shape, kind: 'warc', files: 1, pagesPerFile: 9_000 },
    // ~80 MB uncompressed (ARC ~20.6 kB per page: one record, no request or metadata records).
    arc: { ...shape, kind: 'arc', files: 1, pagesPerFile: 4_000 },
    scaling: { ...shape, kind: 'wat', files: 4, pagesPerFile: 5_000 },
    scalingRepeats: 5,
    reduceRows: [1_000_000, 4_000_000, 10_000_000],
    scale: { files: 6_356, pagesPerFile: 60, workers: 4, latencyMillis: 20 },
    titles: { titles: 20_000_000, rows: 10_000_000 },
  },
};

const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

/** `wikireverse extract FILE > /dev/null`, timed as a whole process (start-up included), as `zcat` is. */
const EXTRACT_PROCESS = 'extract (process)';

async function measureInput(label: string, set: InputSet, repeats: number, maxRecordBytes: number, partitions: number, peers?: string): Promise<InputFigures> {
  const files = set.files;
  const names = ['zcat', 'gunzip', 'reader', 'reader (zlib)', 'extract', EXTRACT_PROCESS, 'worker', 'worker (zlib)', ...(peers ? PEERS.map((p) => PEER_LABELS[p]) : [])];
  const samples: Record<string, Sample[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < repeats; r++) {
    log(`${label}: run ${r + 1}/${repeats}`);
    // Alternating, so that drift (thermal, page cache, noisy neighbours) hits every variant alike. reader, extract and
    // worker inflate as the configuration says (libdeflate when the addon loads); the (zlib) variants with node's zlib.
    samples['zcat']?.push(await measureZcat(files));
    samples['gunzip']?.push(await measureChild({ variant: 'gunzip', files }));
    samples['reader']?.push(await measureChild({ variant: 'reader', files, maxRecordBytes }));
    samples['reader (zlib)']?.push(await measureChild({ variant: 'reader', files, maxRecordBytes, inflate: 'zlib' }));
    samples['extract']?.push(await measureChild({ variant: 'extract', files, maxRecordBytes }));
    // The command a user runs, as a whole process: node's start-up, the CLI's, and every row written out as JSON.
    samples[EXTRACT_PROCESS]?.push(await measureCommand(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'extract', ...files], 'wikireverse extract'));
    samples['worker']?.push(await measureChild({ variant: 'worker', files, maxRecordBytes, partitions }));
    samples['worker (zlib)']?.push(await measureChild({ variant: 'worker', files, maxRecordBytes, partitions, inflate: 'zlib' }));
    // warcio reads at a fraction of the others' speed: once is enough to place it.
    if (peers) for (const p of PEERS) if (p !== 'warcio' || r === 0) samples[PEER_LABELS[p]]?.push(await measurePeer(peers, ROOT, p, files));
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, medianSample(v)])) as Record<string, Sample>;
  const zcat = m['zcat'] as Sample;
  const extract = m['extract'] as Sample;
  const uncompressed = set.uncompressedBytes || (m['gunzip'] as Sample).bytes;
  const pages = extract.pages;
  return {
    label,
    files,
    source: set.source,
    compressedBytes: set.bytes,
    uncompressedBytes: uncompressed,
    pages,
    rows: extract.rows,
    ...('shape' in set ? { shape: set.shape as ShapeFigures } : {}),
    variants: names.map((name) =>
      figures(name === 'gunzip' ? 'node gunzip' : name, m[name] as Sample, samples[name]?.length ?? repeats, zcat, set.bytes, uncompressed, pages),
    ),
  };
}

async function measureScaling(set: InputSet, repeats: number, maxRecordBytes: number, partitions: number): Promise<ScalingFigures> {
  const one: number[] = [];
  const two: number[] = [];
  const zcatOne: number[] = [];
  const zcatTwo: number[] = [];
  let pages = 0;
  const half = Math.ceil(set.files.length / 2);
  const halves = [set.files.slice(0, half), set.files.slice(half)];
  // Workers are long-lived: each process first reads one file untimed (its code compiled by the JIT, as in a
  // worker that has been running a while), then all start the timed files together. Time is from that start to
  // the last file's end in each process.
  const worker = (files: readonly string[]): ChildTask => ({ variant: 'worker', files, maxRecordBytes, partitions, warmup: set.files.slice(0, 1), barrier: true });
  for (let r = 0; r < repeats; r++) {
    log(`scaling: run ${r + 1}/${repeats}`);
    const a = await measureParallel([worker(set.files)]);
    one.push(Math.max(...a.samples.map((x) => x.seconds)));
    pages = a.samples[0]?.pages ?? 0;
    const b = await measureParallel(halves.map(worker));
    two.push(Math.max(...b.samples.map((x) => x.seconds)));
    // The same split for zcat: how far this machine's cores scale on the floor itself.
    zcatOne.push(await zcatParallel([set.files]));
    zcatTwo.push(await zcatParallel(halves));
  }
  const oneWorkerSeconds = median(one);
  const twoWorkersSeconds = median(two);
  return {
    files: set.files.length,
    pages,
    oneWorkerSeconds,
    twoWorkersSeconds,
    speedup: oneWorkerSeconds / twoWorkersSeconds,
    zcatSpeedup: median(zcatOne) / median(zcatTwo),
    runs: repeats,
    pagesPerCoreSec: pages / (twoWorkersSeconds * Math.min(2, os.availableParallelism())),
  };
}

async function measureReduce(cacheDir: string, rows: number, partitions: number, memoryMb: number): Promise<ReduceFigures> {
  const input = await reduceInput(cacheDir, rows, partitions, SEED, log);
  log(`reducer: ${rows.toLocaleString('en-US')} rows`);
  const s = await measureChild({ variant: 'reduce', storeDir: input.storeDir, runId: input.runId, partitions, memoryMb });
  return { rows: s.rows, files: input.files, partialBytes: input.bytes, seconds: s.seconds, rowsPerSec: s.rows / s.seconds, maxRssMb: s.maxRssMb, outputRows: s.bytes };
}

async function measureTitles(cacheDir: string, spec: Mode['titles'], memoryMb: number): Promise<TitlesFigures> {
  const dumps = await titlesInput(cacheDir, spec.titles, log);
  const input = await reduceInput(cacheDir, spec.rows, 1, SEED, log);
  log(`titles: gunzip of the ${dumps.files.length} dump files`);
  const gz = await measureChild({ variant: 'gunzip', files: dumps.files });
  log(`titles: building the lookup of ${spec.titles.toLocaleString('en-US')} titles`);
  const build = await measureChild({ variant: 'lookup', storeDir: input.storeDir, runId: input.runId, partitions: 1, memoryMb, source: dumps.dir });
  log(`titles: reducing ${spec.rows.toLocaleString('en-US')} rows joined with it`);
  const join = await measureChild({ variant: 'reduce', storeDir: input.storeDir, runId: input.runId, partitions: 1, memoryMb, lookup: true });
  return {
    titles: spec.titles, dumpFiles: dumps.files.length, dumpBytes: dumps.bytes, sqlBytes: dumps.sqlBytes, gunzipSeconds: gz.seconds,
    build: { seconds: build.seconds, cpuSeconds: build.cpuSeconds, maxRssMb: build.maxRssMb, rows: build.rows, storedBytes: build.bytes },
    join: { rows: join.rows, seconds: join.seconds, maxRssMb: join.maxRssMb, outputRows: join.bytes }, memoryMb,
  };
}

async function profileInputs(dir: string, sets: ReadonlyArray<[string, InputSet]>, maxRecordBytes: number, partitions: number): Promise<void> {
  for (const [label, set] of sets) {
    const file = path.join(path.resolve(dir), label, 'worker.cpuprofile');
    // A warm worker (its code compiled by the JIT after one untimed pass), profiled over the timed pass only.
    await measureChild({ variant: 'worker', files: set.files, maxRecordBytes, partitions, warmup: set.files, profileFile: file });
    process.stdout.write(`${formatProfile(`profile of a warm worker on ${label} (${file}), self time:`, await summariseProfile(file))}\n\n`);
  }
}

export async function main(args: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      repeats: { type: 'string' },
      only: { type: 'string' },
      prices: { type: 'string' },
      'cache-dir': { type: 'string' },
      'results-dir': { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      label: { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    out.write('usage: npm run bench -- [--quick] [--repeats N] [--only wat,warc,wat-generated,warc-generated,arc,scaling,reduce,titles,queue,scale] [--prices FILE] ' +
      '[--cache-dir D] [--results-dir D] [--no-write] [--label L] [--profile DIR] [files...]\n');
    return ExitCode.Ok;
  }
  const mode = MODES[values.quick ? 'quick' : 'full'];
  const repeats = values.repeats !== undefined ? Number(values.repeats) : mode.repeats;
  const prices = loadPrices(values.prices);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, got ${values.repeats}`);
  const sections = new Set((values.only ?? 'wat,warc,wat-generated,warc-generated,arc,scaling,reduce,titles,queue,scale').split(',').map((s) => s.trim()));
  const cacheDir = path.resolve(values['cache-dir'] ?? path.join(os.tmpdir(), 'wikireverse-bench-cache'));
  const config = loadConfig();
  // The map side writes the partitions of a mid-sized run; each reduce measurement puts all its rows in one partition.
  const partitions = config.partitions > 0 ? config.partitions : 8;
  const maxRecordBytes = config.maxRecordBytes;
  const startedAt = new Date();
  log(`mode ${mode.name}, ${repeats} runs per variant, cache ${cacheDir}`);

  const sets: Array<[string, InputSet]> = [];
  if (positionals.length > 0) {
    for (const f of positionals) sets.push([path.basename(f), await givenInputs([f])]);
  } else {
    if (sections.has('wat')) sets.push(['wat', await realShapedInputs(cacheDir, SAMPLES_DIR, mode.wat, log)]);
    if (sections.has('warc')) sets.push(['warc', await realShapedInputs(cacheDir, SAMPLES_DIR, mode.warc, log)]);
    if (sections.has('wat-generated')) sets.push(['wat-generated', await generatedInputs(cacheDir, mode.watGenerated, log)]);
    if (sections.has('warc-generated')) sets.push(['warc-generated', await generatedInputs(cacheDir, mode.warcGenerated, log)]);
    if (sections.has('arc')) sets.push(['arc', await generatedInputs(cacheDir, mode.arc, log)]);
  }
  if (values.profile !== undefined) {
    await profileInputs(values.profile, sets, maxRecordBytes, partitions);
    return ExitCode.Ok;
  }

  const inputs: InputFigures[] = [];
  // The peers read the real-shaped inputs (and given files) beside our reader.
  const peered = (label: string): boolean => positionals.length > 0 || label === 'wat' || label === 'warc';
  const peers = sets.some(([label]) => peered(label)) ? ensurePeers(ROOT) : undefined;
  if (peers && 'why' in peers) log(`peers (FastWARC, warcio) not measured: ${peers.why}`);
  for (const [label, set] of sets) {
    const python = peers && 'python' in peers && peered(label) ? peers.python : undefined;
    const f = await measureInput(label, set, repeats, maxRecordBytes, partitions, python);
    inputs.push(f);
    out.write(`${formatInput(f)}\n`);
    // Every reader must have read the same records.
    const reader = f.variants.find((v) => v.name === 'reader');
    for (const v of f.variants.filter((x) => x.name.endsWith('(Python)'))) {
      out.write(`${label}: ${v.name} read ${v.rows.toLocaleString('en-US')} records${v.rows === reader?.rows ? ' (as our reader)' : ` (our reader: ${reader?.rows ?? '?'}: they disagree)`}\n`);
    }
    out.write('\n');
  }
  let scaling: ScalingFigures | undefined;
  if (sections.has('scaling') && positionals.length === 0) {
    const set = await generatedInputs(cacheDir, mode.scaling, log);
    scaling = await measureScaling(set, mode.scalingRepeats, maxRecordBytes, partitions);
    out.write(`${formatScaling(scaling)}\n\n`);
  }
  let queueScale: QueueScaleFigures[] | undefined;
  let coordinatorRss: CoordinatorRss[] | undefined;
  if (sections.has('queue')) {
    queueScale = [];
    for (const files of [1000, 63_560]) queueScale.push(await measureQueueScale(files));
    out.write(`${formatQueueScale(queueScale)}\n\n`);
    coordinatorRss = [];
    for (const files of [10, 1000, 63_560]) coordinatorRss.push(await measureCoordinatorRss(ROOT, files));
    out.write(`${formatCoordinatorRss(coordinatorRss)}\n\n`);
  }
  let scale: ScaleFigures | undefined;
  if (sections.has('scale')) {
    const speed = mapSpeed(inputs, path.resolve(values['results-dir'] ?? path.join(ROOT, 'bench/results')));
    scale = await measureScale(ROOT, cacheDir, mode.scale, speed, log);
    out.write(`${formatScale(scale)}\n\n`);
  }
  let titles: TitlesFigures | undefined;
  if (sections.has('titles')) {
    titles = await measureTitles(cacheDir, mode.titles, config.reducerMemoryMb);
    out.write(`${formatTitles(titles)}\n\n`);
  }
  let reduce: ReduceFigures[] | undefined;
  if (sections.has('reduce')) {
    reduce = [];
    for (const rows of mode.reduceRows) reduce.push(await measureReduce(cacheDir, rows, 1, config.reducerMemoryMb));
    out.write(`${formatReduce(reduce)}\n\n`);
  }

  const wat = inputs.find((i) => i.label === 'wat') ?? inputs[0];
  const watWorker = wat?.variants.find((v) => v.name === 'worker');
  const watZcat = wat?.variants.find((v) => v.name === 'zcat');
  const perCoreSec = (v: VariantFigures): number => (wat?.compressedBytes ?? 0) / Math.max(v.seconds, v.cpuSeconds);
  const at = (v: VariantFigures): CostFigures['worker'] => ({
    bytesPerCoreSec: perCoreSec(v), projection: projectCrawl(RECENT_WAT, { bytesPerCoreSec: perCoreSec(v), fixedSecondsPerFile: 0 }, prices, COST_INSTANCES),
  });
  const cost: CostFigures | undefined =
    wat && watWorker && watZcat
      ? { crawl: RECENT_WAT, basis: `${wat.label} input, worker path, one process`, instances: COST_INSTANCES, worker: at(watWorker), zcat: at(watZcat), ancestorDollars: ANCESTOR_DOLLARS }
      : undefined;
  if (cost) out.write(`${formatCost(cost)}\n\n`);

  const targets: BenchResults['targets'] = {};
  for (const label of ['wat', 'warc'] as const) {
    const input = inputs.find((i) => i.label === label);
    for (const [variant, target] of [['worker', TARGETS.workerCpuRatio], ['reader', TARGETS.readerCpuRatio], [EXTRACT_PROCESS, TARGETS.extractProcessCpuRatio]] as const) {
      const v = input?.variants.find((x) => x.name === variant);
      if (v) targets[`${label} ${variant} cpu/zcat`] = { target: `>= ${target}`, measured: v.cpuRatioToZcat.toFixed(2), met: v.cpuRatioToZcat >= target };
    }
    if (input?.shape) targets[`${label} rows exact`] = { target: `${input.shape.plantedLinks} planted`, measured: String(input.rows), met: input.rows === input.shape.plantedLinks };
  }
  if (scaling) {
    targets['2 workers / 1 worker'] = { target: `>= ${TARGETS.scalingSpeedup}x`, measured: `${scaling.speedup.toFixed(2)}x`, met: scaling.speedup >= TARGETS.scalingSpeedup };
  }
  if (reduce && reduce.length > 0) {
    const peak = Math.max(...reduce.map((r) => r.maxRssMb));
    const growth = (reduce[reduce.length - 1]?.maxRssMb ?? 0) / (reduce[0]?.maxRssMb ?? 1);
    targets['reducer peak RSS'] = { target: `< ${TARGETS.reducerMaxRssMb} MB`, measured: `${peak.toFixed(0)} MB`, met: peak < TARGETS.reducerMaxRssMb };
    targets['reducer RSS growth'] = { target: `<= ${TARGETS.reducerRssGrowth}x`, measured: `${growth.toFixed(2)}x`, met: growth <= TARGETS.reducerRssGrowth };
  }
  if (titles) {
    for (const [what, rss] of [['titles lookup build', titles.build.maxRssMb], ['reduce joined with the titles lookup', titles.join.maxRssMb]] as const) {
      targets[`${what} peak RSS`] = { target: `< ${TARGETS.reducerMaxRssMb} MB`, measured: `${rss.toFixed(0)} MB`, met: rss < TARGETS.reducerMaxRssMb };
    }
  }
  if (scale) {
    targets['scale run links exact'] = { target: `${scale.expectedLinks} (independent count)`, measured: String(scale.links), met: scale.links === scale.expectedLinks };
    targets['scale run map PUTs per file'] = { target: `<= ${TARGETS.mapPutsPerFile}`, measured: String(scale.perFile.puts), met: scale.perFile.puts <= TARGETS.mapPutsPerFile };
    const { projected, measured } = scale.requestCheck;
    const off = Math.max(Math.abs(measured.puts / projected.puts - 1), Math.abs(measured.gets / projected.gets - 1));
    targets["estimate's requests vs the scale run's"] = {
      target: `within ${TARGETS.projectedRequestsError * 100}%`, measured: `${(off * 100).toFixed(1)}% (PUT ${projected.puts} vs ${measured.puts}, GET ${projected.gets} vs ${measured.gets})`,
      met: off <= TARGETS.projectedRequestsError,
    };
  }
  out.write(`targets:\n${formatTargets(targets)}\n`);

  const results: BenchResults = {
    version: 1,
    startedAt: startedAt.toISOString(),
    mode: mode.name,
    label: values.label ?? '',
    machine: machine(),
    inputs,
    ...(scaling ? { scaling } : {}),
    ...(reduce ? { reduce } : {}),
    ...(titles ? { titles } : {}),
    ...(queueScale ? { queueScale } : {}),
    ...(coordinatorRss ? { coordinatorRss } : {}),
    ...(scale ? { scale } : {}),
    ...(cost ? { cost } : {}),
    targets,
  };
  if (!values['no-write']) {
    const dir = path.resolve(values['results-dir'] ?? path.join(ROOT, 'bench/results'));
    await fsp.mkdir(dir, { recursive: true });
    const body = JSON.stringify(results, null, 2) + '\n';
    const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
    await fsp.writeFile(path.join(dir, `${stamp}-${mode.name}.json`), body);
    await fsp.writeFile(path.join(dir, 'latest.json'), body);
    out.write(`results: ${path.join(dir, 'latest.json')}\n`);
  }
  return ExitCode.Ok;
}

/**
 * The worker path's WAT speed for the scale projection: this run's when it measured the `wat` section, else the newest
 * saved result on this machine that has one, else an assumed 1,000 pages per core-second (and the line says so).
 */
function mapSpeed(inputs: readonly InputFigures[], resultsDir: string): MapSpeed {
  const worker = (list: readonly InputFigures[]): number | undefined => {
    const wat = list.find((i) => i.label === 'wat');
    const v = wat?.variants.find((x) => x.name === 'worker');
    return wat && v ? wat.compressedBytes / Math.max(v.seconds, v.cpuSeconds) : undefined;
  };
  const mb = (v: number): string => `${(v / 1e6).toFixed(1)} MB/s per core`;
  const here = worker(inputs);
  if (here) return { bytesPerCoreSec: here, source: `the worker path on real-shaped WAT in this run, ${mb(here)}` };
  const saved = fs.existsSync(resultsDir) ? fs.readdirSync(resultsDir).filter((f) => /^\d.*\.json$/.test(f)).sort().reverse() : [];
  for (const f of saved) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(resultsDir, f), 'utf8')) as BenchResults;
      const v = worker(r.inputs ?? []);
      if (v) return { bytesPerCoreSec: v, source: `the worker path on real-shaped WAT from ${f}, ${mb(v)}` };
    } catch {
      // not a results file
    }
  }
  return { bytesPerCoreSec: 10e6, source: 'no WAT measurement found: 10 MB/s per core assumed (run the wat section)' };
}

const invoked = process.argv[1] !== undefined && fs.existsSync(process.argv[1]) && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invoked) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = ExitCode.Failed;
    },
  );
}
