import type { FailKind } from './report';

/** The kinds of change `--fail-on` takes (no heavy import: the CLI registers its options with these). */
export const FAIL_KINDS: readonly FailKind[] = ['any', 'replacement', 'security'];

/** Parses "replacement,security" into fail kinds, with an error naming the option and the choices. */
export function parseFailOn(value: string): FailKind[] {
  const kinds = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const k of kinds) {
    if (!FAIL_KINDS.includes(k as FailKind)) {
      throw new Error(`--fail-on: unknown kind "${k}"; use one or more of ${FAIL_KINDS.join(', ')} (comma-separated)`);
    }
  }
  return kinds as FailKind[];
}
