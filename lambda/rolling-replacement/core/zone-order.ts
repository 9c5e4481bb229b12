/**
 * Order of replacement across Availability Zones. After a surge lands in a zone, the node to remove is chosen so that
 * the roll ends balanced without zone-rebalance cycles whichever zone Auto Scaling picks among the emptiest ones (its
 * tie rule is not documented): a small minimax search over (instances per zone, outdated per zone), where Auto Scaling
 * chooses the landing zone among the emptiest and the orchestrator chooses the zone of the outdated node to remove.
 * The cost of a final state is the number of zone-rebalance cycles it would need. Pure and stateless: the choice is a
 * function of the observed counts only, so a retry after a crash chooses the same zone.
 */

/** Worst case over Auto Scaling's tie choices, then the mean over them (both in zone-rebalance cycles). */
type Value = readonly [number, number];

/** Above this many searched states the search gives up and the caller keeps its simple rule (fullest zone first). */
const MAX_STATES = 50_000;

const better = (a: Value, b: Value) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1] - 1e-9);

/** Zone-rebalance cycles needed to bring `counts` within one instance (each moves one from the fullest to the emptiest). */
export function rebalanceCycles(counts: readonly number[]): number {
  if (counts.length === 0) return 0;
  const c = [...counts];
  let n = 0;
  for (;;) {
    let hi = 0;
    let lo = 0;
    for (let z = 1; z < c.length; z++) {
      if (c[z]! > c[hi]!) hi = z;
      if (c[z]! < c[lo]!) lo = z;
    }
    if (c[hi]! - c[lo]! <= 1) return n;
    c[hi]!--;
    c[lo]!++;
    n++;
  }
}

class Search {
  private readonly memo = new Map<string, Value>();
  exhausted = false;

  /** Before a surge: Auto Scaling launches into one of the emptiest zones (any of them). */
  pre(counts: readonly number[], outdated: readonly number[]): Value {
    if (outdated.every((o) => o === 0)) return [rebalanceCycles(counts), rebalanceCycles(counts)];
    const key = `${counts.join(',')}|${outdated.join(',')}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    if (this.memo.size >= MAX_STATES) {
      this.exhausted = true;
      return [0, 0];
    }
    const min = Math.min(...counts);
    let worst = 0;
    let sum = 0;
    let n = 0;
    for (let x = 0; x < counts.length; x++) {
      if (counts[x] !== min) continue;
      const after = [...counts];
      after[x]!++;
      const v = this.post(after, outdated, outdated);
      worst = Math.max(worst, v[0]);
      sum += v[1];
      n++;
    }
    const value: Value = [worst, n ? sum / n : 0];
    this.memo.set(key, value);
    return value;
  }

  /** After a surge: the orchestrator removes one outdated node from a zone of `removable`; the best such value. */
  post(counts: readonly number[], outdated: readonly number[], removable: readonly number[]): Value {
    let best: Value | undefined;
    for (const v of this.options(counts, outdated, removable)) if (!best || better(v.value, best)) best = v.value;
    return best ?? [rebalanceCycles(counts), rebalanceCycles(counts)];
  }

  options(counts: readonly number[], outdated: readonly number[], removable: readonly number[]) {
    const out: { zone: number; value: Value }[] = [];
    for (let y = 0; y < counts.length; y++) {
      if ((removable[y] ?? 0) <= 0 || (outdated[y] ?? 0) <= 0) continue;
      const c = [...counts];
      const o = [...outdated];
      c[y]!--;
      o[y]!--;
      out.push({ zone: y, value: this.pre(c, o) });
    }
    return out;
  }
}

/**
 * The zones from which removing one outdated node leads to the fewest zone-rebalance cycles in the worst case over
 * Auto Scaling's tie choices (then on average), in zone order; undefined when the search is too large to run.
 *
 * `counts`: live instances per zone now (the surge instance included); `outdated`: outdated instances per zone;
 * `removable`: outdated instances per zone that may be removed now (joined members).
 */
export function bestRemovalZones(
  zones: readonly string[],
  counts: readonly number[],
  outdated: readonly number[],
  removable: readonly number[],
): { zones: string[]; worst: number; mean: number } | undefined {
  const search = new Search();
  const options = search.options(counts, outdated, removable);
  if (search.exhausted || options.length === 0) return undefined;
  let best = options[0]!.value;
  for (const o of options) if (better(o.value, best)) best = o.value;
  const eq = (v: Value) => !better(best, v);
  return {
    zones: options.filter((o) => eq(o.value)).map((o) => zones[o.zone]!),
    worst: best[0],
    mean: best[1],
  };
}
