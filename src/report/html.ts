/**
 * report.html: one self-contained page (styles, data, Chart.js and the chart script inlined; nothing fetched), laid out
 * to fit a laptop screen without scrolling sideways.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { buildOutcome } from '../coordinator/index.js';
import { duration } from '../log/index.js';
import { compact, usd } from '../progress/index.js';
import { CHARTS_SCRIPT } from './charts.js';
import type { ReportData } from './data.js';
import { costBreakdown, costSeries, fileStatus, throughputSeries } from './series.js';

let chartLib: string | undefined;

/** Chart.js's UMD build, read from node_modules once. */
export function chartJsSource(): string {
  if (chartLib === undefined) {
    const dist = path.dirname(createRequire(import.meta.url).resolve('chart.js'));
    chartLib = fs.readFileSync(path.join(dist, 'chart.umd.min.js'), 'utf8');
  }
  return chartLib;
}

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** JSON or JS that is safe inside a <script> element. */
const scriptSafe = (s: string): string => s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
const jsonSafe = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

const table = (head: string[], rows: unknown[][], cls = ''): string =>
  `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
  rows.map((r) => `<tr>${r.map((c) => `<td>${typeof c === 'number' ? c.toLocaleString('en-US') : esc(c)}</td>`).join('')}</tr>`).join('') +
  '</tbody></table>';

const card = (label: string, value: string): string => `<div class="card"><div class="v">${esc(value)}</div><div class="l">${esc(label)}</div></div>`;
const chart = (id: string, title: string, tall = false): string =>
  `<figure><figcaption>${esc(title)}</figcaption><div class="chart${tall ? ' tall' : ''}"><canvas id="${id}"></canvas></div></figure>`;
const note = (text: string): string => `<p class="note">${esc(text)}</p>`;

export function renderReport(d: ReportData): string {
  const m = d.manifest;
  const r = buildOutcome(m, d.files);
  const s = m.summary;
  const throughput = throughputSeries(d.timeline);
  const costLine = costSeries(d.timeline);
  const breakdown = costBreakdown(d.cost);
  const lastCost = [...d.timeline].reverse().find((p) => p.costUsd !== null)?.costUsd ?? null;
  const totalUsd = d.cost?.totalUsd ?? lastCost;
  const seconds = s?.seconds ?? (m.finishedAt ? (Date.parse(m.finishedAt) - Date.parse(m.createdAt)) / 1000 : null);
  const data = {
    throughput, costSeries: costLine, costBreakdown: breakdown, fileStatus: fileStatus(m),
    topArticles: d.topArticles, topDomains: d.topDomains, languages: d.languages,
  };
  const settings = { ...m.settings, ...m.options, sessions: m.sessions ?? 1, createdAt: m.createdAt, finishedAt: m.finishedAt ?? '-' };
  const costText = d.cost
    ? `cost ledger (cost.json, computed ${d.cost.computedAt ?? '?'}): ${usd(d.cost.totalUsd ?? null)}` +
      (d.cost.monthlyStorageUsd !== undefined ? `; output storage ${usd(d.cost.monthlyStorageUsd)} per month` : '') +
      (d.cost.projected?.ec2SpotUsd ? `. The workers' CPU time (${(d.cost.projected.vcpuHours ?? 0).toFixed(3)} vCPU-hours) on EC2 spot would cost ${usd(d.cost.projected.ec2SpotUsd)}.` : '')
    : `cost not tracked (no cost ledger ran for this run: no cost.json). Workers spent ${duration(d.workerSeconds * 1000)} on committed files` +
      (seconds ? ` in ${duration(seconds * 1000)} of wall time.` : '.');
  const costItems = (d.cost?.items ?? []).filter((i) => (i.usd ?? 0) > 0);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>WikiReverse run ${esc(m.runId)}: ${esc(m.status)}</title>
