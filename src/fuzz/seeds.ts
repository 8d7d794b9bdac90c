/**
 * The inputs mutants are made from: the real samples (test/fixtures/samples/*.gz, Common Crawl's WARC/WAT/WET, and
 * test/fixtures/arc/*.gz, a Heritrix ARC file) cut to their first records, and small WAT, WARC and ARC files from the
 * fixture generator, gzipped and plain. Each seed is held as its records (plain bytes) and its gzip members (one per
 * record, as Common Crawl and ARC writers store them).
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { generateFixtures } from '../fixtures/index.js';
import { splitArcRecords, splitRecords } from '../fixtures/corrupt.js';
import { gzip, splitGzipMembers } from './warc-bytes.js';
import type { GzipSeed } from './gzip-mutations.js';

export interface Seed extends GzipSeed {
  readonly name: string;
  /** Its records back to back: what the plain mutations work on. */
  readonly plain: Buffer;
}

export interface SeedOptions {
  /** Directories of real `.gz` samples (one gzip member per record). */
  readonly samplesDirs: readonly string[];
  /** Scratch directory for the generated files. */
  readonly workDir: string;
  /** Records kept per seed. @default 200 */
  readonly maxRecords?: number;
  /** Plain bytes kept per seed (records are added while under it). @default 384 KiB */
  readonly maxPlainBytes?: number;
}

/** The first records of a seed that fit the limits (at least one). */
function cut<T extends { readonly plain: Buffer }>(items: readonly T[], maxRecords: number, maxBytes: number): T[] {
  const out: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (out.length > 0 && (out.length >= maxRecords || bytes + item.plain.length > maxBytes)) break;
    out.push(item);
    bytes += item.plain.length;
  }
  return out;
}

function seedOf(name: string, members: readonly { readonly compressed: Buffer; readonly plain: Buffer }[]): Seed {
  const records = members.map((m) => m.plain);
  return { name, members: members.map((m) => m.compressed), records, plain: Buffer.concat(records) };
}

/** Generated files: WAT, WARC and ARC, one gzipped and one plain of each (fixed generator seeds: the same every run). */
const GENERATED = [
  { kind: 'wat', gzip: true, pagesPerFile: 40, seed: 11 },
  { kind: 'wat', gzip: false, pagesPerFile: 40, seed: 12 },
  { kind: 'warc', gzip: true, pagesPerFile: 12, seed: 13 },
  { kind: 'warc', gzip: false, pagesPerFile: 12, seed: 14 },
  { kind: 'arc', gzip: true, pagesPerFile: 24, seed: 15 },
  { kind: 'arc', gzip: false, pagesPerFile: 24, seed: 16 },
] as const;

export async function loadSeeds(opts: SeedOptions): Promise<Seed[]> {
  const maxRecords = opts.maxRecords ?? 200;
  const maxBytes = opts.maxPlainBytes ?? 384 * 1024;
  const seeds: Seed[] = [];
  for (const dir of opts.samplesDirs) {
    const samples = (await fsp.readdir(dir)).filter((f) => f.endsWith('.gz')).sort();
    if (samples.length === 0) throw new Error(`No .gz samples in ${dir}: give directories of real WARC/WAT/WET or ARC samples with --samples`);
    for (const file of samples) {
      const members = splitGzipMembers(await fsp.readFile(path.join(dir, file)));
      seeds.push(seedOf(file, cut(members, maxRecords, maxBytes)));
    }
  }
  for (const g of GENERATED) {
    const set = await generateFixtures({
      outDir: opts.workDir, kind: g.kind, files: 1, pagesPerFile: g.pagesPerFile, seed: g.seed, gzip: g.gzip,
      wikiLinkRate: 0.3, avgPageBytes: 6000, prefix: `seed-${g.kind}-${g.gzip ? 'gz' : 'plain'}`,
    });
    const file = set.files[0] as string;
    const bytes = await fsp.readFile(file);
    const members = g.gzip
      ? splitGzipMembers(bytes)
      : (g.kind === 'arc' ? splitArcRecords(bytes) : splitRecords(bytes)).map((r) => ({ compressed: gzip(r.bytes), plain: r.bytes }));
    seeds.push(seedOf(path.basename(file), cut(members, maxRecords, maxBytes)));
  }
  return seeds;
}
