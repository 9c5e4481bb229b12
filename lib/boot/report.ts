import { RehearsalReport } from './rehearse';

/** Text report: one line per scenario and node, then one line per finding (node, step, message). */
export function renderReport(r: RehearsalReport): string {
  const out: string[] = [`boot rehearsal of ${r.environment}: ${r.ok ? 'PASS' : 'FAIL'}`];
  for (const s of r.scenarios) {
    out.push(`  scenario ${s.name}: ${s.description}`);
    for (const n of s.nodes) {
      out.push(
        `    ${n.ok ? 'ok  ' : 'FAIL'} ${n.role.padEnd(8)} ${n.id}  ${n.ok ? n.lastLine : `step ${n.failedStep ?? '?'}`}`,
      );
    }
  }
  for (const f of r.findings) {
    out.push(`  finding [${f.check}] ${f.node ? `${f.role} ${f.node} ` : ''}step ${f.step}: ${f.message}`);
  }
  if (r.workDir) out.push(`  sandboxes kept in ${r.workDir}`);
  return out.join('\n') + '\n';
}
