import type { Fault, Scenario } from '../scenario';
import { settingText } from '../fault-schema';
import { EventQueue } from '../event-queue';
import { Random } from '../random';
import { Cluster, ClusterHost, EsError, EsNode } from './cluster';
import { Group, Instance, isActive, SCALING_PROCESSES, scaleInVictim, zoneForLaunch } from './fleet';
import { recordWrites } from './indices-data';
import { Volumes } from './volumes';
import { SimTask, WindowFault, Windows } from './windows';

/**
 * The simulated world: a virtual clock and event queue driving the Elasticsearch cluster model and the Auto Scaling
 * groups it runs on, plus scheduled faults and hourly index creation. Deterministic for a given scenario and seed.
 *
 * Time only moves in `advanceTo`, which jumps from event to event (including the moment the next recovery
 * finishes), never ticking second by second.
 */

type WorldEvent =
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

export class World {
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
  private readonly queue = new EventQueue<WorldEvent>();
  private instanceCounter = 0;
  private failBoots: { count: number; at: number; role?: 'master' | 'data' }[] = [];
  private red = false;
  private noMaster = false;
  private under = false;
  readonly windows = new Windows();
  /** Data volumes (volumes.ts): they outlive their instance only through a handoff. */
  readonly volumes = new Volumes();
  /** Long-running tasks of `task` faults (listed by `_tasks`). */
  readonly tasks: SimTask[] = [];
  /** Documents acknowledged / rejected (no active primary) under write-load. */
  documentsIndexed = 0;
  writesRejected = 0;
  tasksKilled = 0;
  private writeCarry = new Map<WindowFault, number>();

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
    };
    this.cluster = new Cluster(c.clusterName, this.rng.token(), scenario.model, host);
    this.groupNames = { master: `${c.clusterName}-master`, data: `${c.clusterName}-data` };
    const lts = () =>
      new Map([
        [INITIAL_LT_VERSION, { esVersion: c.version, ami: 'ami-current' }],
        [TARGET_LT_VERSION, { esVersion: this.targetVersion, ami: scenario.change.ami ?? 'ami-current' }],
      ]);
    for (const role of ['master', 'data'] as const) {
      const count = role === 'master' ? c.masters : c.dataNodes;
      const g: Group = {
        name: this.groupNames[role],
        role,
        desired: count,
        minSize: count,
        maxSize: count * 2,
        targetLtVersion: INITIAL_LT_VERSION,
        ltVersions: lts(),
        instances: [],
        suspended: new Set(),
        tags: new Map(),
        availabilityZones: c.availabilityZones,
        newInstancesProtectedFromScaleIn: false,
      };
      this.groups.set(g.name, g);
    }
    // Initial fleet: every node joined at t=0, the first master elected, all masters voting.
    for (const g of this.groups.values()) {
      for (let i = 0; i < g.desired; i++) {
        const inst = this.launch(g, true);
        inst.lifecycle = 'InService';
        this.cluster.nodes.get(inst.id)!.state = 'joined';
        this.cluster.nodes.get(inst.id)!.joinedAt = 0;
        if (g.role === 'data') this.volumes.create(inst.az, inst.id, 0).node = this.cluster.nodes.get(inst.id);
      }
    }
    const masters = [...this.cluster.nodes.values()].filter((n) => n.roles.includes('master'));
    this.cluster.votingConfig = masters
      .slice(0, masters.length % 2 === 0 ? Math.max(1, masters.length - 1) : masters.length)
      .map((n) => n.id)
      .sort();
    if (masters.length === 2) this.cluster.votingConfig = masters.map((n) => n.id).sort();
    for (const spec of c.indices) {
      const index = this.cluster.createIndex(spec);
      this.cluster.placeInitially(index);
      const replicas = index.shards.flatMap((sh) => sh.copies.filter((cp) => !cp.primary));
      for (const copy of replicas.slice(0, spec.unassignedReplicas)) this.cluster.unassignAtStart(copy);
    }
    this.cluster.master = masters[0];
    // The rollout: the groups now launch the target template version.
    for (const g of this.groups.values()) g.targetLtVersion = TARGET_LT_VERSION;
    const counts = scenario.change.counts;
    for (const [role, count] of [
      ['master', counts?.masters],
      ['data', counts?.dataNodes],
    ] as const) {
      if (count === undefined) continue;
      // The deploy of a new count: UpdateAutoScalingGroup lowers the desired capacity to a lower MaxSize by itself.
      // A lower count deploys only onto groups that protect their instances from scale in (the deployed record's
      // check), so Auto Scaling keeps every instance and the rolling replacement scales in through the drain.
      const g = this.group(this.groupNames[role]);
      g.newInstancesProtectedFromScaleIn = true;
      for (const i of g.instances) i.protectedFromScaleIn = true;
      g.minSize = count;
      g.maxSize = count + 1;
      g.desired = Math.min(Math.max(g.desired, count), g.maxSize);
      this.reconcileFleet(g);
    }
    // Faults and the hourly schedule.
    for (const f of scenario.faults) {
      if (f.kind === 'fail-boot') this.failBoots.push({ count: f.count, at: f.at, role: f.role });
      else if ('from' in f) {
        this.windows.add(f);
        this.queue.push(f.from, { kind: 'window-open', fault: f });
        this.queue.push(f.to, { kind: 'window-close', fault: f });
      } else if (f.kind !== 'crash-orchestrator') this.queue.push(f.at, { kind: 'fault', fault: f });
    }
    if (c.hourlyIndex) {
      const msIntoHour = this.startEpochMs % 3_600_000;
      this.queue.push(msIntoHour === 0 ? 3600 : (3_600_000 - msIntoHour) / 1000, { kind: 'hourly' });
    }
    this.cluster.reroute();
    this.refreshFlags();
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

  /** Runs the world until virtual time `t`, event by event. */
  advanceTo(t: number): void {
    if (t < this.now) return;
    for (;;) {
      const nextRecovery = this.now + this.cluster.nextRecoveryIn();
      const next = Math.min(nextRecovery, this.queue.peekTime());
      if (next > t) {
        this.elapse(t - this.now);
        return;
      }
      this.elapse(next - this.now);
      while (this.queue.peekTime() <= this.now) this.handle(this.queue.pop()!.payload);
      this.refreshFlags();
    }
  }

  /** Time of the next thing that changes the world (Infinity when idle). */
  nextChangeAt(): number {
    return Math.min(this.now + this.cluster.nextRecoveryIn(), this.queue.peekTime());
  }

  private elapse(dt: number): void {
    // Requests and fleet calls change the state between advances: measure from the current state.
    this.refreshFlags();
    if (dt > 0) {
      if (this.red) this.secondsRed += dt;
      if (this.noMaster) this.secondsWithoutMaster += dt;
      if (this.under) this.secondsUnderReplicated += dt;
      this.write(this.now, this.now + dt);
      this.now += dt;
    }
    this.cluster.progress(dt);
    this.refreshFlags();
  }

  /** write-load: documents indexed during [a, b). */
  private write(a: number, b: number): void {
    for (const { window, seconds } of this.windows.overlapping('write-load', a, b)) {
      if (window.kind !== 'write-load') continue;
      const exact = (this.writeCarry.get(window) ?? 0) + window.docsPerSecond * seconds;
      const count = Math.floor(exact);
      this.writeCarry.set(window, exact - count);
      if (count === 0) continue;
      const index = window.index
        ? this.cluster.indices.find((i) => i.name === window.index)
        : this.cluster.indices.reduce<(typeof this.cluster.indices)[number] | undefined>(
            (newest, i) => (newest === undefined || i.createdAt >= newest.createdAt ? i : newest),
            undefined,
          );
      if (!index || !this.cluster.master || index.settings.get('index.blocks.write') === 'true') {
        this.writesRejected += count;
        continue;
      }
      const r = this.cluster.write(index, count);
      recordWrites(index, r.acked, this.now);
      this.documentsIndexed += r.acked;
      this.writesRejected += r.rejected;
    }
  }

  private refreshFlags(): void {
    this.killOrphanTasks();
    this.red = this.cluster.status() === 'red';
    this.noMaster = this.cluster.master === undefined || this.cluster.master.dead === true;
    this.under = this.cluster.underReplicated();
  }

  private handle(ev: WorldEvent): void {
    switch (ev.kind) {
      case 'boot': {
        const inst = this.instances.get(ev.id);
        const node = this.cluster.nodes.get(ev.id);
        if (!inst || !node || inst.lifecycle !== 'Pending' || node.state !== 'pending') return;
        inst.lifecycle = 'InService';
        node.state = 'booting';
        node.startedAt = this.now;
        if (inst.group.role === 'data') this.attachVolume(inst.id, node);
        if (inst.failBoot) {
          this.note(
            'boot-failed',
            inst.id,
            'fault fail-boot: Elasticsearch does not start, instance status check fails',
          );
          inst.health = 'Unhealthy';
          this.queue.push(this.now + this.scenario.model.healthCheckSeconds, { kind: 'health-replace', id: inst.id });
        } else {
          this.queue.push(this.now + this.scenario.model.joinSeconds, { kind: 'join', id: inst.id });
        }
        this.reconcileFleet(inst.group);
        return;
      }
      case 'join': {
        const node = this.cluster.nodes.get(ev.id);
        if (node) this.cluster.tryJoin(node);
        return;
      }
      case 'shutdown':
        // A handoff stops Elasticsearch with its files kept on the volume (Copy.dataOn).
        this.cluster.leave(ev.id, this.instances.get(ev.id)?.handoff === true);
        return;
      case 'terminated': {
        const inst = this.instances.get(ev.id);
        if (!inst || inst.lifecycle === 'Terminated') return;
        inst.lifecycle = 'Terminated';
        inst.terminatedAt = this.now;
        this.cluster.leave(inst.id, inst.handoff === true);
        // A volume with a node's files on it (a handoff, or a replacement that attached one and died before it
        // joined) is detached and stays free in its zone; any other goes with its instance.
        const own = this.scenario.cluster.dataVolumes === 'own';
        if (own && (inst.handoff || this.cluster.filesOn(inst.id))) this.volumes.detach(inst.id, this.now);
        else {
          this.volumes.deleteWith(inst.id);
          this.cluster.dataDestroyed(inst.id);
        }
        const g = inst.group;
        g.instances.splice(g.instances.indexOf(inst), 1);
        this.reconcileFleet(g);
        return;
      }
      case 'health-replace': {
        const inst = this.instances.get(ev.id);
        if (!inst || inst.health !== 'Unhealthy' || !isActive(inst)) return;
        const g = inst.group;
        if (g.suspended.has('ReplaceUnhealthy') || g.suspended.has('HealthCheck')) {
          // Checked again later, when the process may have been resumed.
          this.queue.push(this.now + this.scenario.model.healthCheckSeconds, { kind: 'health-replace', id: inst.id });
          return;
        }
        this.note('asg-replace-unhealthy', inst.id, `${g.name} replaces an unhealthy instance`);
        this.beginTermination(inst);
        this.reconcileFleet(g);
        return;
      }
      case 'cluster':
        this.cluster.onTimer(ev.timer);
        return;
      case 'hourly':
        this.createHourlyIndex();
        return;
      case 'fault':
        this.applyFault(ev.fault);
        return;
      case 'window-open':
        this.openWindow(ev.fault);
        return;
      case 'window-close':
        if (ev.fault.kind === 'voting-exclusion-timeout' && !this.windows.isOpen(ev.fault.kind, this.now)) {
          this.cluster.resumeReconfiguration();
        }
        return;
      case 'es-restart': {
        const inst = this.instances.get(ev.id);
        const node = this.cluster.nodes.get(ev.id);
        if (!inst || !node || inst.lifecycle !== 'InService' || node.state !== 'gone') return;
        this.note('es-process-up', ev.id, 'fault es-process-down: Elasticsearch starts again on the same instance');
        this.cluster.restart(ev.id);
        this.queue.push(this.now + this.scenario.model.joinSeconds, { kind: 'join', id: ev.id });
        return;
      }
      case 'task-end':
        if (ev.task.state === 'running') ev.task.state = 'completed';
        return;
      case 'detected':
        this.cluster.leave(ev.id);
        return;
      case 'hook-timeout': {
        const inst = this.instances.get(ev.id);
        // A heartbeat moved the timeout: this event is stale (a later one is queued).
        if (inst?.lifecycle === 'Terminating:Wait' && this.now >= (inst.hookAction?.timeoutAt ?? 0)) {
          this.note('hook-timeout', inst.id, 'the termination lifecycle action timed out: the instance terminates');
          this.proceedTermination(inst);
        }
        return;
      }
    }
  }

  private openWindow(f: WindowFault): void {
    if (f.kind === 'voting-exclusion-timeout') this.cluster.reconfigurationStalled = true;
    if (f.kind === 'nodes-info-partial') {
      const joined = this.cluster.joinedNodes().sort((a, b) => a.name.localeCompare(b.name));
      const victim = f.node ?? (joined.length > 0 ? this.rng.pick(joined).name : undefined);
      if (victim) this.windows.omitted.set(f, victim);
    }
  }

  /** Tasks whose node went away are killed with it. */
  private killOrphanTasks(): void {
    for (const t of this.tasks) {
      if (t.state !== 'running') continue;
      const n = this.cluster.nodes.get(t.node);
      if (n && (n.state === 'joined' || n.state === 'leaving')) continue;
      t.state = 'killed';
      t.killedAt = this.now;
      this.tasksKilled++;
      this.note(
        'task-killed',
        t.node,
        `task ${t.action} killed: its node left after ${round3(this.now - t.startedAt)} s`,
      );
    }
  }

  /** Picks the fault's node: the one named, else one of the role's nodes in the state wanted, with the seed. */
  private faultVictim(
    node: string | undefined,
    role: 'master' | 'data',
    states: readonly string[],
  ): string | undefined {
    if (node) return node;
    const nodes = [...this.cluster.nodes.values()]
      .filter((n) => n.group === role && states.includes(n.state) && isActive(this.instances.get(n.name)!))
      .sort((a, b) => a.name.localeCompare(b.name));
    return nodes.length > 0 ? this.rng.pick(nodes).name : undefined;
  }

  private createHourlyIndex(): void {
    const spec = this.scenario.cluster.hourlyIndex!;
    if (!this.cluster.master) {
      this.queue.push(this.now + 10, { kind: 'hourly' });
      return;
    }
    const d = new Date(this.startEpochMs + Math.round(this.now * 1000));
    const p = (n: number) => String(n).padStart(2, '0');
    const name = `${spec.prefix}${d.getUTCFullYear()}.${p(d.getUTCMonth() + 1)}.${p(d.getUTCDate())}.${p(d.getUTCHours())}`;
    if (!this.cluster.indices.some((i) => i.name === name)) {
      this.cluster.createIndex({ ...spec, name });
    }
    const next = (Math.floor((this.startEpochMs + this.now * 1000) / 3_600_000) + 1) * 3_600_000;
    this.queue.push((next - this.startEpochMs) / 1000, { kind: 'hourly' });
  }

  private applyFault(f: Fault): void {
    switch (f.kind) {
      case 'scale-in': {
        const g = this.group(this.groupNames[f.role]);
        const desired = Math.max(0, g.desired - f.count);
        if (desired < g.minSize) g.minSize = desired;
        this.note('scale-in', undefined, `fault scale-in: ${g.name} desired capacity ${g.desired} → ${desired}`);
        g.desired = desired;
        this.reconcileFleet(g);
        return;
      }
      case 'terminate': {
        const id = this.faultVictim(f.node, f.role ?? 'data', ['joined', 'leaving', 'booting', 'pending']);
        const inst = id ? this.instances.get(id) : undefined;
        if (!inst || !isActive(inst)) {
          this.note('fault-skipped', id, `terminate: no running ${f.role ?? 'data'} instance`);
          return;
        }
        this.note('terminate', id, 'fault terminate: TerminateInstanceInAutoScalingGroup without decrement');
        this.terminateInstance(inst.id, false);
        return;
      }
      case 'cluster-setting': {
        if (!this.cluster.master) {
          this.queue.push(this.now + 10, { kind: 'fault', fault: f });
          return;
        }
        this.note(
          'cluster-setting',
          undefined,
          `fault cluster-setting: persistent ${f.key}=${JSON.stringify(f.value)}`,
        );
        this.cluster.applySettings('persistent', new Map([[f.key, settingText(f.value)]]));
        return;
      }
      case 'index-setting': {
        const index = this.cluster.indices.find((i) => i.name === f.index);
        if (!index || !this.cluster.master) {
          if (!index) this.note('fault-skipped', undefined, `index-setting: no index ${f.index} (yet)`);
          else this.queue.push(this.now + 10, { kind: 'fault', fault: f });
          return;
        }
        this.note('index-setting', undefined, `fault index-setting: ${f.index} ${f.key}=${JSON.stringify(f.value)}`);
        this.cluster.applyIndexSettings(index, new Map([[f.key, settingText(f.value)]]));
        return;
      }
      case 'es-process-down': {
        const id = this.faultVictim(f.node, f.role ?? 'data', ['joined', 'leaving']);
        const node = id ? this.cluster.nodes.get(id) : undefined;
        if (!id || !node || (node.state !== 'joined' && node.state !== 'leaving')) {
          this.note('fault-skipped', id, `es-process-down: no joined ${f.role ?? 'data'} node`);
          return;
        }
        this.note(
          'es-process-down',
          id,
          `fault es-process-down: Elasticsearch stops, the instance stays InService and healthy${f.for ? ` (back in ${f.for} s)` : ''}`,
        );
        this.cluster.leave(id, true);
        if (f.for) this.queue.push(this.now + f.for, { kind: 'es-restart', id });
        return;
      }
      case 'task': {
        const node = this.cluster.nodes.get(f.node);
        const running = node && (node.state === 'joined' || node.state === 'leaving');
        if (!running) {
          this.note('fault-skipped', f.node, `task: node ${f.node} is not in the cluster`);
          return;
        }
        const task: SimTask = {
          num: 1000 + this.tasks.length,
          node: f.node,
          action: f.action,
          startedAt: this.now,
          endsAt: this.now + f.seconds,
          state: 'running',
        };
        this.tasks.push(task);
        this.queue.push(task.endsAt, { kind: 'task-end', task });
        this.note('task', f.node, `fault task: ${f.action} runs for ${f.seconds} s`);
        return;
      }
    }
    if (f.kind === 'kill-node') {
      const joined = this.cluster
        .joinedNodes()
        .filter((n) => n.group === f.role)
        .sort((a, b) => a.name.localeCompare(b.name));
      const victim = f.node ? this.cluster.nodes.get(f.node) : joined.length > 0 ? this.rng.pick(joined) : undefined;
      if (!victim || victim.state === 'gone') {
        this.note('fault-skipped', f.node, `kill-node: no ${f.role} node to kill`);
        return;
      }
      this.kill(victim.name, 'fault kill-node');
    } else if (f.kind === 'master-failover') {
      this.cluster.failover(this.scenario.model.electionSeconds);
    }
  }

  /** The instance dies: Elasticsearch is gone at once, the ASG notices after its health check and replaces it. */
  kill(instanceId: string, reason = 'killed'): void {
    const inst = this.instances.get(instanceId);
    if (!inst) throw new Error(`no instance ${instanceId}`);
    this.note('node-killed', instanceId, reason);
    const node = this.cluster.nodes.get(instanceId);
    const detect = this.scenario.model.detectionSeconds;
    if (node && detect > 0 && (node.state === 'joined' || node.state === 'leaving')) {
      // Still in the cluster state until the follower checks fail; its recoveries stall.
      node.dead = true;
      this.cluster.updateRates();
      this.queue.push(this.now + detect, { kind: 'detected', id: instanceId });
    } else this.cluster.leave(instanceId);
    inst.health = 'Unhealthy';
    this.queue.push(this.now + this.scenario.model.healthCheckSeconds, { kind: 'health-replace', id: inst.id });
  }

  // ------------------------------------------------------------------ fleet

  private launch(g: Group, initial = false, rebalance = false): Instance {
    const n = ++this.instanceCounter;
    const id = `i-${n.toString(16).padStart(17, '0')}`;
    const lt = g.ltVersions.get(g.targetLtVersion)!;
    let failBoot = false;
    if (!initial) {
      const fb = this.failBoots.find((f) => f.count > 0 && this.now >= f.at && (!f.role || f.role === g.role));
      if (fb) {
        fb.count--;
        failBoot = true;
      }
    }
    const az = zoneForLaunch(g);
    const inst: Instance = {
      id,
      group: g,
      ltVersion: g.targetLtVersion,
      az,
      launchedAt: this.now,
      initial,
      failBoot,
      lifecycle: 'Pending',
      health: 'Healthy',
      protectedFromScaleIn: g.newInstancesProtectedFromScaleIn,
      rebalanceLaunch: rebalance,
    };
    g.instances.push(inst);
    this.instances.set(id, inst);
    const azIndex = Math.max(0, g.availabilityZones.indexOf(az));
    const node: EsNode = {
      name: id,
      id: this.rng.token(),
      ip: `10.0.${azIndex * 64 + Math.floor(n / 250)}.${(n % 250) + 4}`,
      roles: g.role === 'master' ? ['master'] : ['data', 'ingest'],
      group: g.role,
      version: lt.esVersion,
      az,
      diskTotal: g.role === 'data' ? this.scenario.cluster.diskBytesPerDataNode : 50 * 1024 ** 3,
      state: 'pending',
      startedAt: this.now,
    };
    this.cluster.addNode(node);
    if (!initial) {
      const boot = Math.max(
        1,
        this.scenario.model.bootSeconds + this.rng.jitter(this.scenario.model.bootJitterSeconds),
      );
      this.queue.push(this.now + boot, { kind: 'boot', id });
      this.note(
        'asg-launch',
        id,
        `${g.name} launches template version ${g.targetLtVersion} (Elasticsearch ${lt.esVersion}) in ${az}`,
      );
    }
    return inst;
  }

  private beginTermination(inst: Instance): void {
    const hook = inst.group.terminationHook;
    if (hook) {
      // The termination lifecycle hook holds the instance (still running, still in the cluster) until it is
      // completed or its heartbeat timeout passes.
      inst.lifecycle = 'Terminating:Wait';
      inst.hookAction = { startedAt: this.now, timeoutAt: this.now + hook.heartbeatTimeoutSeconds };
      this.queue.push(this.now + hook.heartbeatTimeoutSeconds, { kind: 'hook-timeout', id: inst.id });
      this.terminated.push(inst.id);
      return;
    }
    inst.lifecycle = 'Terminating';
    this.terminated.push(inst.id);
    this.stopInstance(inst);
  }

  /**
   * RecordLifecycleActionHeartbeat: the held instance waits another heartbeat timeout, but never past Auto Scaling's
   * limit for one lifecycle action (48 h, or 100 × the heartbeat timeout when that is shorter).
   */
  recordLifecycleActionHeartbeat(instanceId: string): void {
    const inst = this.instances.get(instanceId);
    const hook = inst?.group.terminationHook;
    if (inst?.lifecycle !== 'Terminating:Wait' || !inst.hookAction || !hook) {
      throw new FleetError('ValidationError', `No active Lifecycle Action found with instance ID ${instanceId}`);
    }
    const limit = inst.hookAction.startedAt + Math.min(48 * 3600, 100 * hook.heartbeatTimeoutSeconds);
    inst.hookAction.timeoutAt = Math.min(limit, this.now + hook.heartbeatTimeoutSeconds);
    this.queue.push(inst.hookAction.timeoutAt, { kind: 'hook-timeout', id: inst.id });
  }

  /** CompleteLifecycleAction (CONTINUE) on an instance held by a termination hook. */
  completeLifecycleAction(instanceId: string): void {
    const inst = this.instances.get(instanceId);
    if (inst?.lifecycle !== 'Terminating:Wait') {
      throw new FleetError('ValidationError', `No active Lifecycle Action found with instance ID ${instanceId}`);
    }
    this.proceedTermination(inst);
  }

  private proceedTermination(inst: Instance): void {
    inst.lifecycle = 'Terminating:Proceed';
    this.stopInstance(inst);
  }

  private stopInstance(inst: Instance): void {
    this.cluster.markLeaving(inst.id);
    const m = this.scenario.model;
    this.queue.push(this.now + Math.min(m.shutdownSeconds, m.terminateSeconds), { kind: 'shutdown', id: inst.id });
    this.queue.push(this.now + m.terminateSeconds, { kind: 'terminated', id: inst.id });
  }

  /** What an Auto Scaling group does on its own: launch to desired, scale in, rebalance zones. */
  private reconcileFleet(g: Group): void {
    const active = () => g.instances.filter(isActive);
    if (!g.suspended.has('Launch')) {
      while (active().length < g.desired) this.launch(g);
    }
    const pendingRebalance = g.instances.some((i) => i.rebalanceLaunch && i.lifecycle === 'Pending');
    if (!g.suspended.has('Terminate') && !pendingRebalance) {
      while (active().length > g.desired) {
        const victim = scaleInVictim(g, this.now, (items) => this.rng.pick(items));
        if (!victim) break;
        this.note('asg-scale-in', victim.id, `${g.name} terminates an instance to reach desired capacity ${g.desired}`);
        this.beginTermination(victim);
      }
    }
    // AZRebalance: launch in the emptiest zone first, then (above) terminate in the fullest one.
    if (
      !g.suspended.has('AZRebalance') &&
      !g.suspended.has('Launch') &&
      !g.suspended.has('Terminate') &&
      active().length === g.desired &&
      !g.instances.some((i) => i.lifecycle === 'Pending')
    ) {
      const counts = new Map<string, number>(g.availabilityZones.map((az) => [az, 0]));
      for (const i of active()) counts.set(i.az, counts.get(i.az)! + 1);
      const values = [...counts.values()];
      if (Math.max(...values) - Math.min(...values) > 1 && active().length < g.maxSize) {
        // One extra instance in the emptiest zone; once it is in service, scale-in removes one in the fullest zone.
        const inst = this.launch(g, false, true);
        this.note('asg-az-rebalance', inst.id, `${g.name} rebalances availability zones`);
      }
    }
  }

  group(name: string): Group {
    const g = this.groups.get(name);
    if (!g) throw new FleetError('ValidationError', `AutoScalingGroup name not found - ${name}`);
    return g;
  }

  /**
   * Volume handoff of a data node: Elasticsearch stops, the data volume is detached (kept, free in its zone) and the
   * instance is terminated without decrement, so the group launches a replacement, which attaches a free volume of
   * its zone when it boots.
   */
  handOff(instanceId: string): void {
    const inst = this.instances.get(instanceId);
    if (!inst || !isActive(inst)) return;
    if (inst.group.role !== 'data') throw new FleetError('ValidationError', `${instanceId} is not a data node`);
    if (this.scenario.cluster.dataVolumes !== 'own') {
      throw new FleetError('ValidationError', 'data volumes are launch-template volumes, deleted with the instance');
    }
    inst.handoff = true;
    this.note('handoff', instanceId, 'Elasticsearch stops; the data volume is detached and kept in its zone');
    this.terminateInstance(instanceId, false);
  }

  /** A booting data instance attaches a free volume of its zone (with a node's files and id) or creates one. */
  private attachVolume(instanceId: string, node: EsNode): void {
    const v = this.volumes.attachFree(node.az, instanceId);
    if (!v) {
      this.volumes.create(node.az, instanceId, this.now).node = node;
      return;
    }
    const previous = v.node;
    v.node = node;
    if (previous) {
      // Elasticsearch finds its data and its persistent node id on the volume.
      (node as { id: string }).id = previous.id;
      this.cluster.adoptData(previous, node);
      this.note('volume-attached', instanceId, `${v.id} in ${v.az} with the files of ${previous.name}`);
    }
  }

  /** TerminateInstanceInAutoScalingGroup. A gone or terminating instance is a no-op. */
  terminateInstance(instanceId: string, decrement: boolean): void {
    const inst = this.instances.get(instanceId);
    if (!inst || !isActive(inst)) return;
    const g = inst.group;
    if (decrement) {
      if (g.desired - 1 < g.minSize) {
        throw new FleetError(
          'ValidationError',
          `Currently, desiredSize equals minSize (${g.minSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
        );
      }
      g.desired--;
    }
    this.beginTermination(inst);
    this.reconcileFleet(g);
  }

  setDesiredCapacity(groupName: string, desired: number): void {
    const g = this.group(groupName);
    if (!Number.isInteger(desired) || desired < g.minSize || desired > g.maxSize) {
      throw new FleetError(
        'ValidationError',
        `New SetDesiredCapacity value ${desired} is ${desired < g.minSize ? 'below min value' : 'above max value'} ${desired < g.minSize ? g.minSize : g.maxSize} for the AutoScalingGroup.`,
      );
    }
    g.desired = desired;
    this.reconcileFleet(g);
  }

  suspendProcesses(groupName: string, processes: readonly string[]): void {
    const g = this.group(groupName);
    const list = processes.length === 0 ? [...SCALING_PROCESSES] : processes;
    for (const p of list) {
      if (!(SCALING_PROCESSES as readonly string[]).includes(p)) {
        throw new FleetError(
          'ValidationError',
          `Process ${p} is not a valid scaling process: ${SCALING_PROCESSES.join(', ')}`,
        );
      }
      g.suspended.add(p);
    }
  }

  resumeProcesses(groupName: string, processes: readonly string[]): void {
    const g = this.group(groupName);
    const list = processes.length === 0 ? [...SCALING_PROCESSES] : processes;
    for (const p of list) g.suspended.delete(p);
    this.reconcileFleet(g);
  }

  setInstanceProtection(instanceIds: readonly string[], groupName: string, protect: boolean): void {
    const g = this.group(groupName);
    for (const id of instanceIds) {
      const inst = g.instances.find((i) => i.id === id);
      if (!inst)
        throw new FleetError('ValidationError', `The instance ${id} is not part of Auto Scaling group ${groupName}.`);
      inst.protectedFromScaleIn = protect;
    }
  }

  // ------------------------------------------------------------------ facts for the report

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

export { EsError };
