/** The options of `run` that say what to read: a listing (`--paths`) or a Common Crawl crawl, and the slice of it. */
import { Option, type Command } from 'commander';
import { checkCrawlIds, parseSegments, type CrawlInput, type CrawlSource, type Selection } from '../coordinator/selection.js';
import { SETTINGS } from '../config/index.js';
import { intOption, UsageError } from './io.js';
import type { CommandContext } from './context.js';

export interface InputFlags {
  paths?: string;
  crawl?: string;
  input: CrawlInput;
  source?: CrawlSource;
  inputBase?: string;
  files?: number;
  segments?: string;
  sample?: number;
  seed?: number;
  trustListing: boolean;
  preflight: boolean;
  where?: string;
  index?: string;
}

export function addInputOptions(cmd: Command, ctx: CommandContext): Command {
  const source = new Option('--source <source>', 'where --crawl reads: https (data.commoncrawl.org) or s3 (s3://commoncrawl/, needs AWS credentials); default: s3 when AWS credentials are found, else https')
    .choices(SETTINGS.source.choices);
  if (ctx.config.source !== undefined) source.default(ctx.config.source);
  return cmd
    .option('--paths <listing>', 'listing of inputs (one per line, gzipped or not; a local path, https:// or s3:// URL), a directory, or a glob')
    .option('--crawl <id>', 'a Common Crawl crawl, e.g. CC-MAIN-2024-51, or several separated by commas (their listings one after another): its listing and files are read from the source')
    .addOption(new Option('--input <kind>', 'with --crawl: which files (wat: links metadata, warc: whole responses)').choices(['wat', 'warc']).default('wat'))
    .addOption(source)
    .option('--input-base <base>', "base for relative listing entries (default: the listing's directory; with --crawl it replaces the source)")
    .option('--files <n>', 'only the first N files of the listing', intOption('--files', 1))
    .option('--segments <A-B>', 'only segments A to B (0-based indexes in listing order, both included)')
    .option('--sample <n>', 'a reproducible random sample of N files (see --seed)', intOption('--sample', 1))
    .option('--seed <s>', 'seed of --sample', intOption('--seed'))
    .option('--where <predicate>', "with --crawl: only the records this SQL predicate over Common Crawl's URL index selects (e.g. \"url_host_tld = 'no' AND content_languages = 'nor'\"), each read with a Range request")
    .option('--index <location>', "with --where: the index's Parquet files (a file, directory, glob or listing; local, https:// or s3://); default: the crawl's crawl-data/<id>/cc-index-table.paths.gz")
    .option('--trust-listing', 'let a listing fetched over the network name local files and private addresses (refused by default)', false)
    .option('--no-preflight', 'start without checking the inputs first (by default every local one must be readable and a sample of 5 remote ones must answer)');
}

/** Checks the combination and returns what `Coordinator.start` needs. */
export function inputRequest(f: InputFlags): {
  paths?: string; crawl?: string; input: CrawlInput; source?: CrawlSource; inputBase?: string; selection: Selection; trustListing: boolean;
  preflight: boolean; where?: string; index?: string;
} {
  if ((f.paths === undefined) === (f.crawl === undefined)) {
    throw new UsageError('give either --paths <listing> or --crawl <id> (e.g. --crawl CC-MAIN-2024-51)');
  }
  const chosen = [f.files !== undefined && '--files', f.segments !== undefined && '--segments', f.sample !== undefined && '--sample'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`${chosen.join(' and ')} cannot be combined: choose one way to slice the listing`);
  if (f.seed !== undefined && f.sample === undefined) throw new UsageError('--seed only applies to --sample');
  if (f.where !== undefined || f.index !== undefined) {
    if (f.crawl === undefined || f.where === undefined) throw new UsageError('--where selects records of a crawl through its index: give it with --crawl <id> (and --index only with --where)');
    if (chosen.length > 0) throw new UsageError(`${chosen.join(' and ')} cannot be combined with --where: the predicate chooses the records`);
  }
  if (f.crawl !== undefined) {
    let crawls: string[];
    try {
      crawls = checkCrawlIds(f.crawl);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (f.where !== undefined && crawls.length > 1) throw new UsageError(`--where selects records through one crawl's index: give one crawl with it, not ${crawls.length}`);
  }
  let selection: Selection = { kind: 'all' };
  if (f.files !== undefined) selection = { kind: 'files', count: f.files };
  else if (f.sample !== undefined) selection = { kind: 'sample', count: f.sample, seed: f.seed ?? 0 };
  else if (f.segments !== undefined) {
    try {
      selection = parseSegments(f.segments);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return {
    ...(f.paths !== undefined ? { paths: f.paths } : {}),
    ...(f.crawl !== undefined ? { crawl: f.crawl } : {}),
    input: f.input,
    ...(f.source !== undefined ? { source: f.source } : {}),
    ...(f.inputBase !== undefined ? { inputBase: f.inputBase } : {}),
    selection,
    trustListing: f.trustListing,
    preflight: f.preflight,
    ...(f.where !== undefined ? { where: f.where } : {}),
    ...(f.index !== undefined ? { index: f.index } : {}),
  };
}
