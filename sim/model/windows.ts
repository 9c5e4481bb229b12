import type { Fault } from '../fault-schema';

/**
 * The world's time-window faults (slow-es, pending-tasks, nodes-info-partial, voting-exclusion-timeout, write-load,
 * es-timeouts, count-lag) and the long-running tasks of `task` faults: data and questions about "now", no behaviour.
 */

export type WindowFault = Extract<Fault, { from: number; to: number }>;
export type WindowKind = WindowFault['kind'];

export interface SimTask {
  /** Task number on its node (`<nodeId>:<num>` in `_tasks`). */
  readonly num: number;
  /** Instance id (= node name) the task runs on. */
  readonly node: string;
  readonly action: string;
  readonly startedAt: number;
  readonly endsAt: number;
  state: 'running' | 'completed' | 'killed';
  /** When the task died with its node. */
  killedAt?: number;
}

export class Windows {
  private readonly list: WindowFault[] = [];
  /** The node nodes-info-partial omits, per open window (picked when the window opens). */
  readonly omitted = new Map<WindowFault, string>();

  add(f: WindowFault): void {
    this.list.push(f);
  }

  open(kind: WindowKind, now: number): WindowFault[] {
    return this.list.filter((w) => w.kind === kind && now >= w.from && now < w.to);
  }

  isOpen(kind: WindowKind, now: number): boolean {
    return this.list.some((w) => w.kind === kind && now >= w.from && now < w.to);
  }

  /** Windows of a kind that overlap [a, b), with the overlap in seconds. */
  overlapping(kind: WindowKind, a: number, b: number): { window: WindowFault; seconds: number }[] {
    const out: { window: WindowFault; seconds: number }[] = [];
    for (const w of this.list) {
      if (w.kind !== kind) continue;
      const seconds = Math.min(b, w.to) - Math.max(a, w.from);
      if (seconds > 0) out.push({ window: w, seconds });
    }
    return out;
  }

  /** Virtual seconds one HTTP answer takes now (the largest open slow-es latency, else 0). */
  latency(now: number): number {
    let l = 0;
    for (const w of this.open('slow-es', now)) if (w.kind === 'slow-es') l = Math.max(l, w.latencySeconds);
    return l;
  }
}
