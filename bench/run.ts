/**
 * `npm run bench`: runs every bench/*.bench.ts in order and prints its results. Benchmarks print measurements and
 * ratios side by side; nothing here is asserted (tests never assert wall-clock time).
 * Run one: `npm run bench -- sim` (substring of the file name).
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';

const filter = process.argv[2];
const files = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f} ===\n`);
  const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, f)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
