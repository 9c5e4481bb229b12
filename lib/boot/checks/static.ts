import * as fs from 'fs';
import * as path from 'path';
import { StageAssembly } from '../assembly';
import { NodeGroup } from '../fleet';
import { Finding } from './finding';

/** Shell lines of a script with `\` continuations joined, with their first line number. */
function logicalLines(text: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  let buf = '';
  let start = 0;
  text.split('\n').forEach((l, i) => {
    if (!buf) start = i + 1;
    if (l.endsWith('\\')) buf += l.slice(0, -1) + ' ';
    else {
      out.push({ line: start, text: buf + l });
      buf = '';
    }
  });
  return out;
}

/** `curl` calls without a time limit in one script: each could hang a boot forever. */
export function unboundedCurls(name: string, text: string): Finding[] {
  const findings: Finding[] = [];
  const lines = logicalLines(text);
  // Arrays of curl options that carry a time limit (`args=(-s --max-time 10)`, `args+=(...)`).
  const bounded = new Set(
    lines.filter((l) => /--max-time|\s-m\s?\d/.test(l.text)).flatMap((l) => /^\s*(\w+)\+?=\(/.exec(l.text)?.[1] ?? []),
  );
  for (const { line, text: l } of lines) {
    const code = l.replace(/^\s*#.*$/, '');
    // A message that mentions curl is not a call: drop quoted text without command substitution first.
    const unquoted = code
      .replace(/'[^']*'/g, "''")
      .replace(/"(?:[^"\\]|\\.)*"/g, (q) => (q.includes('$(') || q.includes('`') ? q : '""'));
    if (!/(^|[\s;|&(`$])curl\s/.test(unquoted)) continue;
    if (/--max-time|\s-m\s?\d/.test(code)) continue;
    if ([...code.matchAll(/"\$\{(\w+)\[@\]\}"/g)].some((m) => bounded.has(m[1]!))) continue;
    findings.push({
      step: `${name}:${line}`,
      check: 'static',
      message: `${name}:${line}: curl without --max-time (a boot could hang here): ${code.trim().slice(0, 120)}`,
    });
  }
  return findings;
}

/** Every shell script the fleet would run: the user data of each group and the scripts of the S3 assets it fetches. */
export function staticChecks(stage: StageAssembly, groups: readonly NodeGroup[]): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const g of groups) {
    findings.push(...unboundedCurls(`${g.role} user data`, g.userData));
    for (const a of stage.assets) {
      if (!g.userData.includes(a.key) || seen.has(a.source)) continue;
      seen.add(a.source);
      const files = a.packaging === 'zip' ? fs.readdirSync(a.source).map((f) => path.join(a.source, f)) : [a.source];
      for (const f of files.filter((x) => x.endsWith('.sh'))) {
        findings.push(...unboundedCurls(path.basename(f), fs.readFileSync(f, 'utf8')));
      }
    }
  }
  return findings;
}
