import { DataRisk, DiffReport, ResourceAction, StackDiff } from './report';

/** Marker the CI workflow uses to find (and update) its pull-request comment. */
export const COMMENT_MARKER = '<!-- elk-cdk-diff -->';
/** GitHub rejects comments over 65,536 characters; full diffs are cut to stay below. */
const MARKDOWN_BUDGET = 60000;

const VERB: Record<DataRisk['action'], string> = {
  add: 'added',
  remove: 'DELETED',
  orphan: 'removed from the stack (retained)',
  replace: 'REPLACED',
  'may-replace': 'MAY BE REPLACED',
  update: 'changed',
  import: 'imported',
  'nodes-removed': 'nodes removed',
  'nodes-terminated': 'updated in place',
};

const SYMBOL: Record<ResourceAction, string> = {
  add: '+',
  remove: '-',
  orphan: '-',
  replace: '±',
  'may-replace': '±?',
  update: '~',
  import: '<',
};

function riskLine(r: DataRisk): string {
  const fate = r.retained ? 'the old one is retained (detached from the stack, not deleted)' : 'its data is DESTROYED';
  return `${r.stack}: ${r.path} (${r.type}) ${VERB[r.action]}: ${r.reason}; ${fate}`;
}

function counts(s: StackDiff): string {
  const by = (a: ResourceAction[]) => s.resources.filter((r) => a.includes(r.action)).length;
  const parts = [
    [by(['add', 'import']), 'added'],
    [by(['update']), 'changed'],
    [by(['replace', 'may-replace']), 'replaced'],
    [by(['remove', 'orphan']), 'removed'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, w]) => `${n} ${w}`);
  return parts.length ? parts.join(', ') : 'no resource change';
}

function summaryLine(s: StackDiff): string {
  if (s.status === 'removed') return 'removed from the app';
  if (s.status === 'added') return `new stack (${s.resources.length} resources)`;
  if (s.status === 'unchanged') return 'no change';
  return counts(s) + (s.other.length ? `; ${s.other.length} other` : '');
}

function versionLine(r: DiffReport): string | undefined {
  const v = r.stacks.find((s) => s.version)?.version;
  if (!v) return undefined;
  return `Build version ${v.from ?? '(none)'} → ${v.to ?? '(none)'}: stamped as an output and on code resources only, no node impact from it.`;
}

function nodeSummary(r: DiffReport): string[] {
  const impact = r.stacks.flatMap((s) => s.impact);
  return impact.length ? impact : ['No node will be replaced and no alert rule changes.'];
}

