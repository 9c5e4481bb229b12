/**
 * Seeded pseudo-random numbers for the simulator (mulberry32: 32-bit state, period 2^32). Good enough for jitter and
 * fault targets; never used for anything that needs real randomness. The same seed always gives the same sequence.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    // Mix the seed so that small consecutive seeds do not start with similar outputs.
    this.state = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 0x6d2b79f5;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A float in [-spread, +spread]. */
  jitter(spread: number): number {
    return spread === 0 ? 0 : (this.next() * 2 - 1) * spread;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Random.pick: empty list');
    return items[this.int(items.length)];
  }

  /** A URL-safe base64 string like an Elasticsearch node id (22 characters). */
  token(length = 22): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[this.int(64)];
    return s;
  }
}
