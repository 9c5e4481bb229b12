/**
 * `npm run bench`: runs every bench/*.bench.ts in order and prints its results. Benchmarks print measurements and
 * ratios side by side; nothing here is asserted (tests never assert wall-clock time).
 * Run one: `npm run bench -- sim` (substring of the file name).
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';

const filter = process.argv[2];
const all = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const files = all.filter((f) => !filter || f.includes(filter));
if (files.length === 0) {
  // A typo must not pass as "nothing to measure".
  const names = all.map((f) => f.replace(/\.bench\.ts$/, '')).join(', ');
  process.stderr.write(`bench: no benchmark matches "${filter}"; choose one of ${names}\n`);
  process.exit(2);
}
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f} ===\n`);
  const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
