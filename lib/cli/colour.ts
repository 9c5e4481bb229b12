/**
 * Colour for the text tables of `sim run`, `roll status` and `diff` on a terminal: replacements and deletions red,
 * security changes magenta, blocking predicates yellow, what went well green. Applied to the finished text, line by
 * line, so the renderers stay plain (and their tests, files, JSON and Markdown never carry escape codes).
 * Off when the stream is not a terminal, when NO_COLOR is set to anything non-empty (no-color.org), or TERM=dumb.
 */

export type ColourKind = 'sim' | 'roll-status' | 'diff';

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, bold: 1, dim: 2 } as const;
type Style = keyof typeof CODES;

export function paint(text: string, ...styles: Style[]): string {
  return `\x1b[${styles.map((s) => CODES[s]).join(';')}m${text}\x1b[0m`;
}

export function colourEnabled(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  if (!stream.isTTY) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

/** A blocking predicate at the end of an action label: `wait (strictly-drained)`. */
const PREDICATE = /\(([a-z0-9]+(?:-[a-z0-9]+)+)\)/g;

function simLine(line: string): string {
  if (/^outcome\s/.test(line))
    return line.replace(/(completed)|(failed|timed-out)/, (m, ok) => paint(m, ok ? 'green' : 'red', 'bold'));
  if (/^documents lost\s+[1-9]/.test(line) || /^WARNING:/.test(line)) return paint(line, 'red', 'bold');
  if (/^documents lost\s+0\b/.test(line)) return line.replace(/\b0\b/, paint('0', 'green'));
  if (/^\s+\d+ s\s/.test(line)) {
    let out = line.replace(PREDICATE, (_m, p: string) => `(${paint(p, 'yellow')})`);
    out = out.replace(
      /^(\s+\d+ s\s+)(terminate|sim:primary-lost|sim:node-killed|sim:master-lost)\b/,
      (_m, a, b) => a + paint(b, 'red'),
    );
    out = out.replace(/^(\s+\d+ s\s+)(surge|sim:asg-launch)\b/, (_m, a, b) => a + paint(b, 'blue'));
    return out;
  }
  return line;
}

function rollStatusLine(line: string): string {
  if (/^blocked by: (?!-$)/.test(line))
    return line.replace(/^(blocked by: )(.*)$/, (_m, a, b) => a + paint(b, 'yellow', 'bold'));
  if (/^next: /.test(line)) return paint(line, 'bold');
  return line.replace(/ old /, ` ${paint('old', 'yellow')} `);
}

function diffLine(line: string): string {
  if (/^!!! DATA AT RISK/.test(line)) return paint(line, 'red', 'bold');
  if (/^Security changes/.test(line)) return paint(line, 'magenta', 'bold');
  if (/\(WIDENS access\)/.test(line))
    return line.replace('(WIDENS access)', paint('(WIDENS access)', 'magenta', 'bold'));
  // data at risk and nodes that go without a drain: red; nodes replaced one by one, and maybe-replacements: yellow
  if (
    /DESTROYED|\bDELETED\b|\bREPLACED\b|without a drain|terminate at once/.test(line) &&
    !/MAY BE REPLACED/.test(line)
  ) {
    return paint(line, 'red');
  }
  if (/MAY BE REPLACED|will be replaced/.test(line)) return paint(line, 'yellow');
  if (/^\s+\[\+\]/.test(line)) return paint(line, 'green');
  if (/^\s+\[-\]/.test(line)) return paint(line, 'red');
  if (/^== .* ==$/.test(line)) return paint(line, 'bold');
  return line;
}

const BY_KIND: Record<ColourKind, (line: string) => string> = {
  sim: simLine,
  'roll-status': rollStatusLine,
  diff: diffLine,
};

/** The text with colour codes, line by line; `enabled` false returns it unchanged. */
export function colourize(kind: ColourKind, text: string, enabled: boolean): string {
  if (!enabled) return text;
  return text
    .split('\n')
    .map((l) => (l === '' ? l : BY_KIND[kind](l)))
    .join('\n');
}
