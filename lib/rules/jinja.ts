/**
 * A small Jinja2 syntax check for `alert_text` with `alert_text_type: alert_text_jinja`, which ElastAlert compiles
 * when it loads the rule (loaders.py load_jinja_template: a syntax error stops the start-up).
 *
 * Covered: unclosed `{{`, `{%`, `{#`; empty expressions; unterminated strings and unbalanced brackets inside a
 * tag; unknown statement tags; block tags that are not closed, closed by the wrong end tag, or `else`/`elif`
 * outside their block; `{% raw %}` content left alone; whitespace control (`{%-`, `-%}`, `+`).
 * Not covered: the grammar of expressions (operators, filter names and arguments), which Jinja checks too.
 */

/** Block tag → its end tag. */
const BLOCKS: Readonly<Record<string, string>> = {
  if: 'endif',
  for: 'endfor',
  macro: 'endmacro',
  call: 'endcall',
  filter: 'endfilter',
  with: 'endwith',
  block: 'endblock',
  autoescape: 'endautoescape',
  set: 'endset',
};
/** Statement tags that stand alone. */
const SINGLE = new Set(['extends', 'include', 'import', 'from', 'do', 'break', 'continue', 'set']);

function expressionProblem(expr: string): string | undefined {
  const closing: string[] = [];
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += expr[j] === '\\' ? 2 : 1;
      if (j >= expr.length) return `unterminated string starting with ${c}`;
      i = j;
    } else if (pairs[c]) closing.push(pairs[c]);
    else if (c === ')' || c === ']' || c === '}') {
      if (closing.pop() !== c) return `unexpected "${c}"`;
    }
  }
  return closing.length ? `"${closing[closing.length - 1]}" expected` : undefined;
}

/** Finds the end of a tag opened at `from` (the `}}`/`%}` outside strings), or -1. */
function tagEnd(text: string, from: number, end: string): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) return -1;
      i = j;
    } else if (text.startsWith(end, i)) return i;
  }
  return -1;
}

function lineOf(text: string, at: number): number {
  return text.slice(0, at).split('\n').length;
}

/** The first syntax error Jinja would report for this template, or undefined. */
export function jinjaProblem(text: string): string | undefined {
  const stack: Array<{ tag: string; line: number }> = [];
  let i = 0;
  while (i < text.length) {
    const open = text.slice(i).search(/\{[{%#]/);
    if (open < 0) break;
    const at = i + open;
    const kind = text[at + 1]!;
    const line = lineOf(text, at);
    if (kind === '#') {
      const close = text.indexOf('#}', at + 2);
      if (close < 0) return `comment opened on line ${line} is never closed with #}`;
      i = close + 2;
      continue;
    }
    const end = kind === '{' ? '}}' : '%}';
    const close = tagEnd(text, at + 2, end);
    if (close < 0) return `${kind === '{' ? '{{' : '{%'} on line ${line} is never closed with ${end}`;
    const inner = text
      .slice(at + 2, close)
      .replace(/^[-+]/, '')
      .replace(/-$/, '')
      .trim();
    i = close + 2;
    if (kind === '{') {
      if (inner === '') return `empty expression {{ }} on line ${line}`;
      const p = expressionProblem(inner);
      if (p) return `in {{ … }} on line ${line}: ${p}`;
      continue;
    }
    const tag = /^[A-Za-z_]\w*/.exec(inner)?.[0];
    if (!tag) return `statement {% ${inner} %} on line ${line} has no tag name`;
    const p = expressionProblem(inner.slice(tag.length));
    if (p) return `in {% ${tag} … %} on line ${line}: ${p}`;
    if (tag === 'raw') {
      const endRaw = /\{%[-+]?\s*endraw\s*[-+]?%\}/.exec(text.slice(i));
      if (!endRaw) return `{% raw %} on line ${line} is never closed with {% endraw %}`;
      i += endRaw.index + endRaw[0].length;
      continue;
    }
    if (tag === 'set' && /=/.test(inner.replace(/(["']).*?\1/g, ''))) continue; // `set x = …` stands alone
    if (BLOCKS[tag]) {
      stack.push({ tag, line });
      continue;
    }
    if (tag === 'else' || tag === 'elif') {
      const top = stack[stack.length - 1];
      if (!top || (top.tag !== 'if' && !(tag === 'else' && top.tag === 'for'))) {
        return `{% ${tag} %} on line ${line} is outside an if${tag === 'else' ? ' or for' : ''} block`;
      }
      continue;
    }
    if (tag.startsWith('end')) {
      const top = stack.pop();
      if (!top) return `{% ${tag} %} on line ${line} closes no block`;
      if (BLOCKS[top.tag] !== tag) {
        return `{% ${tag} %} on line ${line} closes {% ${top.tag} %} of line ${top.line} (expected {% ${BLOCKS[top.tag]} %})`;
      }
      continue;
    }
    if (SINGLE.has(tag)) continue;
    return `unknown tag "${tag}" on line ${line}`;
  }
  const open = stack.pop();
  return open ? `{% ${open.tag} %} on line ${open.line} is never closed with {% ${BLOCKS[open.tag]} %}` : undefined;
}
