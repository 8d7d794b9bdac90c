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
