/**
 * The report page in a real browser: headless Chromium (Debian's `chromium`) opens it, the page reports what it drew
 * (#render-check: charts made, painted pixels per canvas, errors), and a screenshot is kept in reports/browser/.
 * Skipped, saying so, only where no Chromium is installed (`.ci/run` installs it).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { renderReportHtml } from '../../lib/report/html';
import { PROJECT_ROOT } from '../helpers/app';
import { ROLL } from './fixture';

function findChromium(): string | undefined {
  for (const name of [process.env.CHROMIUM_BIN, 'chromium', 'chromium-browser', 'google-chrome']) {
    if (!name) continue;
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

const chromium = findChromium();
if (!chromium) {
  console.warn(
    'SKIPPED test/report/browser.test.ts: no Chromium found (apt-get install chromium, or set CHROMIUM_BIN)',
  );
}
const describeWithBrowser = chromium ? describe : describe.skip;

describeWithBrowser('roll report page in headless Chromium', () => {
  let dir: string;
  let page: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-report-'));
    page = path.join(dir, 'roll.html');
    fs.writeFileSync(page, renderReportHtml(ROLL));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[]) =>
    execFileSync(
      chromium!,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        `--user-data-dir=${path.join(dir, 'profile')}`,
        ...args,
      ],
      { encoding: 'utf8', timeout: 90_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );

  it('draws the four charts with painted pixels and no error, offline', () => {
    const dom = run(['--dump-dom', `file://${page}`]);
    const m = /<pre id="render-check">([^<]*)<\/pre>/.exec(dom);
    expect(m).not.toBeNull();
    const check = JSON.parse(m![1]!.replace(/&quot;/g, '"')) as {
      charts: number;
      painted: { id: string; paintedPixels: number }[];
      errors: string[];
    };
    expect(check.errors).toEqual([]);
    expect(check.charts).toBe(4);
    expect(check.painted.map((p) => p.id)).toEqual(['chart-timeline', 'chart-health', 'chart-bytes', 'chart-blocked']);
    for (const p of check.painted) expect([p.id, p.paintedPixels > 1000]).toEqual([p.id, true]);
  });

  it('saves a screenshot as a test artefact (reports/browser/roll-report.png)', () => {
    const out = path.join(PROJECT_ROOT, 'reports', 'browser');
    fs.mkdirSync(out, { recursive: true });
    const png = path.join(out, 'roll-report.png');
    fs.rmSync(png, { force: true });
    run(['--hide-scrollbars', '--window-size=1280,1400', `--screenshot=${png}`, `file://${page}`]);
    const head = fs.readFileSync(png).subarray(0, 8);
    expect(head.toString('hex')).toBe('89504e470d0a1a0a');
  });
});
