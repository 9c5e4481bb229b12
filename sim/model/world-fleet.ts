import { EsNode } from './cluster';
import {
  EC2_PENDING_SECONDS,
  Group,
  Instance,
  isActive,
  SCALING_PROCESSES,
  scaleInVictim,
  zoneForLaunch,
} from './fleet';
import { FleetError, WorldBase } from './world-base';

/**
 * The Auto Scaling side of the world: launches, terminations (with a termination lifecycle hook), desired capacity,
 * suspended processes, scale-in protection, AZRebalance, volume handoff, and a dying instance.
 */
export abstract class WorldFleet extends WorldBase {
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

  /**
   * Launches an instance of the group: by Auto Scaling (into its emptiest zone, a member at once), or with `chosen` by
   * the orchestrator (EC2 RunInstances into that zone at that template version, unattached: world-launch.ts).
   */
  protected launch(
    g: Group,
    initial = false,
    rebalance = false,
    chosen?: { readonly az: string; readonly ltVersion: string; readonly key: string },
  ): Instance {
    const n = ++this.instanceCounter;
    const id = `i-${n.toString(16).padStart(17, '0')}`;
    const ltVersion = chosen?.ltVersion ?? g.targetLtVersion;
    const lt = g.ltVersions.get(ltVersion)!;
    let failBoot = false;
    if (!initial) {
      const fb = this.failBoots.find((f) => f.count > 0 && this.now >= f.at && (!f.role || f.role === g.role));
      if (fb) {
        fb.count--;
        failBoot = true;
      }
    }
    const az = chosen?.az ?? zoneForLaunch(g);
    // launch-slow: the instance stays `pending` longer, and its boot is late by as much.
    const pending = initial ? 0 : this.pendingSeconds();
    const inst: Instance = {
      id,
      group: g,
      ltVersion,
      az,
      launchedAt: this.now,
      initial,
      failBoot,
      lifecycle: 'Pending',
      health: 'Healthy',
      protectedFromScaleIn: g.newInstancesProtectedFromScaleIn,
      rebalanceLaunch: rebalance,
      runningAt: this.now + pending,
      ...(chosen ? { launchKey: chosen.key, unattached: true } : {}),
    };
    if (!chosen) g.instances.push(inst);
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
      const boot =
        Math.max(1, this.scenario.model.bootSeconds + this.rng.jitter(this.scenario.model.bootJitterSeconds)) +
        Math.max(0, pending - EC2_PENDING_SECONDS);
      this.queue.push(this.now + boot, { kind: 'boot', id });
      if (chosen) {
        this.note(
          'ec2-launch',
          id,
          `RunInstances for ${g.name}: template version ${ltVersion} (Elasticsearch ${lt.esVersion}) in ${az}, unattached (key ${chosen.key})`,
        );
      } else {
        this.note(
          'asg-launch',
          id,
          `${g.name} launches template version ${ltVersion} (Elasticsearch ${lt.esVersion}) in ${az}`,
        );
      }
    }
    return inst;
  }

  /** Seconds a launch now stays EC2 `pending`: the longest open launch-slow fault's, else EC2_PENDING_SECONDS. */
  protected pendingSeconds(): number {
    let s = EC2_PENDING_SECONDS;
    for (const w of this.windows.open('launch-slow', this.now))
      if (w.kind === 'launch-slow') s = Math.max(s, w.seconds);
    return s;
  }

  protected beginTermination(inst: Instance): void {
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

  protected proceedTermination(inst: Instance): void {
    inst.lifecycle = 'Terminating:Proceed';
    this.stopInstance(inst);
  }

  protected stopInstance(inst: Instance): void {
    this.cluster.markLeaving(inst.id);
    const m = this.scenario.model;
    this.queue.push(this.now + Math.min(m.shutdownSeconds, m.terminateSeconds), { kind: 'shutdown', id: inst.id });
    this.queue.push(this.now + m.terminateSeconds, { kind: 'terminated', id: inst.id });
  }

  /** What an Auto Scaling group does on its own: launch to desired, scale in, rebalance zones. */
  protected reconcileFleet(g: Group): void {
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
  protected attachVolume(instanceId: string, node: EsNode): void {
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
    if (inst.unattached) {
      throw new FleetError(
        'ValidationError',
        `Instance Id not found - No managed instance found for instance ID: ${instanceId}`,
      );
    }
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

  /**
   * SetInstanceHealth Unhealthy (ShouldRespectGracePeriod false): Auto Scaling replaces the instance at its next
   * health check, as for a dead instance (the node health check, issue 12 finding 7).
   */
  setInstanceHealth(instanceId: string, health: 'Unhealthy'): void {
    const inst = this.instances.get(instanceId);
    if (!inst || inst.lifecycle === 'Terminated' || inst.unattached) {
      throw new FleetError(
        'ValidationError',
        `Instance Id not found - No managed instance found for instance ID: ${instanceId}`,
      );
    }
    if (inst.health === health) return;
    this.note('set-instance-health', instanceId, `instance marked ${health} (SetInstanceHealth)`);
    inst.health = health;
    this.queue.push(this.now + this.scenario.model.healthCheckSeconds, { kind: 'health-replace', id: inst.id });
  }
}
