/**
 * What a roll looked like over time, recorded from the simulated world after each strategy step (the runner's
 * `onStep` hook): cluster health, bytes moved so far, bytes still on outdated data nodes; and, at the end, each
 * instance's life (launch, join, termination). Read by the HTML report (lib/report); changes nothing in the world.
 */
import type { World } from './model/world';

export interface TimelineSample {
  readonly t: number;
  readonly status: 'green' | 'yellow' | 'red';
  /** Bytes copied by recoveries since the start. */
  readonly bytesMoved: number;
  /** Bytes held by data nodes launched from an older launch template version (what the roll still has to move). */
  readonly bytesLeft: number;
}

export interface InstanceLife {
  readonly id: string;
  readonly role: 'master' | 'data';
  readonly initial: boolean;
  readonly launchedAt: number;
  readonly joinedAt?: number;
  readonly terminatedAt?: number;
}

export class TimelineRecorder {
  readonly samples: TimelineSample[] = [];

  /** Records the world now; a second sample at the same time replaces the first. */
  sample(world: World): void {
    const c = world.cluster;
    let bytesLeft = 0;
    for (const inst of world.instances.values()) {
      if (inst.group.role !== 'data' || inst.terminatedAt !== undefined) continue;
      if (inst.ltVersion === inst.group.targetLtVersion) continue;
      const node = c.nodes.get(inst.id);
      if (node) bytesLeft += c.usedBytes(node);
    }
    const s: TimelineSample = { t: world.now, status: c.status(), bytesMoved: Math.round(c.bytesRecovered), bytesLeft };
    const last = this.samples[this.samples.length - 1];
    if (last && last.t === s.t) this.samples[this.samples.length - 1] = s;
    else this.samples.push(s);
  }
}

/** Every instance the run saw, in launch order. */
export function instanceLives(world: World): InstanceLife[] {
  return [...world.instances.values()]
    .sort((a, b) => a.launchedAt - b.launchedAt || a.id.localeCompare(b.id))
    .map((i) => ({
      id: i.id,
      role: i.group.role === 'master' ? 'master' : 'data',
      initial: i.initial,
      launchedAt: i.launchedAt,
      ...(world.cluster.nodes.get(i.id)?.joinedAt !== undefined
        ? { joinedAt: world.cluster.nodes.get(i.id)!.joinedAt }
        : {}),
      ...(i.terminatedAt !== undefined ? { terminatedAt: i.terminatedAt } : {}),
    }));
}
