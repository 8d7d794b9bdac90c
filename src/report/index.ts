/**
 * The run report: `<out>/<runId>/report.html`, written at the end of every run (ReportObserver) and by
 * `wikireverse report <runId> --out DIR --html`.
 */
import type { Manifest, RunObserver } from '../coordinator/index.js';
import { reportPath, type OutputStore } from '../storage/index.js';
import { gatherReport } from './data.js';
import { renderReport } from './html.js';

export { gatherReport, type ReportData, type CostFile } from './data.js';
export { renderReport, chartJsSource } from './html.js';
export { throughputSeries, costSeries, costBreakdown, fileStatus } from './series.js';

/** Builds report.html from the run's files in the store and writes it there; returns its path in the store and size. */
export async function writeRunReport(store: OutputStore, manifest: Manifest): Promise<{ path: string; bytes: number }> {
  const html = renderReport(await gatherReport(store, manifest));
  const path = reportPath(manifest.runId);
  await store.put(path, html);
  return { path, bytes: Buffer.byteLength(html) };
}

/** Writes report.html when a run ends (after the progress observer has written the timeline). */
export class ReportObserver implements RunObserver {
  constructor(private readonly say: (line: string) => void) {}

  async onFinish(manifest: Manifest, store: OutputStore): Promise<void> {
    try {
      const { path } = await writeRunReport(store, manifest);
      this.say(`report: ${store.location}/${path}`);
    } catch (err) {
      this.say(`report.html not written (${(err as Error).message}); write it later with: wikireverse report ${manifest.runId} --out ${manifest.settings.out} --html`);
    }
  }
}