function table(rows: string[][], md: boolean): string[] {
  if (rows.length === 0) return [];
  const clean = rows.map((row) => row.map((c) => c.replace(/\n/g, md ? '<br>' : ' ').replace(/\|/g, md ? '\\|' : '|')));
  if (md) {
    const [head, ...body] = clean;
    return [
      `| ${head!.join(' | ')} |`,
      `|${head!.map(() => ' --- ').join('|')}|`,
      ...body.map((r) => `| ${r.join(' | ')} |`),
    ];
  }
  // Columns are padded up to 60 characters; a longer cell just runs on, so one long ARN does not widen every row.
  const widths = clean[0]!.map((_, i) => Math.min(60, Math.max(...clean.map((r) => (r[i] ?? '').length))));
  return clean.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

/** Plain text, for terminals and logs. */
export function renderText(r: DiffReport): string {
  const out: string[] = [`Infrastructure diff: ${r.base} → ${r.head}`, ''];
  if (r.risks.length) {
    out.push('!!! DATA AT RISK: stateful resources replaced or deleted !!!');
    for (const risk of r.risks) out.push(`  - ${riskLine(risk)}`);
    out.push('');
  }
  out.push('Impact');
  for (const line of nodeSummary(r)) out.push(`  - ${line}`);
  const v = versionLine(r);
  if (v) out.push(`  - ${v}`);
  out.push('');
  const sec = r.stacks.filter((s) => s.security.changed);
  if (sec.length) {
    out.push('Security changes (IAM and security groups)');
    for (const s of sec) {
      out.push(`  ${s.name}${s.security.broadened ? ' (WIDENS access)' : ''}`);
      for (const t of [s.security.iamStatements, s.security.managedPolicies, s.security.securityGroups]) {
        for (const line of table(t, false)) out.push(`    ${line}`);
        if (t.length) out.push('');
      }
    }
  }
  out.push('Stacks');
  for (const s of r.stacks) out.push(`  ${s.name}: ${summaryLine(s)}`);
  for (const s of r.stacks.filter((x) => x.status === 'changed' || x.status === 'added')) {
    out.push('', `== ${s.name} ==`);
    for (const res of s.resources) {
      const why = res.replacing.length ? ` (replacement caused by ${res.replacing.join(', ')})` : '';
      const what = res.action === 'update' && res.changed.length ? `: ${res.changed.join(', ')}` : '';
      out.push(`  [${SYMBOL[res.action]}] ${res.path} ${res.type} ${VERB[res.action]}${what}${why}`);
    }
    for (const o of s.other) out.push(`  [~] ${o}`);
    if (s.detail) out.push('', s.detail);
  }
  return out.join('\n') + '\n';
}

/** Markdown, for a pull-request comment; starts with COMMENT_MARKER. */
export function renderMarkdown(r: DiffReport): string {
  const out: string[] = [COMMENT_MARKER, `## Infrastructure diff: \`${r.base}\` → \`${r.head}\``, ''];
  if (r.risks.length) {
    out.push('> [!CAUTION]', '> **Data at risk: stateful resources replaced or deleted**');
    for (const risk of r.risks) out.push(`> - ${riskLine(risk)}`);
    out.push('');
  }
  out.push('### Impact', '');
  for (const line of nodeSummary(r)) out.push(`- ${line}`);
  const v = versionLine(r);
  if (v) out.push(`- ${v}`);
  out.push('');
  const sec = r.stacks.filter((s) => s.security.changed);
  if (sec.length) {
    const lines: string[] = ['### Security changes', ''];
    for (const s of sec) {
      lines.push(`**${s.name}**${s.security.broadened ? ' (widens access)' : ''}`, '');
      for (const t of [s.security.iamStatements, s.security.managedPolicies, s.security.securityGroups]) {
        if (t.length) lines.push(...table(t, true), '');
      }
    }
    // At most half of the comment: a new stack can bring hundreds of statements.
    let len = 0;
    const kept = lines.findIndex((l) => (len += l.length + 1) > MARKDOWN_BUDGET / 2);
    if (kept >= 0) {
      lines.splice(
        kept,
        lines.length - kept,
        '',
        '… security tables cut (comment size limit): run npm run diff:base locally.',
        '',
      );
    }
    out.push(...lines);
  }
  out.push('### Stacks', '', '| stack | change |', '| --- | --- |');
  for (const s of r.stacks) out.push(`| ${s.name} | ${summaryLine(s)} |`);
  out.push('');
  let budget = MARKDOWN_BUDGET - out.join('\n').length;
  for (const s of r.stacks.filter((x) => x.status === 'changed' || x.status === 'added')) {
    const section: string[] = [`#### ${s.name}`, '', '| | resource | type | detail |', '| --- | --- | --- | --- |'];
    for (const res of s.resources) {
      const detail = res.replacing.length
        ? `${VERB[res.action]} (caused by ${res.replacing.join(', ')})`
        : res.action === 'update'
          ? res.changed.join(', ')
          : VERB[res.action];
      section.push(`| ${SYMBOL[res.action]} | \`${res.path}\` | ${res.type} | ${detail} |`);
    }
    for (const o of s.other) section.push(`| ~ | ${o} | | |`);
    // Even the table can be too long (thousands of changes): keep what fits, say how much is left out.
    if (section.join('\n').length > budget - 500) {
      let kept = 4;
      let len = section.slice(0, kept).join('\n').length;
      while (kept < section.length && len + section[kept]!.length + 1 < budget - 500)
        len += section[kept++]!.length + 1;
      const left = section.length - kept;
      section.splice(kept, left, `| | … ${left} more rows left out (comment size limit) | | |`);
    }
    section.push('');
    const room = budget - section.join('\n').length - 200;
    if (s.detail && room < 500) {
      section.push('Full diff left out (comment size limit): run npm run diff:base locally.', '');
    } else if (s.detail) {
      const detail =
        s.detail.length > room
          ? `${s.detail.slice(0, room)}\n… (cut; run npm run diff:base locally for the whole diff)`
          : s.detail;
      section.push(`<details><summary>Full diff of ${s.name}</summary>`, '', '```', detail, '```', '</details>', '');
    }
    budget -= section.join('\n').length;
    out.push(...section);
  }
  return out.join('\n') + '\n';
}

/** JSON, for tools. */
export function renderJson(r: DiffReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}

export type Format = 'text' | 'markdown' | 'json';

export function renderReport(r: DiffReport, format: Format): string {
  return format === 'json' ? renderJson(r) : format === 'markdown' ? renderMarkdown(r) : renderText(r);
}
