/**
 * Elasticsearch upgrade-path rules (research: orchestration.md §10, Elastic's upgrade docs):
 * - never downgrade (a node that ran a newer version cannot go back; a mixed cluster cannot be rolled back);
 * - one major at a time; 8.x → 9.x only from 8.19.x (8.18.x may go to 9.0.x only); 7.x → 8.x only from 7.17.x.
 */

export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export function parseVersion(text: string): Version | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function formatVersion(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/** Last minor of a major from which the next major may be reached (any next-major version). */
const LAST_MINOR: Readonly<Record<number, number>> = { 6: 8, 7: 17, 8: 19 };

export type UpgradeCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Whether every node version in `current` may be upgraded to `target`. `current` is the set of versions running now
 * (a mixed cluster mid-roll has two).
 */
export function checkUpgradePath(current: readonly string[], target: string): UpgradeCheck {
  const t = parseVersion(target);
  if (!t) return { ok: false, reason: `target version "${target}" is not a release version such as 8.19.3` };
  for (const text of new Set(current)) {
    const c = parseVersion(text);
    if (!c) return { ok: false, reason: `a node reports version "${text}", which is not a release version` };
    if (compareVersions(t, c) < 0) {
      return {
        ok: false,
        reason:
          `refusing a downgrade: a node runs ${text} and the target is ${target}; Elasticsearch nodes cannot go back ` +
          'to an older version (restore a snapshot into a new cluster instead)',
      };
    }
    if (t.major > c.major + 1) {
      return {
        ok: false,
        reason: `refusing to skip a major version: ${text} → ${target}; upgrade to ${c.major + 1}.x first`,
      };
    }
    if (t.major === c.major + 1) {
      const last = LAST_MINOR[c.major];
      const fromLast = last !== undefined && c.minor >= last;
      // Elastic: 8.18.x may go to 9.0.x only.
      const fromPrevToDotZero = c.major === 8 && c.minor === 18 && t.minor === 0;
      if (!fromLast && !fromPrevToDotZero) {
        const via = last !== undefined ? `${c.major}.${last}.x` : `the last ${c.major}.x minor`;
        return {
          ok: false,
          reason: `refusing ${text} → ${target}: a major upgrade must start from ${via}; upgrade to ${via} first`,
        };
      }
    }
  }
  return { ok: true };
}
