/**
 * npm run test:mutation:survivors [-- [--list] [REPORT]]: each module's mutation score from a Stryker JSON report
 * (default reports/mutation/mutation.json) and, with --list, a Markdown row per mutant no test detected.
 */
import * as fs from 'fs';
import { formatSurvivors, readMutationReport } from '../lib/mutation/report';

const args = process.argv.slice(2);
const list = args.includes('--list');
const file = args.find((a) => !a.startsWith('--')) ?? 'reports/mutation/mutation.json';
if (!fs.existsSync(file)) {
  console.error(`${file}: no such report; run \`npm run test:mutation\` first, or name a report`);
  process.exit(2);
}
try {
  console.log(formatSurvivors(readMutationReport(JSON.parse(fs.readFileSync(file, 'utf8')), file), list));
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
