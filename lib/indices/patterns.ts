/**
 * Whether two index patterns (with `*` wildcards) can match the same index name. Elasticsearch refuses a composable
 * index template whose patterns overlap another template's at the same priority
 * (MetadataIndexTemplateService#findConflictingV2Templates intersects the patterns' automata); this is the same
 * question answered on the patterns directly.
 */
export function patternsOverlap(a: string, b: string): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const id = i * (b.length + 1) + j;
    const cached = memo.get(id);
    if (cached !== undefined) return cached;
    let r: boolean;
    if (i === a.length && j === b.length) r = true;
    else if (i < a.length && a[i] === '*') r = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (j < b.length && b[j] === '*') r = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else r = i < a.length && j < b.length && a[i] === b[j] && go(i + 1, j + 1);
    memo.set(id, r);
    return r;
  };
  return go(0, 0);
}

/** The first pair of overlapping patterns of two lists, if any. */
export function firstOverlap(as: readonly string[], bs: readonly string[]): [string, string] | undefined {
  for (const a of as) for (const b of bs) if (patternsOverlap(a, b)) return [a, b];
  return undefined;
}