<style>${CSS}</style></head>
<body data-charts="0">
<header><h1>Run <code>${esc(m.runId)}</code> <span class="badge ${esc(m.status)}">${esc(m.status)}</span></h1>
${m.reason ? `<p class="reason">${esc(m.reason)}</p>` : ''}
<p class="meta">job ${esc(m.job)} · created ${esc(m.createdAt)}${m.finishedAt ? ` · finished ${esc(m.finishedAt)}` : ''} · report generated ${esc(d.generatedAt)}</p></header>
<section class="cards">
${card('files done', `${r.files.ok}/${r.files.total}`)}${card('files failed', String(r.files.failed))}${card('pages', compact(s?.pages ?? m.counters.pages ?? 0))}
${card('links', compact(s?.links ?? 0))}${card('articles', compact(s?.articles ?? 0))}${card('duration', duration(seconds === null ? null : seconds * 1000))}
${card('cost', usd(totalUsd ?? null))}</section>
<section><h2>Throughput over time</h2>
${throughput ? chart('chart-throughput', 'pages and links per second (left), files finished (right)') : note('no timeline recorded for this run (timeline.json missing or with fewer than two points)')}</section>
<section><h2>Cost</h2>${note(costText)}<div class="grid">
${costLine ? chart('chart-cost', 'cost so far over time') : ''}${breakdown ? chart('chart-cost-breakdown', 'cost by category') : ''}</div>
${costItems.length ? table(['category', 'item', 'quantity', 'unit', 'USD'], costItems.map((i) => [i.category ?? '', i.name ?? '', i.quantity ?? '', i.unit ?? '', (i.usd ?? 0).toFixed(4)])) : ''}</section>
<section><h2>Files</h2><div class="grid">${chart('chart-files', 'files by status')}
<div>${table(['', 'files'], [['total', r.files.total], ['ok', r.files.ok], ['retried', r.files.retried], ['failed', r.files.failed], ['pending', r.files.pending]])}</div></div>
${r.failed.length ? `<h3>Failed files</h3>${table(['input', 'attempts', 'last error'], r.failed.map((f) => [f.input, f.attempts, f.error]), 'wrap')}
<p class="note">retry just those: <code>wikireverse resume ${esc(m.runId)} --out ${esc(m.settings.out)} --retry-failed</code></p>` : note('no failed files')}</section>
<section><h2>Links</h2>${d.queryNote ? note(d.queryNote) : ''}<div class="grid">
${d.topArticles.length ? chart('chart-articles', `top ${d.topArticles.length} linked articles (linking pages)`, true) : ''}
${d.topDomains.length ? chart('chart-domains', `top ${d.topDomains.length} linking domains (links)`, true) : ''}</div>
${d.languages.length ? chart('chart-languages', 'links by Wikipedia language') : ''}
${d.topArticles.length ? `<h3>Top linked articles</h3>${table(['lang', 'article', 'linking pages', 'linking domains'], d.topArticles.map((a) => [a.lang, a.article, a.count, a.domains]), 'wrap')}` : ''}</section>
<section><h2>Settings</h2>${table(['setting', 'value'], Object.entries(settings).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]), 'wrap')}</section>
${Object.keys(r.skipped).length ? `<section><h2>Skipped, by reason</h2>${table(['counter', 'count'], Object.entries(r.skipped))}</section>` : ''}
<section><h2>Outputs</h2>${Object.keys(r.outputs).length ? table(['output', 'files', 'rows', 'bytes'], Object.entries(r.outputs).map(([k, o]) => [`${k}/`, o.files, o.rows, o.bytes])) : note('no outputs')}</section>
<script id="report-data" type="application/json">${jsonSafe(data)}</script>
<script>${scriptSafe(chartJsSource())}</script>
<script>${scriptSafe(CHARTS_SCRIPT)}</script>
</body></html>
`;
}

const CSS = `
*{box-sizing:border-box}body{font:14px/1.45 system-ui,sans-serif;color:#0f172a;background:#f8fafc;margin:0 auto;padding:16px 24px;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 8px}h3{font-size:15px;margin:14px 0 6px}
section{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:14px 16px;margin:14px 0;overflow-wrap:anywhere}
.badge{font-size:13px;padding:2px 8px;border-radius:10px;vertical-align:middle;background:#e2e8f0}
.badge.succeeded{background:#dcfce7;color:#166534}.badge.failed,.badge.cancelled{background:#fee2e2;color:#991b1b}.badge.running,.badge.reducing{background:#dbeafe;color:#1e40af}
.reason{color:#991b1b;margin:4px 0}.meta,.note{color:#475569;margin:4px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:10px;background:none;border:0;padding:0}
.card{background:#fff;border:1px solid #e2e8f0;border-radius:8px;padding:10px 12px}.card .v{font-size:20px;font-weight:600}.card .l{color:#64748b;font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:16px;align-items:start}
figure{margin:0;min-width:0}figcaption{color:#475569;font-size:13px;margin-bottom:4px}.chart{position:relative;height:280px;width:100%}.chart.tall{height:440px}
table{border-collapse:collapse;width:100%;margin:6px 0;table-layout:auto}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e2e8f0;vertical-align:top}
th{background:#f1f5f9;font-weight:600}table.wrap td{word-break:break-word}code{font-size:13px;background:#f1f5f9;padding:1px 4px;border-radius:4px}
`;
