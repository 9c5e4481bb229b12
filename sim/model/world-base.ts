import type { Fault, Scenario } from '../scenario';
import { EventQueue } from '../event-queue';
import { Random } from '../random';
import { Cluster, ClusterHost } from './cluster';
import { Group, Instance, isActive } from './fleet';
import { Snapshots } from './snapshots';
import { Volumes } from './volumes';
import { SimTask, WindowFault, Windows } from './windows';

/**
 * The world's state and what every layer needs: the virtual clock's event queue, the cluster model, the groups and
 * instances, the notes, and the facts the report reads. The layers, one concern each: world-fleet.ts (Auto Scaling
 * groups and instances), world-launch.ts (instances the orchestrator launches into chosen zones and attaches), world-faults.ts (scheduled faults, write-load, hourly indices) and world.ts (the initial
 * world, time, event dispatch).
 */

export type WorldEvent =
  | { kind: 'boot'; id: string }
  | { kind: 'join'; id: string }
  | { kind: 'shutdown'; id: string }
  | { kind: 'terminated'; id: string }
  | { kind: 'health-replace'; id: string }
  | { kind: 'cluster'; timer: 'reroute' | 'election' }
  | { kind: 'hourly' }
  | { kind: 'fault'; fault: Fault }
  | { kind: 'window-open'; fault: WindowFault }
  | { kind: 'window-close'; fault: WindowFault }
  | { kind: 'es-restart'; id: string }
  | { kind: 'task-end'; task: SimTask }
  | { kind: 'snapshot-shard-done' }
  | { kind: 'hook-timeout'; id: string }
  | { kind: 'detected'; id: string };

export interface WorldNote {
  readonly t: number;
  readonly action: string;
  readonly node?: string;
  readonly reason: string;
}

/** AWS-style API error from the simulated fleet (e.g. a desired capacity outside min..max). */
export class FleetError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export const TARGET_LT_VERSION = '2';
export const INITIAL_LT_VERSION = '1';

export abstract class WorldBase {
  now = 0;
  readonly rng: Random;
  readonly cluster: Cluster;
  readonly groups = new Map<string, Group>();
  readonly instances = new Map<string, Instance>();
  readonly notes: WorldNote[] = [];
  readonly terminated: string[] = [];
  readonly targetVersion: string;
  /** The configured node counts when the scenario changes them (`change.counts`). */
  readonly counts?: { readonly master: number; readonly data: number };
  readonly groupNames: { readonly master: string; readonly data: string };
  readonly startEpochMs: number;
  secondsRed = 0;
  secondsWithoutMaster = 0;
  secondsUnderReplicated = 0;
  protected readonly queue = new EventQueue<WorldEvent>();
  protected instanceCounter = 0;
  protected failBoots: { count: number; at: number; role?: 'master' | 'data' }[] = [];
  protected red = false;
  protected noMaster = false;
  protected under = false;
  readonly windows = new Windows();
  /** Data volumes (volumes.ts): they outlive their instance only through a handoff. */
  readonly volumes = new Volumes();
  /** Snapshots of `snapshot` faults (`_snapshot/_status`; snapshot_in_progress). */
  readonly snapshots = new Snapshots();
  /** Long-running tasks of `task` faults (listed by `_tasks`). */
  readonly tasks: SimTask[] = [];
  /** Documents acknowledged / rejected (no active primary) under write-load. */
  documentsIndexed = 0;
  writesRejected = 0;
  tasksKilled = 0;
  protected writeCarry = new Map<WindowFault, number>();

  constructor(
    readonly scenario: Scenario,
    seed: number = scenario.seed,
  ) {
    this.rng = new Random(seed);
    this.startEpochMs = Date.parse(scenario.startTime);
    const c = scenario.cluster;
    this.targetVersion = scenario.change.version ?? c.version;
    if (scenario.change.counts) {
      this.counts = {
        master: scenario.change.counts.masters ?? c.masters,
        data: scenario.change.counts.dataNodes ?? c.dataNodes,
      };
    }
    const host: ClusterHost = {
      now: () => this.now,
      schedule: (time, kind) => this.queue.push(time, { kind: 'cluster', timer: kind }),
      note: (action, node, reason) => this.note(action, node, reason),
      token: () => this.rng.token(),
      isoTime: (t) => this.isoTime(t),
      snapshotting: (index, shard, node) => this.snapshots.busy(index, shard, node, this.now),
    };
    this.cluster = new Cluster(c.clusterName, this.rng.token(), scenario.model, host);
    this.groupNames = { master: `${c.clusterName}-master`, data: `${c.clusterName}-data` };
  }

  isoTime(t: number): string {
    return new Date(this.startEpochMs + Math.round(t * 1000)).toISOString();
  }

  note(action: string, node: string | undefined, reason: string): void {
    this.notes.push({ t: round3(this.now), action, ...(node ? { node } : {}), reason });
  }

  /** True while an es-timeouts fault window is open. */
  esTimingOut(): boolean {
    return this.windows.isOpen('es-timeouts', this.now);
  }

  /** The node `_nodes` omits now (nodes-info-partial), if any. */
  nodesInfoOmitted(): string | undefined {
    for (const w of this.windows.open('nodes-info-partial', this.now)) {
      const n = this.windows.omitted.get(w);
      if (n) return n;
    }
    return undefined;
  }

  // ------------------------------------------------------------------ time

  /** Versions of the Elasticsearch nodes in the cluster. */
  versions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const n of this.cluster.joinedNodes()) out[n.version] = (out[n.version] ?? 0) + 1;
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Initial instances that were terminated, by role. */
  replaced(): { master: number; data: number } {
    const r = { master: 0, data: 0 };
    for (const inst of this.instances.values()) if (inst.initial && !isActive(inst)) r[inst.group.role]++;
    return r;
  }

  /**
   * Data volumes left free at the end with a node's files on them (a handoff whose replacement landed in another
   * zone, or never came): nothing attaches them unless a data node boots in their zone.
   */
  volumesOrphaned(): number {
    return this.volumes.orphaned().length;
  }

  /** True when every group runs desired instances from its target template and each has joined the cluster. */
  allAtTarget(): boolean {
    for (const g of this.groups.values()) {
      const active = g.instances.filter(isActive);
      if (active.length !== g.desired) return false;
      for (const i of active) {
        if (i.ltVersion !== g.targetLtVersion) return false;
        if (this.cluster.nodes.get(i.id)?.state !== 'joined') return false;
      }
    }
    return true;
  }
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
