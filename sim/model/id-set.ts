/**
 * A set of document ids as runs of numbers per origin (`<origin>#<n>`), so an index of millions of documents costs a
 * few intervals. Documents keep their id through a reindex; the origin says where an id was first indexed (the
 * scenario's index name, or `<index>~w` for documents of a write-load fault). Ordered by origin, then number: a
 * position in that order is what a reindex slice copies (`piecesAt`).
 */

export interface Piece {
  readonly origin: string;
  readonly from: number;
  /** Exclusive. */
  readonly to: number;
}

export class IdSet {
  private readonly runs = new Map<string, [number, number][]>();

  static of(pieces: readonly Piece[]): IdSet {
    const s = new IdSet();
    for (const p of pieces) s.add(p);
    return s;
  }

  get size(): number {
    let n = 0;
    for (const list of this.runs.values()) for (const [a, b] of list) n += b - a;
    return n;
  }

  clone(): IdSet {
    return IdSet.of(this.pieces());
  }

  /** Every run, origins sorted, numbers ascending. */
  pieces(): Piece[] {
    const out: Piece[] = [];
    for (const origin of [...this.runs.keys()].sort()) {
      for (const [from, to] of this.runs.get(origin)!) out.push({ origin, from, to });
    }
    return out;
  }

  add(p: Piece): void {
    if (p.to <= p.from) return;
    const list = this.runs.get(p.origin) ?? [];
    list.push([p.from, p.to]);
    list.sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const r of list) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    this.runs.set(p.origin, merged);
  }

  has(id: string): boolean {
    const hash = id.lastIndexOf('#');
    if (hash < 0) return false;
    const n = Number(id.slice(hash + 1));
    const list = this.runs.get(id.slice(0, hash));
    return Number.isInteger(n) && list !== undefined && list.some(([a, b]) => n >= a && n < b);
  }

  /** The ids at positions [a, b) of the set's order. */
  piecesAt(a: number, b: number): Piece[] {
    const out: Piece[] = [];
    let pos = 0;
    for (const p of this.pieces()) {
      const len = p.to - p.from;
      const lo = Math.max(a, pos);
      const hi = Math.min(b, pos + len);
      if (lo < hi) out.push({ origin: p.origin, from: p.from + lo - pos, to: p.from + hi - pos });
      pos += len;
      if (pos >= b) break;
    }
    return out;
  }

  /** The parts of `pieces` that are not in this set. */
  without(pieces: readonly Piece[]): Piece[] {
    const out: Piece[] = [];
    for (const p of pieces) {
      let cursor = p.from;
      for (const [a, b] of this.runs.get(p.origin) ?? []) {
        if (b <= cursor || a >= p.to) continue;
        if (a > cursor) out.push({ origin: p.origin, from: cursor, to: a });
        cursor = Math.max(cursor, b);
      }
      if (cursor < p.to) out.push({ origin: p.origin, from: cursor, to: p.to });
    }
    return out;
  }

  /** `k` ids spread evenly over the set's order, shifted by `seed` (a deterministic stand-in for random_score). */
  sample(k: number, seed: number): string[] {
    const n = this.size;
    if (n === 0 || k <= 0) return [];
    const count = Math.min(k, n);
    const step = n / count;
    const offset = Math.abs(seed) % Math.max(1, Math.floor(step));
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      const pos = Math.min(n - 1, Math.floor(i * step) + offset);
      const [p] = this.piecesAt(pos, pos + 1);
      out.push(`${p!.origin}#${p!.from}`);
    }
    return out;
  }
}

export function piecesSize(pieces: readonly Piece[]): number {
  return pieces.reduce((n, p) => n + p.to - p.from, 0);
}
