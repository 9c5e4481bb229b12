/**
 * CloudFormation intrinsics as short readable text, for the IAM and security-group tables: cloudformation-diff
 * renders `Fn::Join` itself but leaves what is nested in it as raw JSON (`{"Fn::Sub":"…"}`).
 *
 *   {"Ref": "X"}                        → ${X}
 *   {"Fn::GetAtt": ["X", "Arn"]}        → ${X.Arn}
 *   {"Fn::Sub": "a-${AWS::Region}"}     → a-${AWS::Region}   (with [text, vars]: the vars filled in)
 *   {"Fn::Join": ["", [...]]}           → the parts joined
 *   {"Fn::ImportValue": "N"}            → ${Import:N}
 *   {"Fn::Select": [1, L]}              → L[1]
 *   other functions                     → Name(arg, …)
 */
export function renderIntrinsic(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(renderIntrinsic).join(', ')}]`;
  if (!v || typeof v !== 'object') return String(v);
  const keys = Object.keys(v);
  if (keys.length !== 1) return JSON.stringify(v);
  const name = keys[0]!;
  const arg = (v as Record<string, unknown>)[name];
  switch (name) {
    case 'Ref':
      return `\${${renderIntrinsic(arg)}}`;
    case 'Fn::GetAtt':
      return `\${${Array.isArray(arg) ? arg.map(renderIntrinsic).join('.') : renderIntrinsic(arg)}}`;
    case 'Fn::Sub': {
      if (!Array.isArray(arg)) return renderIntrinsic(arg);
      const [text, vars] = arg as [unknown, Record<string, unknown> | undefined];
      return renderIntrinsic(text).replace(/\$\{([^}!]+)\}/g, (m, k: string) =>
        vars && k in vars ? renderIntrinsic(vars[k]) : m,
      );
    }
    case 'Fn::Join': {
      if (!Array.isArray(arg) || arg.length !== 2 || !Array.isArray(arg[1])) break;
      return (arg[1] as unknown[]).map(renderIntrinsic).join(renderIntrinsic(arg[0]));
    }
    case 'Fn::ImportValue':
      return `\${Import:${renderIntrinsic(arg)}}`;
    case 'Fn::Select':
      if (Array.isArray(arg) && arg.length === 2) return `${renderIntrinsic(arg[1])}[${renderIntrinsic(arg[0])}]`;
      break;
  }
  const args = Array.isArray(arg) ? arg.map(renderIntrinsic).join(', ') : renderIntrinsic(arg);
  return `${name.replace(/^Fn::/, '')}(${args})`;
}

/** End index (exclusive) of the JSON object starting at `start` (a `{`), or -1 when it is not balanced. */
function objectEnd(s: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/** A table cell with every embedded intrinsic (`{"Fn::…": …}` or `{"Ref": …}` as JSON text) rendered readably. */
export function readableCell(cell: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const m = /\{"(?:Fn::[A-Za-z0-9]+|Ref)":/.exec(cell.slice(i));
    if (!m) return out + cell.slice(i);
    const start = i + m.index;
    const end = objectEnd(cell, start);
    let rendered: string | undefined;
    if (end > 0) {
      try {
        rendered = renderIntrinsic(JSON.parse(cell.slice(start, end)));
      } catch {
        rendered = undefined;
      }
    }
    if (rendered === undefined) return out + cell.slice(i);
    out += cell.slice(i, start) + rendered;
    i = end;
  }
}
