/**
 * A priority queue of timed events (binary heap). Events at the same time pop in insertion order, so a run is
 * deterministic.
 */
export interface QueuedEvent<T> {
  readonly time: number;
  readonly seq: number;
  readonly payload: T;
}

export class EventQueue<T> {
  private readonly heap: QueuedEvent<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(time: number, payload: T): void {
    const ev = { time, seq: this.seq++, payload };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  peekTime(): number {
    return this.heap.length > 0 ? this.heap[0].time : Infinity;
  }

  pop(): QueuedEvent<T> | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before<T>(a: QueuedEvent<T>, b: QueuedEvent<T>): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
