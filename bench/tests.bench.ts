/**
 * Wall time and peak memory of `npm test` (goal: ≤ 120 s on 2 cores). Printed, never asserted.
 * Skip with ELK_BENCH_SKIP_TESTS=1 (e.g. when the suite itself is what is being run).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');
if (process.env.ELK_BENCH_SKIP_TESTS === '1') {
  console.log('npm test: skipped (ELK_BENCH_SKIP_TESTS=1)');
  process.exit(0);
}
const started = process.hrtime.bigint();
const haveTime = fs.existsSync('/usr/bin/time');
const cmd = haveTime ? ['/usr/bin/time', '-f', '%M', 'npx', 'jest', '--silent'] : ['npx', 'jest', '--silent'];
const r = spawnSync(cmd[0]!, cmd.slice(1), {
  cwd: root,
  encoding: 'utf8',
  env: { ...process.env, CI: 'true' },
});
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const peakKb = haveTime ? Number((r.stderr.trim().split('\n').pop() ?? '0').trim()) : NaN;
const goal = 120;
console.log(
  [
    `npm test          wall ${seconds.toFixed(1)} s   goal ≤ ${goal} s   ratio ${(seconds / goal).toFixed(2)}`,
    `                  peak RSS of the largest process ${(peakKb / 1024).toFixed(0)} MiB   exit ${r.status}`,
  ].join('\n'),
);
process.exit(r.status === 0 ? 0 : 1);
