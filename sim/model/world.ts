import type { Scenario } from '../scenario';
import { EsError } from './cluster';
import { Group, isActive } from './fleet';
import { INITIAL_LT_VERSION, TARGET_LT_VERSION, WorldEvent } from './world-base';
import { WorldFaults } from './world-faults';

/**
 * The simulated world: a virtual clock and event queue driving the Elasticsearch cluster model and the Auto Scaling
 * groups it runs on, plus scheduled faults and hourly index creation. Deterministic for a given scenario and seed.
 *
 * Time only moves in `advanceTo`, which jumps from event to event (including the moment the next recovery
 * finishes), never ticking second by second.
 */

export class World extends WorldFaults {
  constructor(scenario: Scenario, seed: number = scenario.seed) {
    super(scenario, seed);
    const c = scenario.cluster;
    const lts = () =>
      new Map([
        [INITIAL_LT_VERSION, { esVersion: c.version, ami: 'ami-current' }],
        [
          TARGET_LT_VERSION,
          {
            esVersion: this.targetVersion,
            ami: scenario.change.ami ?? 'ami-current',
            ...(scenario.change.caGeneration ? { caGeneration: scenario.change.caGeneration } : {}),
          },
        ],
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

  private refreshFlags(): void {
    this.killOrphanTasks();
    this.failSnapshotsOfGoneNodes();
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
        if (inst.unattached) {
          // Launched by the orchestrator, not attached yet: the boot waits for its group tag (world-launch.ts).
          inst.waitingForGroupSince = this.now;
          return;
        }
        this.startElasticsearch(inst, node);
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
        if (g.instances.includes(inst)) g.instances.splice(g.instances.indexOf(inst), 1);
        this.reconcileFleet(g);
        return;
      }
      case 'health-replace': {
        const inst = this.instances.get(ev.id);
        // An unattached instance belongs to no group: no health check replaces it.
        if (!inst || inst.health !== 'Unhealthy' || !isActive(inst) || inst.unattached) return;
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
      case 'snapshot-shard-done':
        this.cluster.reroute();
        return;
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
}

export { FleetError, INITIAL_LT_VERSION, round3, TARGET_LT_VERSION, type WorldNote } from './world-base';
export { EsError };
