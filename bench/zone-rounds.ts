/**
 * How many rounds of drains a `maxSurge` roll needs when Auto Scaling chooses the zone of each surge instance (issue
 * 17 part 2; docs/rollout.md "Methods"), and when the orchestrator chooses it (launch into a subnet of the zone, then
 * attach: `rollout.surgePlacement: orchestrator`, core/zone-launch.ts). A game over per-zone counts, solved exhaustively:
 *
 * - Every zone starts with its outdated nodes; every drain takes one round; a round's drains start together.
 * - Between rounds the orchestrator terminates the drained nodes (in any order, interleaved with launches) and
 *   launches surge instances (at most `maxSurge` above the baseline). Each launch lands in an emptiest zone (live
 *   instances: outdated, draining, drained but not yet terminated, new); among several, Auto Scaling chooses: the
 *   worst case ranges over every choice (its tie rule is not documented), the "first" case takes the first zone, as
 *   the simulator does. A launch is allowed only where every zone it may land in still needs a new instance. The
 *   "chosen" case lets the orchestrator pick any zone that still needs a new instance, emptiest or not.
 * - A round drains any outdated nodes, in any zones (a zone may run below its count while it waits for its launches),
 *   as long as the nodes that stay are at least the baseline (surge before drain).
 * - The roll is done when no outdated node is left and every zone holds its count again, all new (no zone-rebalance
 *   cycle).
 *
 * This covers batches, pipelines, drained nodes held back to steer launches, and zones drained ahead of their
 * launches. Pure and exhaustive (memoised); meant for small counts (up to about 10 per zone).
 */

/** Where a launch lands: Auto Scaling's emptiest zone ('worst' over its ties, or the 'first'), or a 'chosen' zone. */
export type TieRule = 'worst' | 'first' | 'chosen';

const key = (...parts: readonly (readonly number[] | number)[]) =>
  parts.map((p) => (typeof p === 'number' ? String(p) : p.join(','))).join('|');

class Game {
  private readonly memo = new Map<string, boolean>();
  private readonly total: number;

  constructor(
    private readonly base: readonly number[],
    private readonly maxSurge: number,
    private readonly tie: TieRule,
  ) {
    this.total = base.reduce((a, b) => a + b, 0);
  }

  /** True when the roll can end within `rounds` more rounds from here (outdated, new, drained-held per zone). */
  win(outdated: readonly number[], fresh: readonly number[], held: readonly number[], rounds: number): boolean {
    const k = key(outdated, fresh, held, rounds);
    const hit = this.memo.get(k);
    if (hit !== undefined) return hit;
    const r =
      this.tie === 'chosen'
        ? this.searchChosen(outdated, fresh, held, rounds)
        : this.search(outdated, fresh, held, rounds);
    this.memo.set(k, r);
    return r;
  }

  private search(
    outdated: readonly number[],
    fresh: readonly number[],
    held: readonly number[],
    rounds: number,
  ): boolean {
    const zones = this.base.length;
    const live = this.base.map((_, z) => outdated[z]! + fresh[z]! + held[z]!);
    const surged = live.reduce((a, b) => a + b, 0) - this.total;
    if (held.every((h) => h === 0)) {
      if (outdated.every((o) => o === 0)) {
        if (fresh.every((f, z) => f === this.base[z])) return true;
      } else if (rounds > 0 && this.drainRound(outdated, fresh, surged, rounds)) {
        return true;
      }
    }
    for (let z = 0; z < zones; z++) {
      if (held[z]! === 0) continue;
      if (
        this.win(
          outdated,
          fresh,
          held.map((h, i) => (i === z ? h - 1 : h)),
          rounds,
        )
      )
        return true;
    }
    if (surged < this.maxSurge) {
      const min = Math.min(...live);
      const ties = live.flatMap((n, z) => (n === min ? [z] : []));
      if (ties.every((z) => fresh[z]! < this.base[z]!)) {
        const lands = this.tie === 'first' ? ties.slice(0, 1) : ties;
        if (
          lands.every((z) =>
            this.win(
              outdated,
              fresh.map((f, i) => (i === z ? f + 1 : f)),
              held,
              rounds,
            ),
          )
        ) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The orchestrator chooses every launch's zone, so nothing is gained by holding a drained node back: between rounds
   * it terminates every drained node, then launches any number into zones that still need new instances (at most
   * maxSurge above the baseline), then drains.
   */
  private searchChosen(
    outdated: readonly number[],
    fresh: readonly number[],
    held: readonly number[],
    rounds: number,
  ): boolean {
    if (held.some((h) => h > 0))
      return this.win(
        outdated,
        fresh,
        held.map(() => 0),
        rounds,
      );
    const zones = this.base.length;
    const live = outdated.reduce((a, b) => a + b, 0) + fresh.reduce((a, b) => a + b, 0);
    const room = this.maxSurge - (live - this.total);
    const l = new Array<number>(zones).fill(0);
    const next = (z: number, sum: number): boolean => {
      if (z === zones) {
        const now = fresh.map((f, i) => f + l[i]!);
        if (outdated.every((o) => o === 0)) return now.every((f, i) => f === this.base[i]);
        return rounds > 0 && this.drainRound(outdated, now, live + sum - this.total, rounds);
      }
      for (let n = Math.min(this.base[z]! - fresh[z]!, room - sum); n >= 0; n--) {
        l[z] = n;
        if (next(z + 1, sum + n)) return true;
      }
      l[z] = 0;
      return false;
    };
    return next(0, 0);
  }

  /** Some choice of drains (per zone, at most its outdated nodes, in all at most the surge) that wins. */
  private drainRound(outdated: readonly number[], fresh: readonly number[], surged: number, rounds: number): boolean {
    const zones = outdated.length;
    const d = new Array<number>(zones).fill(0);
    const next = (z: number, sum: number): boolean => {
      if (z === zones) {
        if (sum === 0) return false;
        return this.win(
          outdated.map((o, i) => o - d[i]!),
          fresh,
          [...d],
          rounds - 1,
        );
      }
      for (let n = Math.min(outdated[z]!, surged - sum); n >= 0; n--) {
        d[z] = n;
        if (next(z + 1, sum + n)) return true;
      }
      d[z] = 0;
      return false;
    };
    return next(0, 0);
  }
}

/**
 * The fewest rounds that end the roll balanced whichever zone Auto Scaling picks among the emptiest ("worst"), with
 * the simulator's rule ("first"), or with the zone of every launch chosen by the orchestrator ("chosen"); undefined
 * above `limit` rounds.
 */
export function roundsNeeded(
  perZone: readonly number[],
  maxSurge: number,
  tie: TieRule,
  limit = 40,
): number | undefined {
  const nodes = perZone.reduce((a, b) => a + b, 0);
  if (nodes === 0) return 0;
  const game = new Game(perZone, maxSurge, tie);
  const zero = perZone.map(() => 0);
  for (let k = Math.ceil(nodes / maxSurge); k <= limit; k++) {
    if (game.win(perZone, zero, zero, k)) return k;
  }
  return undefined;
}

/**
 * Rounds of today's batches (core/parallel.ts) with equal zones: maxSurge rounded down to a multiple of the zone
 * count drains that many at once, one per zone per round; below the zone count, one at a time.
 */
export function batchRounds(perZone: readonly number[], maxSurge: number): number {
  const nodes = perZone.reduce((a, b) => a + b, 0);
  const perRound = Math.floor(maxSurge / perZone.length);
  if (perRound === 0) return nodes;
  return Math.ceil(Math.max(...perZone) / perRound);
}
