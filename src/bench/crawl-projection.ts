/**
 * The whole crawls the benchmarks project (their sizes stated with their sources, not measured here), and the
 * projection of one from a speed measured in the same run: `projectRun` (src/cost/projection.ts), the function
 * `estimate` uses, over every instance type of the price table, with the run's layout for that many files.
 */
import { defaultPartitions } from '../coordinator/index.js';
import { SETTINGS } from '../config/index.js';
import { pricedTypes, projectRun, type PriceTable, type Projection } from '../cost/index.js';

export interface CrawlShape {
  readonly name: string;
  readonly files: number;
  readonly pages: number;
  /** Gzipped bytes of the whole input set. */
  readonly bytes: number;
  /** Links to Wikipedia articles it holds (the reduce's rows). */
  readonly links: number;
  /** Where each figure comes from. */
  readonly source: string;
}

/** Links to Wikipedia articles per page, as the ancestor found them (36 million in 3.6 billion pages). */
const LINKS_PER_PAGE = 36e6 / 3.6e9;

/**
 * A recent monthly crawl's WAT set: CC-MAIN-2024-51's 2.64 billion pages; the 100,000 files a recent crawl lists;
 * 6.91 KB of gzipped WAT a page (CC-MAIN-2019-09, the latest crawl whose announcement gives the WAT set's size:
 * 18.23 TiB for 2.9 billion pages). 18.2 TB, 182 MB a file.
 */
export const RECENT_WAT: CrawlShape = {
  name: 'CC-MAIN-2024-51 (WAT)',
  files: 100_000,
  pages: 2.64e9,
  bytes: 2.64e9 * 6_910,
  links: 2.64e9 * LINKS_PER_PAGE,
  source:
    "2.64 billion pages (Common Crawl's announcement of CC-MAIN-2024-51); 100,000 WAT files (a recent crawl's count, assumed); " +
    '6.91 KB gzipped a page (CC-MAIN-2019-09: 18.23 TiB of WAT for 2.9 billion pages, the latest published WAT size)',
};

/** The crawl the ancestor read: 63,560 WAT files, 3.6 billion pages, 36 million links; 5.6 KB a page (2014-15 WAT). */
export const ANCESTOR_CRAWL: CrawlShape = {
  name: 'the 2014-15 crawl the ancestor read (WAT)',
  files: 63_560,
  pages: 3.6e9,
  bytes: 3.6e9 * 5_600,
  links: 36e6,
  source: "the ancestor's 63,560 WAT files, 3.6 billion pages and 36 million links; 5.6 KB gzipped a page (a real 2014-15 WAT file)",
};

export interface CrawlSpeed {
  /** Gzipped input bytes per CPU-second of one core, on real-shaped records. */
  readonly bytesPerCoreSec: number;
  /** CPU seconds a file costs whatever its size (start, listing, commit). */
  readonly fixedSecondsPerFile: number;
}

/** The projection of `crawl` at `speed` on `instances` instances, the cheapest type per file of the table's types. */
export function projectCrawl(crawl: CrawlShape, speed: CrawlSpeed, prices: PriceTable, instances: number, launchableArchs?: readonly string[]): Projection {
  const bytesPerFile = crawl.bytes / crawl.files;
  const partitions = defaultPartitions(crawl.files);
  return projectRun({
    sample: { files: 1, seconds: speed.fixedSecondsPerFile + bytesPerFile / speed.bytesPerCoreSec, bytes: bytesPerFile },
    filesTotal: crawl.files, instances, instanceTypes: pricedTypes(prices), ...(launchableArchs ? { launchableArchs } : {}),
    spotPerHour: {}, prices,
    // Common Crawl's inputs: their GETs are billed to the bucket's owner, not to the run.
    requestsPerFile: 1, inputRequestsBilled: false,
    partitions, reduceTasks: Math.ceil(partitions / SETTINGS.reduceTaskPartitions.default), outputsPerPartition: 2, rollups: 1,
  });
}
