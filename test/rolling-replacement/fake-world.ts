/**
 * A small in-memory cluster + fleet for core and reconcile tests: instances join on the next tick, an excluded node
 * gives up one shard copy per tick, terminated instances leave on the next tick. Not a simulator: just enough to
 * drive decide() through whole rolls and to count what happened.
 */
import type { EsPort } from '../../lambda/rolling-replacement/core/es-port';
import type {
  FleetGroup,
  FleetInstance,
  FleetPort,
  LifecycleState,
} from '../../lambda/rolling-replacement/core/fleet-port';
import type { EsView, ShardCopy, Unknown } from '../../lambda/rolling-replacement/core/types';

interface Inst {
  id: string;
  lt: string;
  state: LifecycleState;
  az: string;
  protected?: boolean;
}
interface Group {
  name: string;
  role: 'master' | 'data';
  desired: number;
  max: number;
  target: string;
  instances: Inst[];
  suspended: string[];
  tags: Record<string, string>;
  /** Availability Zones the group launches into (absent: every instance is in eu-west-1a, no zone list). */
  zones?: string[];
  /** MinSize (default 0). */
  minSize?: number;
}
interface Shard {
  index: string;
  shard: number;
  primary: boolean;
  node: string | null;
  bytes: number;
}

export interface FakeWorldOptions {
  masters?: number;
  data?: number;
  fromVersion?: string;
  toVersion?: string;
  /** Shards per index (one index, one replica each). */
  shards?: number;
  /** A launch that never joins (fail-boot). */
  failBoot?: boolean;
  /** Availability Zones of both groups; new instances go to the emptiest one (ties: the first), like Auto Scaling. */
  zones?: string[];
  /** Zone of each initial instance, by role (default: round-robin over `zones`). */
  placement?: { data?: string[]; master?: string[] };
  /** Launch template version of the initial instances (default "1"; "2" is the target). */
  lt?: string;
  /**
   * The initial instances lack scale-in protection (a group deployed before NewInstancesProtectedFromScaleIn).
   * Default: every instance is protected, as the construct configures it.
   */
  unprotected?: boolean;
}

export class FakeWorld implements FleetPort, EsPort {
  readonly groups: Group[];
  shards: Shard[] = [];
  joined = new Map<string, { version: string; roles: string[] }>();
  exclude: string[] = [];
  voting: string[] = [];
  rebalance: string | null = null;
  electedMaster: string | undefined;
  esDown = false;
  /** Instances marked Unhealthy (SetInstanceHealth); this fake world does not replace them. */
  readonly unhealthy = new Set<string>();
  failBoot: boolean;
  /** Versions by launch template version. */
  ltVersions: Record<string, string>;
  terminations: string[] = [];
  lostCopies = 0;
  primariesLost = 0;
  maxOut = 0;
  writes: string[] = [];
  /** Overrides the zone of the next launch (an Auto Scaling group that does not balance). */
  launchZone?: (g: Group) => string | undefined;
  private seq = 0;

  constructor(o: FakeWorldOptions = {}) {
    const from = o.fromVersion ?? '8.18.2';
    this.ltVersions = { '1': from, '2': o.toVersion ?? '8.19.3' };
    this.failBoot = o.failBoot ?? false;
    const lt = o.lt ?? '1';
    const zones = o.zones;
    const mk = (name: string, role: 'master' | 'data', n: number): Group => ({
      name,
      role,
      desired: n,
      max: n * 2,
      target: '2',
      instances: Array.from({ length: n }, (_, k) => ({
        id: this.newId(),
        lt,
        state: 'InService' as LifecycleState,
        az: o.placement?.[role]?.[k] ?? (zones ? zones[k % zones.length]! : 'eu-west-1a'),
        ...(o.unprotected ? { protected: false } : {}),
      })),
      suspended: [],
      tags: {},
      ...(zones ? { zones: [...zones] } : {}),
    });
    this.groups = [mk('data-asg', 'data', o.data ?? 3), mk('master-asg', 'master', o.masters ?? 3)];
    for (const g of this.groups) {
      for (const i of g.instances)
        this.joined.set(i.id, {
          version: this.ltVersions[i.lt] ?? from,
          roles: g.role === 'master' ? ['master'] : ['data'],
        });
    }
    this.electedMaster = this.groups[1]!.instances[0]!.id;
    const dataIds = this.groups[0]!.instances.map((i) => i.id);
    const n = o.shards ?? 3;
    for (let s = 0; s < n; s++) {
      this.shards.push({ index: 'logs', shard: s, primary: true, node: dataIds[s % dataIds.length]!, bytes: 1000 });
      this.shards.push({
        index: 'logs',
        shard: s,
        primary: false,
        node: dataIds[(s + 1) % dataIds.length]!,
        bytes: 1000,
      });
    }
  }

