/**
 * report.html end to end: a real run (a shared redis-server, 2 local workers, one input that fails) writes it; it is
 * opened in headless chromium with the network cut off. The charts must be drawn (canvas pixels), with no console
 * errors, no request but the file itself, and no sideways scrolling on a laptop screen. A screenshot goes to test/output/.
 * Then a cost ledger (cost.json) is added and `report --html` rewrites the page with the cost breakdown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { startRedisServer, type EmbeddedRedis } from '../../src/redis/index.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { plant, tempDir, type PlantedSet } from '../helpers/fixtures.js';
import { canvasInk, openFile } from '../helpers/browser.js';

let redis: EmbeddedRedis;
let planted: PlantedSet;
let work: string;
let out: string;
const RUN = 'report-1';

beforeAll(async () => {
  redis = await startRedisServer();
  work = await tempDir('report');
  out = path.join(work, 'out');
  planted = await plant(path.join(work, 'in'), [{ kind: 'wat', files: 4, pagesPerFile: 300, seed: 41, wikiLinkRate: 0.3 }]);
  await fsp.appendFile(planted.listing, `${path.join(work, 'in', 'missing-00000.wat.gz')}\n`);
  const res = await runCli(['run', '--paths', planted.listing, '--out', out, '--workers', '2', '--redis', redis.url, '--run-id', RUN, '--partitions', '2', '--attempts', '1', '--no-preflight'], { WIKIREVERSE_POLL_MS: '200' });
  expect(res.code, res.stderr).toBe(1);
  expect(res.stderr).toContain(`report: ${out}/${RUN}/report.html`);
});

afterAll(async () => {
  await redis?.stop();
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

async function check(file: string, shot: string, expectCharts: string[]): Promise<{ loadMillis: number }> {
  const opened = await openFile(file);
  try {
    const { page } = opened;
    await page.waitForFunction('Number(document.body.dataset.charts) > 0', undefined, { timeout: 10_000 });
    const ink = await canvasInk(page);
    for (const id of expectCharts) expect(ink[id], `canvas ${id} drawn`).toBeGreaterThan(500);
    expect(opened.consoleErrors).toEqual([]);
    expect(opened.foreignRequests).toEqual([]);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow, 'no sideways scrolling at 1366px').toBeLessThanOrEqual(0);
    await fsp.mkdir(path.join(ROOT, 'test/output'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, 'test/output', shot), fullPage: true });
    return { loadMillis: opened.loadMillis };
  } finally {
    await opened.close();
  }
}

describe('report.html', () => {
  it('is self-contained and its charts render in headless chromium', async () => {
    const file = `${out}/${RUN}/report.html`;
    const html = await fsp.readFile(file, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/[^"'\s]*\.(js|css)\b/);
    expect(html).toContain('missing-00000.wat.gz');
    expect(html).toContain('Top linked articles');
    const timeline = JSON.parse(await fsp.readFile(`${out}/${RUN}/timeline.json`, 'utf8')) as { points: Array<{ costUsd: number | null }> };
    expect(timeline.points.length).toBeGreaterThanOrEqual(2);
    // The cost ledger (src/cost) keeps the run's total in Redis; the timeline records it at every point.
    expect(typeof timeline.points.at(-1)?.costUsd).toBe('number');
    const { loadMillis } = await check(file, 'report.png', ['chart-throughput', 'chart-cost', 'chart-files', 'chart-articles', 'chart-domains', 'chart-languages']);
    console.log(`report.html: ${html.length} bytes, loaded and drawn in ${loadMillis} ms`);
  });

  it('`report --html` rewrites it with the cost ledger breakdown from cost.json', async () => {
    const ledger = { runId: RUN, totalUsd: 0.0521, computedAt: new Date().toISOString(), currency: 'USD', byCategory: { ec2: 0.04, ebs: 0.002, s3: 0.0101 },
      items: [{ category: 'ec2', name: 'c7g.large spot', quantity: 1.2, unit: 'hours', usd: 0.04 }], instances: [], monthlyStorageUsd: 0.001,
      projected: { cpuSeconds: 10, vcpuHours: 0.003, ec2SpotUsd: 0.0001 } };
    // A ledger the run did not write (a number as text) is left out; the report is still written.
    await fsp.writeFile(`${out}/${RUN}/cost.json`, JSON.stringify({ ...ledger, totalUsd: '5' }));
    const spoiled = await runCli(['report', RUN, '--out', out, '--html']);
    expect(spoiled.code, spoiled.stderr).toBe(0);
    expect(await fsp.readFile(`${out}/${RUN}/report.html`, 'utf8')).not.toContain('c7g.large spot');
    await fsp.writeFile(`${out}/${RUN}/cost.json`, JSON.stringify(ledger));
    const res = await runCli(['report', RUN, '--out', out, '--html']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`${RUN}/report.html`);
    const html = await fsp.readFile(`${out}/${RUN}/report.html`, 'utf8');
    expect(html).toContain('c7g.large spot');
    await check(`${out}/${RUN}/report.html`, 'report-with-cost.png', ['chart-cost-breakdown', 'chart-throughput']);
  });
});
