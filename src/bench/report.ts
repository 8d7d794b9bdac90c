/** Benchmark figures: derived rates, the crawl cost projection, the printed table and the JSON results. */
import os from 'node:os';
import type { Sample } from './measure.js';
import { formatShape, type ShapeFigures } from './real-shaped.js';
import type { Projection } from '../cost/index.js';
import type { CrawlShape } from './crawl-projection.js';

/** What the ancestor's run cost (3.6 billion pages on Hadoop/EMR). */
export const ANCESTOR_DOLLARS = 64;

export const TARGETS = {
  /** CPU of zcat / CPU of the variant, on the real-shaped inputs (issue 27). */
  workerCpuRatio: 1.5,
  readerCpuRatio: 2.0,
  /** `wikireverse extract FILE > /dev/null` as a whole process (start-up included) against `zcat FILE > /dev/null`. */
  extractProcessCpuRatio: 1.0,
  scalingSpeedup: 1.8,
  /** Peak RSS of a reduce task at the default 512 MB budget, up to 10 M rows in one partition. */
  reducerMaxRssMb: 700,
  reducerRssGrowth: 1.3,
  /** The scale run's S3 PUTs per file (issue 25: the partial and its commit record in one object). */
  mapPutsPerFile: 1.05,
  /** `estimate`'s projected requests against the scale run's, relative. */
  projectedRequestsError: 0.05,
} as const;

export interface VariantFigures extends Sample {
  readonly name: string;
  readonly runs: number;
  readonly compressedMBps: number;
  readonly uncompressedMBps: number;
  readonly pagesPerSec: number;
  /** Pages per second of CPU actually used (wall time, or CPU time when the process used more than one core). */
  readonly pagesPerCoreSec: number;
  /** zcat wall time / this wall time: 1.0 = at the floor. */
  readonly ratioToZcat: number;
  /** zcat CPU time / this CPU time. */
  readonly cpuRatioToZcat: number;
}

export interface InputFigures {
  readonly label: string;
  readonly files: string[];
  readonly source: string;
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  readonly pages: number;
  readonly rows: number;
  /** How a real-shaped input is built (absent for generated and given files). */
  readonly shape?: ShapeFigures;
  readonly variants: VariantFigures[];
}

export interface ScalingFigures {
  readonly files: number;
  readonly pages: number;
  readonly oneWorkerSeconds: number;
  readonly twoWorkersSeconds: number;
  readonly speedup: number;
  /** The same split for `zcat` (one process vs two): how far this machine's cores scale on the floor itself. */
  readonly zcatSpeedup: number;
  readonly runs: number;
  /** Pages per second per core with two workers on two cores (what a fleet pays for). */
  readonly pagesPerCoreSec: number;
}

export interface ReduceFigures {
  readonly rows: number;
  readonly files: number;
  readonly partialBytes: number;
  readonly seconds: number;
  readonly rowsPerSec: number;
  readonly maxRssMb: number;
  readonly outputRows: number;
}

/** A whole crawl projected at the worker path's speed and at `zcat`'s, measured in the same run (crawl-projection.ts). */
export interface CostFigures {
  readonly crawl: CrawlShape;
  /** The input and variant the speeds come from. */
  readonly basis: string;
  readonly instances: number;
  readonly worker: { readonly bytesPerCoreSec: number; readonly projection: Projection };
  readonly zcat: { readonly bytesPerCoreSec: number; readonly projection: Projection };
  readonly ancestorDollars: number;
}

/** The titles lookup (`--titles`): its build from dump files, and a reduce that joins it. */
export interface TitlesFigures {
  readonly titles: number;
  readonly dumpFiles: number;
  /** The dump files gzipped, and their SQL text. */
  readonly dumpBytes: number;
  readonly sqlBytes: number;
  /** gunzip alone over the same files (the floor of reading them), in the same run. */
  readonly gunzipSeconds: number;
  readonly build: { readonly seconds: number; readonly cpuSeconds: number; readonly maxRssMb: number; readonly rows: number; readonly storedBytes: number };
  /** The reduce of `rows` link rows in one partition joined with the lookup (against the plain reduce of the same rows when measured). */
  readonly join: { readonly rows: number; readonly seconds: number; readonly maxRssMb: number; readonly outputRows: number };
  readonly memoryMb: number;
}

