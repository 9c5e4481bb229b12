import { RehearsalReport } from './rehearse';

/** Text report: one line per scenario and node, then one line per finding (node, step, message). */
export function renderReport(r: RehearsalReport): string {
  const out: string[] = [`boot rehearsal of ${r.environment}: ${r.ok ? 'PASS' : 'FAIL'}`];
  for (const s of r.scenarios) {
    out.push(`  scenario ${s.name}: ${s.description}`);
    for (const n of s.nodes) {
      // A boot the scenario rehearses failing (its own check says whether it failed as it should).
      const expected = n.expectedFailStep !== undefined;
      const status = n.ok ? 'ok  ' : expected ? 'fail' : 'FAIL';
      const what = n.ok
        ? n.lastLine
        : `step ${n.failedStep ?? '?'}${expected ? ` (expected: step ${n.expectedFailStep})` : ''}`;
      out.push(`    ${status} ${n.role.padEnd(8)} ${n.id}  ${what}`);
    }
  }
  for (const f of r.findings) {
    out.push(`  finding [${f.check}] ${f.node ? `${f.role} ${f.node} ` : ''}step ${f.step}: ${f.message}`);
  }
  if (r.workDir) out.push(`  sandboxes kept in ${r.workDir}`);
  return out.join('\n') + '\n';
}
