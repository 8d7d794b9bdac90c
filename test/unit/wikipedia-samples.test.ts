import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { MapContext, RecordView } from '../../src/job/types.js';
import { watPage, wikipediaLinksJob as job, type LinkRow } from '../../jobs/wikipedia/index.js';

/** The real samples in test/fixtures/samples (see /work/shared/samples/README.md). */
const SAMPLES = 'test/fixtures/samples';

function context(): MapContext & { counters: Record<string, number> } {
  const counters: Record<string, number> = {};
  return {
    inputFile: 'sample',
    counters,
    count(name: string, n = 1) {
      counters[name] = (counters[name] ?? 0) + n;
    },
  };
}

function mapAll(records: Iterable<RecordView>): { rows: LinkRow[]; counters: Record<string, number> } {
  const ctx = context();
  const rows: LinkRow[] = [];
  for (const record of records) if (job.wants(record)) rows.push(...job.map(record, ctx));
  return { rows, counters: ctx.counters };
}

/** Minimal reader for the uncompressed sample: WARC records with Content-Length blocks, HTTP headers split off. */
function* responses(warc: Buffer): Generator<RecordView> {
  let pos = 0;
  while (pos < warc.length) {
    const headerEnd = warc.indexOf('\r\n\r\n', pos);
    if (headerEnd === -1) return;
    const header = warc.toString('latin1', pos, headerEnd);
    const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(header)?.[1]?.trim() ?? '';
    const length = Number(field('Content-Length'));
    const block = warc.subarray(headerEnd + 4, headerEnd + 4 + length);
    pos = headerEnd + 4 + length + 4;
    if (field('WARC-Type') !== 'response') continue;
    const httpEnd = block.indexOf('\r\n\r\n');
    const http = block.toString('latin1', 0, httpEnd);
    yield {
      warcType: 'response',
      targetUri: field('WARC-Target-URI').replace(/^<|>$/g, ''),
      date: field('WARC-Date'),
      contentType: /^Content-Type:\s*(.*)$/im.exec(http)?.[1]?.trim() ?? '',
      payload: block.subarray(httpEnd + 4),
      truncated: false,
    };
  }
}

describe('real sample: wget-2024-commoncrawl-blog.warc.gz', () => {
  it('finds the three English Wikipedia articles of the web-graph blog post', () => {
    const warc = gunzipSync(readFileSync(`${SAMPLES}/wget-2024-commoncrawl-blog.warc.gz`));
    const { rows, counters } = mapAll(responses(warc));
    expect(rows.map((r) => [r.lang, r.article, r.anchor_text, r.source_host, r.source_domain])).toEqual([
      ['en', 'Strongly_connected_component', 'strongly connected component', 'commoncrawl.org', 'commoncrawl.org'],
      ['en', 'Reverse_domain_name_notation', 'reverse domain name notation', 'commoncrawl.org', 'commoncrawl.org'],
      ['en', 'Public_Suffix_List', 'public suffix list', 'commoncrawl.org', 'commoncrawl.org'],
    ]);
    expect(rows[0]?.source_url).toMatch(/^https:\/\/commoncrawl\.org\/blog\/host-and-domain-level-web-graphs/);
    expect(counters.pages_parsed).toBe(1);
    expect(counters.links_kept).toBe(3);
    expect((counters.pages ?? 0) - 1).toBe(counters.pages_prefiltered);
  });
});

describe('real sample: CC-MAIN-2024-22-whirlwind.warc.gz', () => {
  it('skips the an.wikipedia.org page as internal', () => {
    const warc = gunzipSync(readFileSync(`${SAMPLES}/CC-MAIN-2024-22-whirlwind.warc.gz`));
    const { rows, counters } = mapAll(responses(warc));
    expect(rows).toEqual([]);
    expect(counters).toEqual({ pages: 1, pages_internal: 1 });
  });
});

describe('real sample: CC-MAIN-2024-22-whirlwind.warc.wat.gz', () => {
  it('ignores metadata records that are not about an HTML page', () => {
    const sample = gunzipSync(readFileSync(`${SAMPLES}/CC-MAIN-2024-22-whirlwind.warc.wat.gz`));
    const json = sample.toString('utf8').slice(sample.indexOf('{"Container"')).trim();
    const record: RecordView = {
      warcType: 'metadata',
      targetUri: 'https://an.wikipedia.org/wiki/Escopete',
      date: '2024-05-31T01:17:49Z',
      contentType: 'application/json',
      payload: Buffer.from(json),
      truncated: false,
    };
    expect(mapAll([record])).toEqual({ rows: [], counters: {} });
    expect(watPage(JSON.parse(json))).toBeNull(); // a request record
  });
});
