/**
 * What a run selects from a listing or a crawl: the kinds, and the parsing of `--segments`. No I/O and no dependencies,
 * so the command line can check its flags without loading the coordinator.
 */

export type Selection =
  | { readonly kind: 'all' }
  | { readonly kind: 'files'; readonly count: number }
  | { readonly kind: 'segments'; readonly from: number; readonly to: number }
  | { readonly kind: 'sample'; readonly count: number; readonly seed: number };

export type CrawlInput = 'wat' | 'warc';
export type CrawlSource = 'https' | 's3';

/** Parses `A-B` or `A` (0-based segment indexes, inclusive). */
export function parseSegments(spec: string): Selection {
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec.trim());
  if (!m) throw new Error(`--segments ${JSON.stringify(spec)}: expected A-B or A (0-based segment indexes in listing order, both included)`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (to < from) throw new Error(`--segments ${spec}: the end (${to}) is before the start (${from})`);
  return { kind: 'segments', from, to };
}

export function checkCrawlId(crawl: string): string {
  if (!/^CC-MAIN-\d{4}-\d{2}$/.test(crawl)) {
    throw new Error(`--crawl ${JSON.stringify(crawl)}: expected a crawl id such as CC-MAIN-2024-51 (see https://commoncrawl.org/overview)`);
  }
  return crawl;
}

/** `--crawl A,B,...`: one or more crawl ids, each checked, in the order given, each once. */
export function checkCrawlIds(crawls: string): string[] {
  const ids = crawls.split(',').map((c) => c.trim());
  if (ids.some((c) => c === '')) throw new Error(`--crawl ${JSON.stringify(crawls)}: give crawl ids separated by commas, e.g. CC-MAIN-2024-46,CC-MAIN-2024-51`);
  return [...new Set(ids.map(checkCrawlId))];
}