  /** Where Auto Scaling launches: the zone with the fewest live instances, ties to the first zone. */
  emptiestZone(g: Group): string {
    if (!g.zones) return 'eu-west-1a';
    const live = g.instances.filter((i) => i.state !== 'Terminating');
    const count = (z: string) => live.filter((i) => i.az === z).length;
    return g.zones.reduce((best, z) => (count(z) < count(best) ? z : best), g.zones[0]!);
  }

  /** Live instances per zone of a group, e.g. { "eu-west-1a": 2, "eu-west-1b": 1 }. */
  zoneCounts(name: string): Record<string, number> {
    const g = this.group(name);
    const out: Record<string, number> = Object.fromEntries((g.zones ?? []).map((z) => [z, 0]));
    for (const i of g.instances.filter((x) => x.state !== 'Terminating')) out[i.az] = (out[i.az] ?? 0) + 1;
    return out;
  }

  private newId(): string {
    return `i-${(++this.seq).toString(16).padStart(8, '0')}`;
  }

  group(name: string): Group {
    const g = this.groups.find((x) => x.name === name);
    if (!g) throw new Error(`no group ${name}`);
    return g;
  }

  // ---- FleetPort
  async describeGroups(names: readonly string[]): Promise<FleetGroup[]> {
    return this.groups
      .filter((g) => names.includes(g.name))
      .map((g) => ({
        name: g.name,
        role: g.role,
        desiredCapacity: g.desired,
        minSize: g.minSize ?? 0,
        maxSize: g.max,
        targetLaunchTemplateVersion: g.target,
        instances: g.instances.map((i): FleetInstance => ({
          instanceId: i.id,
          lifecycleState: i.state,
          healthStatus: this.unhealthy.has(i.id) ? 'Unhealthy' : 'Healthy',
          launchTemplateVersion: i.lt,
          availabilityZone: i.az,
          protectedFromScaleIn: i.protected ?? true,
        })),
        suspendedProcesses: [...g.suspended],
        ...(g.zones ? { availabilityZones: [...g.zones] } : {}),
        tags: { ...g.tags },
      }));
  }
  async setDesiredCapacity(name: string, desired: number): Promise<void> {
    this.writes.push(`desired ${name} ${desired}`);
    this.group(name).desired = desired;
  }
  async terminateInstance(id: string, decrement: boolean): Promise<void> {
    for (const g of this.groups) {
      const i = g.instances.find((x) => x.id === id);
      if (i && i.state !== 'Terminating') {
        this.writes.push(`terminate ${id}`);
        this.terminations.push(id);
        i.state = 'Terminating';
        if (decrement) g.desired--;
      }
    }
  }
  async suspendProcesses(name: string, p: readonly string[]): Promise<void> {
    const g = this.group(name);
    g.suspended = [...new Set([...g.suspended, ...p])];
  }
  async resumeProcesses(name: string, p: readonly string[]): Promise<void> {
    const g = this.group(name);
    g.suspended = g.suspended.filter((x) => !p.includes(x));
  }
  async setInstanceProtection(name: string, ids: readonly string[], protect: boolean): Promise<void> {
    this.writes.push(`protect ${name} ${ids.join(',')} ${protect}`);
    for (const i of this.group(name).instances) if (ids.includes(i.id)) i.protected = protect;
  }
  async setInstanceHealth(id: string, health: 'Unhealthy'): Promise<void> {
    this.writes.push(`health ${id} ${health}`);
    this.unhealthy.add(id);
  }
  async setTags(name: string, tags: Readonly<Record<string, string>>): Promise<void> {
    Object.assign(this.group(name).tags, tags);
  }
  async deleteTags(name: string, keys: readonly string[]): Promise<void> {
    const g = this.group(name);
    for (const k of keys) delete g.tags[k];
  }

