/**
 * elkctl start-up: wall time of `elkctl rules check` and `rules render` on 1 rule and on 500 rules, run the way users
 * run it (`node bin/elkctl.js`, the bundle built at npm ci), and of the check the old way (tsx compiling TypeScript at
 * each call), side by side with ElastAlert 2.31.0's own loader on 500 rules (0.9 s: a figure measured elsewhere and
 * given in issue 14; no Python here). Goal (issue 15): under 2 s for 500 rules. Median of 3 runs each. Printed, never
 * asserted. `npm run bench -- cli`
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const ELASTALERT_500_SECONDS = 0.9;

const rule = (i: number) =>
  `name: errors ${i}\ntype: frequency\nindex: logs-*\nnum_events: 50\ntimeframe:\n  minutes: 15\n` +
  `filter:\n  - term:\n      service: svc-${i}\nrealert:\n  minutes: 10\nalert:\n  - debug\n`;

function ruleDir(n: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `elk-bench-rules-${n}-`));
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(dir, `r${i}.yaml`), rule(i));
  return dir;
}

/** Median wall and CPU (user + system) seconds of `runs` runs; CPU is the figure to trust on a busy machine. */
function median(command: string[], runs = 3): { wall: number; cpu: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const quoted = command.map((c) => `'${c.replace(/'/g, "'\\''")}'`).join(' ');
    const t0 = process.hrtime.bigint();
    const r = spawnSync('bash', ['-c', `TIMEFORMAT='%3U %3S'; { time ${quoted} >/dev/null 2>&1; } 2>&1`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    walls.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (r.status !== 0) throw new Error(`${command.join(' ')} exited ${r.status}`);
    const [user, sys] = r.stdout.trim().split(/\s+/).slice(-2).map(Number);
    cpus.push(user! + sys!);
  }
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  return { wall: mid(walls), cpu: mid(cpus) };
}

const dirs = { 1: ruleDir(1), 500: ruleDir(500) };
try {
  const bundled = (dir: string) => [process.execPath, 'bin/elkctl.js', 'rules', 'check', dir, '--env', 'dev'];
  const tsx = (dir: string) => [
    process.execPath,
    require.resolve('tsx/cli'),
    'bin/elkctl.ts',
    'rules',
    'check',
    dir,
    '--env',
    'dev',
  ];
  median(bundled(dirs[1])); // builds dist/elkctl.js if stale, outside the measurement
  const help = median([process.execPath, 'bin/elkctl.js', '--help']);
  // render writes into a folder that must be empty or absent: removed first, inside the measured command
  const render = (dir: string) => {
    const out = path.join(dir, '..', `${path.basename(dir)}-render`);
    return [
      'bash',
      '-c',
      `rm -rf '${out}' && exec '${process.execPath}' bin/elkctl.js rules render '${dir}' --env dev --out '${out}'`,
    ];
  };
  const rows: Array<[string, ReturnType<typeof median>, ReturnType<typeof median>]> = [
    ['elkctl (bundle)', median(bundled(dirs[1])), median(bundled(dirs[500]))],
    ['elkctl via tsx (before)', median(tsx(dirs[1])), median(tsx(dirs[500]))],
    ['elkctl rules render', median(render(dirs[1])), median(render(dirs[500]))],
  ];
  const f = (x: number) => x.toFixed(2).padStart(6);
  console.log(
    'rules check (and render), median of 3: wall / CPU seconds (CPU = user + system; wall grows with the machine load); goal < 2 s for 500 rules',
  );
  console.log(
    '                            1 rule           500 rules        500 rules ÷ ElastAlert loader (wall, CPU)',
  );
  for (const [name, one, many] of rows) {
    console.log(
      `${name.padEnd(26)}${f(one.wall)} / ${f(one.cpu)}  ${f(many.wall)} / ${f(many.cpu)}  ${f(many.wall / ELASTALERT_500_SECONDS)}, ${f(many.cpu / ELASTALERT_500_SECONDS)}`,
    );
  }
  console.log(
    `${'ElastAlert 2.31.0 loader'.padEnd(26)}     -             ${f(ELASTALERT_500_SECONDS)} (wall; issue 14's figure, not measured here)`,
  );
  console.log(`elkctl --help (start-up only): ${f(help.wall)} s wall, ${f(help.cpu)} s CPU`);
} finally {
  for (const d of Object.values(dirs)) {
    fs.rmSync(d, { recursive: true, force: true });
    fs.rmSync(`${d}-render`, { recursive: true, force: true });
  }
}
