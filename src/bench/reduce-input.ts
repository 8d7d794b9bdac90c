/**
 * Reducer benchmark input: a run's committed partials, written in the workers' format (one object per file with a
 * gzip member per partition + its commit record), and the reduce tasks' input list, with N generated link rows. Article popularity is skewed
 * (a few articles get most links) and ~5% of the rows repeat a key from another file, so the de-duplication works.
 * Cached by (rows, partitions, seed).
 */
import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { jobRegistry, DEFAULT_JOB } from '../../jobs/index.js';
import { resolveJob, partitionOf } from '../job/index.js';
import { LocalStore, footerMember, partialPath, reduceInputsPath, type FileResult, type PartRange } from '../storage/index.js';
import { inputLine } from '../reduce/index.js';
import { Rng } from '../fixtures/rng.js';

const gzip = promisify(zlib.gzip);

export const REDUCE_RUN_ID = 'bench-reduce';
const ROWS_PER_FILE = 250_000;
/** The edition of article id i is BENCH_LANGS[i % 16] (English a quarter of them). */
export const BENCH_LANGS = ['en', 'en', 'en', 'en', 'de', 'fr', 'es', 'ja', 'ru', 'it', 'pt', 'zh', 'pl', 'nl', 'sv', 'zh-yue'];
const WORDS = ['History', 'River', 'Theory', 'City', 'Battle', 'Music', 'Album', 'Station', 'Island', 'Party', 'Church', 'School'];

/** The title of article id i (in edition BENCH_LANGS[i % 16]). */
export const benchArticle = (id: number): string => `${WORDS[id % WORDS.length] as string}_of_${id.toString(36)}`;

export interface ReduceInput {
  readonly storeDir: string;
  readonly runId: string;
  readonly rows: number;
  readonly files: number;
  readonly partitions: number;
  /** gzipped bytes of all partials. */
  readonly bytes: number;
}

function makeRow(rng: Rng, i: number, fileIndex: number, rowsPerFile: number): Record<string, string | null> {
  // ~5% of rows are a page of the previous file again: the same key (article and URL follow from the page), captured
  // on another date in another file, which the merge must drop.
  const page = fileIndex > 0 && rng.chance(0.05) ? `p${rng.int(rowsPerFile)}-f${fileIndex - 1}` : `p${i}-f${fileIndex}`;
  const h = partitionOf(page, 0x7fffffff) / 0x7fffffff;
  // Zipf-like article choice: small ids much more likely.
  const articleId = Math.floor(Math.pow(h, 3) * 2_000_000);
  const lang = BENCH_LANGS[articleId % BENCH_LANGS.length] as string;
  const article = benchArticle(articleId);
  const site = partitionOf(`${page}/site`, 200_000);
  const host = `www.site-${site}.example-${site % 97}.com`;
  return {
    lang,
    article,
    source_url: `https://${host}/articles/${page}.html`,
    source_host: host,
    source_domain: `example-${site % 97}.com`,
    source_title: rng.chance(0.06) ? null : `Page ${page} on site ${site}`,
    anchor_text: rng.chance(0.05) ? null : article.replace(/_/g, ' '),
    warc_date: `2024-05-${String(1 + (i % 28)).padStart(2, '0')}T12:00:00Z`,
    crawl: 'CC-MAIN-2024-22',
    input_file: `s3://commoncrawl/crawl-data/CC-MAIN-2024-22/segments/bench/wat/file-${fileIndex}.warc.wat.gz`,
  };
}

/** The cached partials for `rows` rows, generated first when missing. */
export async function reduceInput(cacheDir: string, rows: number, partitions: number, seed: number, log: (l: string) => void, rowsPerFile = ROWS_PER_FILE): Promise<ReduceInput> {
  const storeDir = path.join(cacheDir, `v6-reduce-r${rows}-p${partitions}-s${seed}${rowsPerFile === ROWS_PER_FILE ? '' : `-f${rowsPerFile}`}`);
  const marker = path.join(storeDir, 'bench-input.json');
  if (fs.existsSync(marker)) return JSON.parse(await fsp.readFile(marker, 'utf8')) as ReduceInput;
  await fsp.rm(storeDir, { recursive: true, force: true });
  log(`generating ${rows.toLocaleString('en-US')} reducer rows into ${storeDir} ...`);
  const job = resolveJob(jobRegistry, DEFAULT_JOB);
  const store = new LocalStore(storeDir);
  const files = Math.ceil(rows / rowsPerFile);
  let bytes = 0;
  const list: string[] = [];
  for (let f = 0; f < files; f++) {
    const rng = Rng.derive(seed, 0x12ed, f);
    const n = Math.min(rowsPerFile, rows - f * rowsPerFile);
    const parts: string[][] = Array.from({ length: partitions }, () => []);
    for (let i = 0; i < n; i++) {
      const row = makeRow(rng, i, f, rowsPerFile);
      (parts[partitionOf(job.partitionKey(row), partitions)] as string[]).push(JSON.stringify(row));
    }
    const fileId = `file-${String(f).padStart(5, '0')}`;
    const members = await Promise.all(parts.map(async (lines) => (lines.length === 0 ? null : gzip(lines.join('\n') + '\n', { level: 1 }))));
    const ranges: PartRange[] = [];
    let offset = 0;
    members.forEach((m, p) => {
      if (!m) return;
      ranges.push({ partition: p, offset, bytes: m.length, rows: (parts[p] as string[]).length, sha256: createHash('sha256').update(m).digest('hex') });
      offset += m.length;
    });
    bytes += offset;
    const result: FileResult = {
      fileId, input: `file-${f}`, kind: 'wat', rows: n, parts: ranges, counters: {}, compressedBytes: 0, seconds: 0, attempt: 1,
    };
    // As a worker writes it: the members, then the commit record as the last member.
    await store.put(partialPath(REDUCE_RUN_ID, fileId), Buffer.concat([...members.flatMap((m) => (m ? [m] : [])), footerMember(JSON.stringify(result))]));
    list.push(inputLine(result));
  }
  await store.put(reduceInputsPath(REDUCE_RUN_ID), list.join(''));
  const input: ReduceInput = { storeDir, runId: REDUCE_RUN_ID, rows, files, partitions, bytes };
  await fsp.writeFile(marker, JSON.stringify(input, null, 2));
  return input;
}
