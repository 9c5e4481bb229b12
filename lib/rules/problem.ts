/** One finding about a rule. Printed as `file: rule: key: message` (warnings: `file: rule: key: warning: message`). */
export interface Problem {
  readonly file: string;
  /** The rule's name (or its file name when the rule has none or cannot be parsed). */
  readonly rule: string;
  /** Dotted path of the offending key, `-` when the problem is about the whole file. */
  readonly key: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** Control characters (a line break in a rule name or key) escaped, so that every problem stays on one line. */
function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1));
}

export function formatProblem(p: Problem): string {
  return oneLine(`${p.file}: ${p.rule}: ${p.key}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`);
}

export function isError(p: Problem): boolean {
  return p.severity === 'error';
}

/** Thrown by the synth path when rules do not compile; the message lists every problem, one per line. */
export class RuleCompileError extends Error {
  constructor(
    readonly environment: string,
    readonly problems: readonly Problem[],
  ) {
    super(
      `alert rules of environment "${environment}" are invalid (${problems.length} problem(s)):\n  ` +
        problems.map(formatProblem).join('\n  '),
    );
    this.name = 'RuleCompileError';
  }
}

/** Levenshtein distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within a third of the word's length (at least 1, at most 3 edits), if any. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (Math.abs(c.length - word.length) > limit) continue;
    const d = editDistance(word, c);
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