export function formatTitles(t: TitlesFigures): string {
  return [
    `titles lookup: ${int(t.titles)} titles in ${t.dumpFiles} dump files (${fix(t.dumpBytes / 1e6, 0)} MB gzipped, ${fix(t.sqlBytes / 1e6, 0)} MB of SQL): ` +
      `built in ${fix(t.build.seconds, 1)} s (${fix(t.build.cpuSeconds, 1)} CPU s; gunzip alone ${fix(t.gunzipSeconds, 1)} s: ${fix(t.build.seconds / t.gunzipSeconds, 1)}x), ` +
      `${fix(t.sqlBytes / 1e6 / t.build.seconds, 1)} MB of SQL/s, ${int(t.build.rows)} rows (${fix(t.build.storedBytes / 1e6, 0)} MB stored), peak RSS ${fix(t.build.maxRssMb, 0)} MB at a ${t.memoryMb} MB budget`,
    `titles join: ${int(t.join.rows)} link rows in one partition joined with it: ${fix(t.join.seconds, 1)} s, peak RSS ${fix(t.join.maxRssMb, 0)} MB -> ${int(t.join.outputRows)} rows`,
  ].join('\n');
}

export interface BenchResults {
  readonly version: 1;
  readonly startedAt: string;
  readonly mode: 'quick' | 'full';
  readonly label: string;
  readonly machine: ReturnType<typeof machine>;
  readonly inputs: InputFigures[];
  readonly scaling?: ScalingFigures;
  readonly reduce?: ReduceFigures[];
  readonly titles?: TitlesFigures;
  readonly cost?: CostFigures;
  readonly targets: Record<string, { target: string; measured: string; met: boolean }>;
}

