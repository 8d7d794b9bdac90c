/** Choosing the slice of a crawl listing: --files, --segments (0-based indexes in listing order), --sample --seed. */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { checkCrawlId, crawlListingPath, parseSegments, segmentOf, segmentsOf, selectEntries } from '../../src/coordinator/crawl.js';

const SEGMENTS = ['1733066035857.0', '1733066035857.1', '1733066035857.2', '1733066035857.3'];
/** 4 segments x 3 files, as Common Crawl lists them (segment by segment). */
const LISTING = SEGMENTS.flatMap((seg, s) =>
  [0, 1, 2].map((f) => `crawl-data/CC-MAIN-2024-51/segments/${seg}/wat/CC-MAIN-20241201-${String(s * 3 + f).padStart(5, '0')}.warc.wat.gz`),
);

describe('listing selection', () => {
  it('reads the segment id of a Common Crawl path', () => {
    expect(segmentOf(LISTING[4]!)).toBe('1733066035857.1');
    expect(segmentOf('some/other/file.warc.gz')).toBeUndefined();
    expect(segmentsOf(LISTING)).toEqual(SEGMENTS);
    expect(crawlListingPath('CC-MAIN-2024-51', 'wat')).toBe('crawl-data/CC-MAIN-2024-51/wat.paths.gz');
  });

  it('--files N takes the first N entries', () => {
    expect(selectEntries(LISTING, { kind: 'files', count: 2 })).toEqual(LISTING.slice(0, 2));
    expect(selectEntries(LISTING, { kind: 'files', count: 100 })).toEqual(LISTING);
  });

  it('--segments A-B takes whole segments by 0-based index in listing order, both ends included', () => {
    expect(selectEntries(LISTING, parseSegments('1-2'))).toEqual(LISTING.slice(3, 9));
    expect(selectEntries(LISTING, parseSegments('0'))).toEqual(LISTING.slice(0, 3));
    expect(selectEntries(LISTING, parseSegments('3-10'))).toEqual(LISTING.slice(9));
    expect(() => selectEntries(LISTING, parseSegments('4-5'))).toThrow(/has 4 segments \(indexes 0-3\)/);
    expect(() => parseSegments('2-1')).toThrow(/before the start/);
    expect(() => parseSegments('a-b')).toThrow(/expected A-B/);
  });

  it('--sample N --seed S is reproducible, in listing order, and grows by adding files', () => {
    const a = selectEntries(LISTING, { kind: 'sample', count: 4, seed: 42 });
    expect(a).toHaveLength(4);
    expect(selectEntries(LISTING, { kind: 'sample', count: 4, seed: 42 })).toEqual(a);
    expect(a).toEqual(LISTING.filter((e) => a.includes(e))); // listing order
    const b = selectEntries(LISTING, { kind: 'sample', count: 6, seed: 42 });
    expect(b.filter((e) => a.includes(e))).toEqual(a);
    const other = selectEntries(LISTING, { kind: 'sample', count: 4, seed: 43 });
    expect(other).not.toEqual(a);
    // Independent of the order the listing is given in.
    expect(selectEntries([...LISTING].reverse(), { kind: 'sample', count: 4, seed: 42 }).sort()).toEqual([...a].sort());
    // The documented rule: the N entries with the smallest sha256("<seed>:<entry>").
    const rank = (e: string): string => createHash('sha256').update(`42:${e}`).digest('hex');
    expect([...a].sort()).toEqual([...LISTING].sort((x, y) => rank(x).localeCompare(rank(y))).slice(0, 4).sort());
    expect(a.map((e) => e.slice(-22, -12))).toEqual(['1201-00001', '1201-00002', '1201-00008', '1201-00011']);
  });

  it('checks crawl ids', () => {
    expect(checkCrawlId('CC-MAIN-2024-51')).toBe('CC-MAIN-2024-51');
    expect(() => checkCrawlId('2024-51')).toThrow(/CC-MAIN-2024-51/);
  });
});
