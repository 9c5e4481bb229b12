import * as fs from 'fs';
import * as path from 'path';
import type { RollReportData } from './model';
import { PAGE_SCRIPT } from './page-script';

/** Chart.js's browser build, inlined into every page: the page needs no network when it is opened. */
export function chartJsSource(): string {
  // the package's exports hide dist/: find it beside the CommonJS entry point (dist/chart.cjs)
  return fs.readFileSync(path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON inside a <script> element: `<` escaped so no string in the data can close the element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

/** One self-contained HTML page: the data, Chart.js and the page script inline, no external reference. */
export function renderReportHtml(data: RollReportData, chartJs: string = chartJsSource()): string {
  const laneHeight = Math.max(160, 60 + data.nodes.length * 22);
  const blockedHeight = Math.max(120, 60 + new Set(data.blocked.map((b) => b.predicate)).size * 26);
  const rows = data.summary.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(data.title)}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } .source { color: #666; font-family: monospace; }
table { border-collapse: collapse; margin: 12px 0 24px; } th, td { text-align: left; padding: 3px 12px 3px 0; }
th { color: #555; font-weight: normal; } canvas { display: block; margin-bottom: 28px; }
#render-check { display: none; }
</style>
</head>
<body>
<h1>${escapeHtml(data.title)}</h1>
<p class="source">${escapeHtml(data.source)}</p>
<table id="summary">${rows}</table>
<canvas id="chart-timeline" width="1200" height="${laneHeight}"></canvas>
<canvas id="chart-health" width="1200" height="180"></canvas>
<canvas id="chart-bytes" width="1200" height="260"></canvas>
<canvas id="chart-blocked" width="1200" height="${blockedHeight}"></canvas>
<pre id="render-check"></pre>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${chartJs.replace(/<\/script/gi, '<\\/script')}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