export function machine(): { cpu: string; cores: number; memoryGb: number; node: string; os: string } {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

export function figures(name: string, m: Sample, runs: number, zcat: Sample, bytes: number, uncompressed: number, pages: number): VariantFigures {
  return {
    ...m,
    name,
    runs,
    pages,
    compressedMBps: bytes / 1e6 / m.seconds,
    uncompressedMBps: uncompressed / 1e6 / m.seconds,
    pagesPerSec: pages / m.seconds,
    pagesPerCoreSec: pages / Math.max(m.seconds, m.cpuSeconds),
    ratioToZcat: zcat.seconds / m.seconds,
    cpuRatioToZcat: zcat.cpuSeconds / m.cpuSeconds,
  };
}


const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fix = (n: number, d: number): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
const pad = (s: string, w: number): string => (s.length >= w ? s : ' '.repeat(w - s.length) + s);
const padR = (s: string, w: number): string => (s.length >= w ? s : s + ' '.repeat(w - s.length));

export function formatInput(f: InputFigures): string {
  const lines: string[] = [];
  lines.push(
    `${f.label}: ${f.files.length} file(s), ${fix(f.compressedBytes / 1e6, 1)} MB gzipped, ${fix(f.uncompressedBytes / 1e6, 1)} MB plain, ` +
      `${int(f.pages)} pages, ${int(f.rows)} rows (median of ${f.variants[0]?.runs ?? 0} runs each)`,
  );
  if (f.shape) lines.push(`  ${formatShape(f.shape)}`);
  const head = ['variant', 'wall s', 'cpu s', 'MB/s gz', 'MB/s plain', 'pages/s', 'pages/s/core', 'wall/zcat', 'cpu/zcat', 'peak RSS MB'];
  const widths = [15, 8, 8, 9, 11, 10, 13, 10, 9, 12];
  lines.push('  ' + head.map((h, i) => (i === 0 ? padR(h, widths[i] as number) : pad(h, widths[i] as number))).join(''));
  for (const v of f.variants) {
    const cells = [
      v.name, fix(v.seconds, 3), fix(v.cpuSeconds, 3), fix(v.compressedMBps, 1), fix(v.uncompressedMBps, 1), int(v.pagesPerSec),
      int(v.pagesPerCoreSec), fix(v.ratioToZcat, 2), fix(v.cpuRatioToZcat, 2), fix(v.maxRssMb, 0),
    ];
    lines.push('  ' + cells.map((c, i) => (i === 0 ? padR(c, widths[i] as number) : pad(c, widths[i] as number))).join(''));
  }
  const reader = f.variants.find((v) => v.name === 'reader');
  if (reader) lines.push(`${f.label}: reader cpu/zcat = ${fix(reader.cpuRatioToZcat, 2)}  (records framed and payloads read, no job; inflate: ${reader.inflate ?? '?'})`);
  const worker = f.variants.find((v) => v.name === 'worker');
  if (worker) {
    lines.push(`${f.label}: worker cpu/zcat = ${fix(worker.cpuRatioToZcat, 2)}  (${int(worker.pagesPerCoreSec)} pages/s/core, full worker path; inflate: ${worker.inflate ?? '?'})`);
  }
  if (f.shape) {
    lines.push(
      `${f.label}: rows ${int(f.rows)} of ${int(f.shape.plantedLinks)} planted links${f.rows === f.shape.plantedLinks ? ' (exact)' : ' (NOT exact)'}; ` +
        `${fix((100 * f.shape.linkedCaptures) / Math.max(1, f.pages), 1)}% of the ${int(f.pages)} pages (HTML captures) link Wikipedia, ` +
        `${fix(f.compressedBytes / Math.max(1, f.pages) / 1000, 1)} kB gzipped a page`,
    );
  }
  return lines.join('\n');
}

export function formatScaling(s: ScalingFigures): string {
  return (
    `scaling: ${s.files} WAT files, ${int(s.pages)} pages, warm workers: 1 worker ${fix(s.oneWorkerSeconds, 2)} s, 2 workers ${fix(s.twoWorkersSeconds, 2)} s ` +
    `-> speed-up ${fix(s.speedup, 2)}x on ${os.availableParallelism()} cores (median of ${s.runs}; ${int(s.pagesPerCoreSec)} pages/s/core with 2 workers; ` +
    `zcat on the same split: ${fix(s.zcatSpeedup, 2)}x)`
  );
}

export function formatReduce(r: readonly ReduceFigures[]): string {
  const lines = r.map(
    (x) =>
      `reducer: ${int(x.rows)} rows in ${x.files} files (${fix(x.partialBytes / 1e6, 0)} MB gzipped) -> ${int(x.outputRows)} rows: ` +
      `${fix(x.seconds, 1)} s, ${int(x.rowsPerSec)} rows/s, peak RSS ${fix(x.maxRssMb, 0)} MB`,
  );
  const [a, b] = [r[0], r[r.length - 1]];
  if (a && b && a !== b) lines.push(`reducer: peak RSS grows ${fix(b.maxRssMb / a.maxRssMb, 2)}x for ${fix(b.rows / a.rows, 1)}x the rows`);
  return lines.join('\n');
}

export function formatCost(c: CostFigures): string {
  const line = (label: string, f: CostFigures['worker']): string => {
    const p = f.projection;
    return `  ${label}: ${fix(f.bytesPerCoreSec / 1e6, 1)} MB/s per core -> ${c.instances} x ${p.instanceType} (${p.arch}, ${p.bound === 'network' ? 'network' : 'CPU'}-bound), ` +
      `${fix(p.wallHours, 2)} h, ${fix(p.instanceHours, 0)} instance-hours -> $${fix(p.totalUsd, 2)} (EC2 $${fix(p.ec2Usd + p.ebsUsd, 2)}, S3 requests $${fix(p.s3Usd, 2)})`;
  };
  return (
    `cost of one full crawl: ${c.crawl.name}, ${int(c.crawl.files)} files, ${fix(c.crawl.bytes / 1e12, 1)} TB (${c.crawl.source}); ` +
    `spot prices and bandwidth of the price table (src/cost/prices.ts), vCPU speed assumed equal on arm64:\n` +
    `${line(`pipeline (${c.basis})`, c.worker)}\n${line('zcat floor', c.zcat)}\n  ancestor: $${c.ancestorDollars}`
  );
}

export function formatTargets(t: BenchResults['targets']): string {
  return Object.entries(t)
    .map(([k, v]) => `  ${v.met ? 'met    ' : 'MISSED '} ${padR(k, 26)} target ${padR(v.target, 14)} measured ${v.measured}`)
    .join('\n');
}