  // ---- EsPort
  async observe(): Promise<EsView | Unknown> {
    if (this.esDown) return { unknown: 'TimeoutError: request timed out' };
    const shards: ShardCopy[] = this.shards.map((s) => ({
      index: s.index,
      shard: s.shard,
      primary: s.primary,
      state: s.node ? 'STARTED' : 'UNASSIGNED',
      ...(s.node ? { node: s.node } : {}),
      bytes: s.bytes,
    }));
    const unassigned = shards.filter((s) => s.state === 'UNASSIGNED');
    const status = unassigned.some((s) => s.primary) ? 'red' : unassigned.length ? 'yellow' : 'green';
    return {
      health: {
        status,
        timedOut: false,
        numberOfNodes: this.joined.size,
        numberOfDataNodes: [...this.joined.values()].filter((n) => n.roles.includes('data')).length,
        relocatingShards: 0,
        initializingShards: 0,
        unassignedShards: unassigned.length,
        delayedUnassignedShards: 0,
        inFlightFetch: 0,
      },
      nodes: [...this.joined.entries()].map(([name, n]) => ({
        name,
        id: `id-${name}`,
        version: n.version,
        roles: n.roles,
      })),
      ...(this.electedMaster ? { electedMaster: this.electedMaster } : {}),
      shards,
      explanations: unassigned.map((s) => ({
        index: s.index,
        shard: s.shard,
        primary: s.primary,
        canAllocate: 'throttled',
        nodeDecisions: [],
      })),
      allocationExcludeNames: [...this.exclude],
      votingExclusions: [...this.voting],
      rebalanceEnable: { persistent: this.rebalance, transient: null },
      lowWatermark: 0.85,
    };
  }
  async addAllocationExclusion(node: string): Promise<void> {
    this.writes.push(`exclude ${node}`);
    if (!this.exclude.includes(node)) this.exclude.push(node);
  }
  async removeAllocationExclusions(nodes: readonly string[]): Promise<void> {
    this.exclude = this.exclude.filter((n) => !nodes.includes(n));
  }
  async setRebalanceEnable(value: string | null): Promise<void> {
    this.rebalance = value;
  }
  async addVotingExclusion(node: string): Promise<void> {
    this.writes.push(`voting ${node}`);
    if (!this.voting.includes(node)) this.voting.push(node);
    if (this.electedMaster === node) {
      this.electedMaster = [...this.joined.entries()].find(
        ([n, v]) => v.roles.includes('master') && !this.voting.includes(n),
      )?.[0];
    }
  }
  async clearVotingExclusions(): Promise<void> {
    this.voting = [];
  }

  // ---- time passes
  tick(): void {
    for (const g of this.groups) {
      // Leaving instances drop out of the cluster and the group.
      for (const i of g.instances.filter((x) => x.state === 'Terminating')) {
        this.joined.delete(i.id);
        for (const s of this.shards.filter((x) => x.node === i.id)) {
          s.node = null;
          this.lostCopies++;
          if (!this.shards.some((o) => o.index === s.index && o.shard === s.shard && o.node)) this.primariesLost++;
        }
        if (this.electedMaster === i.id) this.electedMaster = undefined;
      }
      g.instances = g.instances.filter((x) => x.state !== 'Terminating');
      for (const i of g.instances.filter((x) => x.state === 'Pending')) {
        if (this.failBoot) continue;
        i.state = 'InService';
        this.joined.set(i.id, { version: this.ltVersions[i.lt]!, roles: g.role === 'master' ? ['master'] : ['data'] });
      }
      while (g.instances.length < g.desired) {
        const az = this.launchZone?.(g) ?? this.emptiestZone(g);
        g.instances.push({ id: this.newId(), lt: g.target, state: 'Pending', az });
      }
    }
    if (!this.electedMaster) {
      this.electedMaster = [...this.joined.entries()].find(
        ([n, v]) => v.roles.includes('master') && !this.voting.includes(n),
      )?.[0];
    }
    const dataNodes = [...this.joined.entries()].filter(([, v]) => v.roles.includes('data')).map(([n]) => n);
    const target = (s: Shard) =>
      dataNodes
        .filter((n) => !this.exclude.includes(n))
        .filter((n) => !this.shards.some((o) => o.index === s.index && o.shard === s.shard && o.node === n))
        .sort(
          (a, b) => this.shards.filter((x) => x.node === a).length - this.shards.filter((x) => x.node === b).length,
        )[0];
    // One move off an excluded node per tick; unassigned copies get a home.
    for (const n of this.exclude) {
      const s = this.shards.find((x) => x.node === n);
      const t = s && target(s);
      if (s && t) s.node = t;
    }
    for (const s of this.shards.filter((x) => !x.node)) {
      const t = target(s);
      if (t) s.node = t;
    }
    const out = this.groups.reduce((a, g) => a + g.instances.filter((i) => !this.joined.has(i.id)).length, 0);
    this.maxOut = Math.max(this.maxOut, this.exclude.length + this.voting.length);
    void out;
  }
}
