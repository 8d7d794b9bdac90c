/**
 * The script report.html runs in the browser: it reads the embedded JSON (`#report-data`) and draws the charts with
 * Chart.js (inlined before it). Plain ES2017 in a string: it is not compiled for Node, only shipped.
 */
export const CHARTS_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var palette = ['#2563eb', '#16a34a', '#dc2626', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#9333ea', '#475569'];
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  function canvas(id) { return document.getElementById(id); }
  function line(id, labels, sets, yTitle, y1Title) {
    if (!canvas(id)) return;
    var scales = { x: { type: 'linear', title: { display: true, text: 'minutes since start' } }, y: { beginAtZero: true, title: { display: true, text: yTitle } } };
    if (y1Title) scales.y1 = { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: y1Title } };
    new Chart(canvas(id), {
      type: 'line',
      data: { datasets: sets.map(function (s, i) {
        return { label: s.label, yAxisID: s.axis || 'y', data: labels.map(function (x, j) { return { x: x, y: s.values[j] }; }),
          borderColor: palette[i], backgroundColor: palette[i], pointRadius: labels.length > 60 ? 0 : 2, spanGaps: false, tension: 0.2 };
      }) },
      options: { parsing: true, interaction: { mode: 'nearest', intersect: false }, scales: scales },
    });
  }
  function bars(id, items, label, horizontal) {
    if (!canvas(id)) return;
    new Chart(canvas(id), {
      type: 'bar',
      data: { labels: items.map(function (r) { return r.key.length > 48 ? r.key.slice(0, 47) + '\u2026' : r.key; }),
        datasets: [{ label: label, data: items.map(function (r) { return r.count; }), backgroundColor: palette[0] }] },
      options: { indexAxis: horizontal ? 'y' : 'x', plugins: { legend: { display: false } }, scales: { x: { ticks: { autoSkip: !horizontal } }, y: { ticks: { autoSkip: false } } } },
    });
  }
  function doughnut(id, items) {
    if (!canvas(id)) return;
    new Chart(canvas(id), {
      type: 'doughnut',
      data: { labels: items.map(function (r) { return r.key; }),
        datasets: [{ data: items.map(function (r) { return r.count; }), backgroundColor: items.map(function (r, i) { return r.color || palette[i % palette.length]; }) }] },
      options: { plugins: { legend: { position: 'right' } } },
    });
  }
  var t = data.throughput;
  if (t) {
    line('chart-throughput', t.minutes, [
      { label: 'pages/s', values: t.pagesPerSec },
      { label: 'links/s', values: t.linksPerSec },
      { label: 'files finished', values: t.files, axis: 'y1' },
    ], 'per second', 'files');
  }
  if (data.costSeries) line('chart-cost', data.costSeries.minutes, [{ label: 'cost so far (USD)', values: data.costSeries.usd }], 'USD');
  if (data.costBreakdown) doughnut('chart-cost-breakdown', data.costBreakdown);
  doughnut('chart-files', data.fileStatus);
  bars('chart-articles', data.topArticles, 'linking pages', true);
  bars('chart-domains', data.topDomains, 'links', true);
  bars('chart-languages', data.languages, 'links', false);
  document.body.setAttribute('data-charts', String(Chart.instances ? Object.keys(Chart.instances).length : 0));
})();
`;
