/** report.html's series (pure) and page: escaping, self-containment, what shows without a timeline, cost or outputs. */
import { describe, expect, it } from 'vitest';
import { costBreakdown, costSeries, fileStatus, renderReport, throughputSeries, type ReportData } from '../../src/report/index.js';
import type { Manifest, OutcomeFiles } from '../../src/coordinator/index.js';
import type { TimelinePoint } from '../../src/progress/index.js';

const manifest = (over: Partial<Manifest> = {}): Manifest => ({
  version: 2, runId: 'r1', job: 'wikipedia-links', status: 'failed', reason: '1 of 3 input files failed', createdAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:10:00.000Z',
  settings: { job: 'wikipedia-links', out: '/o', partitions: 2, attempts: 3, backoffMillis: 1000, maxRecordBytes: 1 },
  options: { paths: '/in/listing.txt' }, counters: { pages: 300, pages_internal: 3 }, outputs: [], sessions: 1,
  summary: { files: 3, filesDone: 2, filesFailed: 1, pages: 300, links: 40, articles: 7, seconds: 600 },
  files: { total: 3, done: 2, failed: 1, retried: 2, retriedDone: 1, workerSeconds: 7 },
  ...over,
});

const files: OutcomeFiles = {
  failed: [{ fileId: 'c', input: '/in/<c>.wat.gz', status: 'failed', attempts: 3, error: 'gzip: <unexpected end>' }],
  retried: [
    { fileId: 'b', input: '/in/b.wat.gz', status: 'done', attempts: 2, seconds: 4 },
    { fileId: 'c', input: '/in/<c>.wat.gz', status: 'failed', attempts: 3, error: 'gzip: <unexpected end>' },
  ],
};

const pt = (t: number, session: number, pages: number, done: number, costUsd: number | null = null): TimelinePoint =>
  ({ t, session, done, failed: 0, active: 1, waiting: 0, pages, links: pages / 10, bytes: 0, costUsd });

const data = (over: Partial<ReportData> = {}): ReportData => ({
  manifest: manifest(), timeline: [pt(0, 1, 0, 0), pt(60_000, 1, 600, 1, 0.01), pt(120_000, 1, 1800, 2, 0.02)], cost: null, workerSeconds: 7, files,
  topArticles: [{ key: 'en:</script><img src=x onerror=alert(1)>', lang: 'en', article: '</script><img src=x onerror=alert(1)>', count: 5, domains: 2 }],
  topDomains: [{ key: 'example.com', count: 9 }], languages: [{ key: 'en', count: 40 }], queryNote: null, generatedAt: '2026-01-01T00:11:00.000Z',
  ...over,
});

describe('report series', () => {
  it('rates between consecutive points, none across a resume', () => {
    const t = throughputSeries([pt(0, 1, 0, 0), pt(10_000, 1, 1000, 1), pt(70_000, 2, 1000, 1), pt(80_000, 2, 3000, 2)]);
    expect(t?.minutes).toEqual([0, 0.167, 1.167, 1.333]);
    expect(t?.pagesPerSec).toEqual([null, 100, null, 200]);
    expect(t?.files).toEqual([0, 1, 1, 2]);
    expect(throughputSeries([pt(0, 1, 0, 0)])).toBeNull();
  });

  it('cost over time only when the ledger reported, breakdown from cost.json', () => {
    expect(costSeries([pt(0, 1, 0, 0)])).toBeNull();
    expect(costSeries([pt(0, 1, 0, 0), pt(60_000, 1, 0, 0, 0.5)])?.usd).toEqual([null, 0.5]);
    expect(costBreakdown({ byCategory: { ec2: 1.5, s3: 0, http: 0.25 } })).toEqual([{ key: 'ec2', count: 1.5 }, { key: 'http', count: 0.25 }]);
    expect(costBreakdown(null)).toBeNull();
  });

  it('files by status, retried ones apart', () => {
    expect(fileStatus(manifest()).map((f) => [f.key, f.count])).toEqual([['done', 1], ['done after retries', 1], ['failed', 1]]);
  });
});

describe('report page', () => {
  it('is self-contained and escapes what it shows', () => {
    const html = renderReport(data());
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    expect(html).toContain('Chart.js v4');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;'); // the table
    expect(html).toContain('\\u003c/script>\\u003cimg'); // the chart data
    expect(html).toContain('/in/&lt;c&gt;.wat.gz');
    expect(html).toContain('gzip: &lt;unexpected end&gt;');
    expect(html).toContain('wikireverse resume r1 --out /o --retry-failed');
    for (const id of ['chart-throughput', 'chart-cost', 'chart-files', 'chart-articles', 'chart-domains', 'chart-languages']) expect(html).toContain(`id="${id}"`);
    expect(html).toContain('cost not tracked');
  });

  it('says what is missing instead of drawing empty charts', () => {
    const html = renderReport(data({ timeline: [], topArticles: [], topDomains: [], languages: [], queryNote: 'no outputs yet (the run was not reduced)' }));
    expect(html).toContain('no timeline recorded');
    expect(html).toContain('no outputs yet');
    expect(html).not.toContain('id="chart-throughput"');
    expect(html).not.toContain('id="chart-articles"');
  });

  it('shows the cost ledger when cost.json exists', () => {
    const html = renderReport(data({ cost: { totalUsd: 1.25, byCategory: { ec2: 1, s3: 0.25 }, items: [{ category: 'ec2', name: 'c7g.large', quantity: 2, unit: 'hours', usd: 1 }] } }));
    expect(html).toContain('id="chart-cost-breakdown"');
    expect(html).toContain('c7g.large');
    expect(html).toContain('$1.250');
  });
});
