import type { EsNode } from './cluster';
import { ATTACH_MAX_INSTANCES, Instance } from './fleet';
import { FleetError } from './world-base';
import { WorldFleet } from './world-fleet';

/**
 * Surge instances the orchestrator places itself (`rollout.surgePlacement: orchestrator`): EC2 RunInstances from the
 * group's launch template into a chosen zone, then AttachInstances. Between the two the instance belongs to no group:
 * no desired capacity counts it, no health check replaces it, and its boot waits for the group tag Auto Scaling writes
 * only when it attaches it (the node boot's `membership` step), so its Elasticsearch joins only after the attach.
 *
 * What the model relies on (the AttachInstances API reference and the user guide's "Attach EC2 instances to your Auto
 * Scaling group", as docs/rollout.md "Methods" quotes them): an attached instance must be `running`, in one of the
 * group's zones and in no group; up to 20 per call; the desired capacity rises by their number and the call fails when
 * that passes MaxSize. The messages are AWS-like, not copied from a real answer (no account here). Launches are
 * idempotent on their key like EC2's client token: the same key gives the same instance until it is terminated.
 */
export abstract class WorldLaunch extends WorldFleet {
  /** Instances launched by the orchestrator, by launch key (the latest one for a key). */
  protected readonly launchKeys = new Map<string, Instance>();

  /**
   * RunInstances for `groupName` into `zone` at template version `ltVersion`, with `key` as its client token. The same
   * key returns the same instance (attached or not) unless it was terminated; then a new one is launched. The same key
   * with another zone or version is refused (EC2's IdempotentParameterMismatch).
   */
  launchIntoZone(groupName: string, zone: string, key: string, ltVersion: string): Instance {
    const g = this.group(groupName);
    const known = this.launchKeys.get(key);
    if (known && known.lifecycle !== 'Terminated') {
      if (known.group !== g || known.az !== zone || known.ltVersion !== ltVersion) {
        throw new FleetError(
          'IdempotentParameterMismatch',
          `client token ${key} was used for ${known.id} (${known.group.name}, ${known.az}, version ${known.ltVersion})`,
        );
      }
      return known;
    }
    if (!g.availabilityZones.includes(zone)) {
      throw new FleetError(
        'ValidationError',
        `${groupName} has no subnet in ${zone} (its zones: ${g.availabilityZones.join(', ')})`,
      );
    }
    if (!g.ltVersions.has(ltVersion)) {
      throw new FleetError(
        'InvalidLaunchTemplateId.VersionNotFound',
        `launch template version ${ltVersion} of ${groupName} does not exist`,
      );
    }
    const inst = this.launch(g, false, false, { az: zone, ltVersion, key });
    this.launchKeys.set(key, inst);
    return inst;
  }

  /** EC2 state of an instance: `pending` until `runningAt`, then `running` (`terminated` once terminated). */
  ec2State(inst: Instance): 'pending' | 'running' | 'terminated' {
    if (inst.lifecycle === 'Terminated' || inst.terminatedAt !== undefined) return 'terminated';
    return this.now < inst.runningAt ? 'pending' : 'running';
  }

  /** Instances launched for the group, not attached and not terminated, in launch order. */
  unattachedOf(groupName: string): Instance[] {
    return [...this.launchKeys.values()]
      .filter((i) => i.group.name === groupName && i.unattached && i.lifecycle !== 'Terminated')
      .sort((a, b) => a.launchedAt - b.launchedAt || a.id.localeCompare(b.id));
  }

  /** Instances launched by the orchestrator, never attached and not terminated (the report's `unattachedLeft`). */
  unattachedLeft(): number {
    return [...this.launchKeys.values()].filter((i) => i.unattached && i.lifecycle !== 'Terminated').length;
  }

  /**
   * AttachInstances: all or none. Each instance must be `running`, unattached and in one of the group's zones, and the
   * desired capacity plus their number must stay within MaxSize. The desired capacity rises by their number; each is
   * a member from now on (Pending until its boot is done, then InService, with the group's scale-in protection for new
   * instances: the user guide's scale-in protection page says an attached instance takes the group's setting).
   */
  attachInstances(groupName: string, instanceIds: readonly string[]): void {
    const g = this.group(groupName);
    if (instanceIds.length === 0 || instanceIds.length > ATTACH_MAX_INSTANCES) {
      throw new FleetError(
        'ValidationError',
        `1 to ${ATTACH_MAX_INSTANCES} instance ids per call (${instanceIds.length} given)`,
      );
    }
    if (this.windows.isOpen('attach-refused', this.now)) {
      throw new FleetError('ValidationError', `fault attach-refused: AttachInstances to ${groupName} failed`);
    }
    const list: Instance[] = [];
    for (const id of new Set(instanceIds)) {
      const inst = this.instances.get(id);
      if (!inst || this.ec2State(inst) === 'terminated') {
        throw new FleetError('ValidationError', `Instance ${id} is not in a valid state (terminated or unknown)`);
      }
      if (!inst.unattached) {
        const where = inst.attachedAt !== undefined || !inst.launchKey ? inst.group.name : 'another group';
        throw new FleetError('ValidationError', `The instance ${id} is already part of Auto Scaling group ${where}.`);
      }
      if (this.ec2State(inst) !== 'running') {
        throw new FleetError('ValidationError', `Instance ${id} is not in a valid state: pending (it must be running)`);
      }
      if (!g.availabilityZones.includes(inst.az)) {
        throw new FleetError('ValidationError', `Instance ${id} is in ${inst.az}, not a zone of ${groupName}`);
      }
      list.push(inst);
    }
    const desired = g.desired + list.length;
    if (desired > g.maxSize) {
      // As SetDesiredCapacity words it: the attach raises the desired capacity past MaxSize.
      throw new FleetError(
        'ValidationError',
        `New SetDesiredCapacity value ${desired} is above max value ${g.maxSize} for the AutoScalingGroup.`,
      );
    }
    g.desired = desired;
    for (const inst of list) {
      inst.unattached = false;
      inst.attachedAt = this.now;
      inst.protectedFromScaleIn = g.newInstancesProtectedFromScaleIn;
      g.instances.push(inst);
      this.note('asg-attach', inst.id, `AttachInstances: ${groupName} desired capacity ${desired} (${inst.az})`);
    }
    // A boot that was waiting for its group tag goes on now (once every one of them is a member).
    for (const inst of list) {
      const node = this.cluster.nodes.get(inst.id);
      if (inst.waitingForGroupSince !== undefined && node) this.startElasticsearch(inst, node);
    }
    this.reconcileFleet(g);
  }

  /**
   * EC2 TerminateInstances of unattached instances launched for the group. A gone or terminated one is skipped, and
   * so is one that is a member of a group now (noted: only an unattached instance may be terminated this way).
   */
  terminateUnattached(groupName: string, instanceIds: readonly string[]): void {
    for (const id of instanceIds) {
      const inst = this.instances.get(id);
      if (!inst || inst.lifecycle === 'Terminated') continue;
      if (!inst.launchKey || inst.group.name !== groupName || !inst.unattached) {
        this.note('terminate-unattached-skipped', id, `not an unattached instance launched for ${groupName}`);
        continue;
      }
      this.endUnattached(inst, 'TerminateInstances: launched and never attached');
    }
  }

  /** unattached-dies: every instance launched and not attached dies (failed, or someone terminated it). */
  protected unattachedDie(): void {
    const victims = [...this.launchKeys.values()].filter((i) => i.unattached && i.lifecycle !== 'Terminated');
    if (victims.length === 0) this.note('fault-skipped', undefined, 'unattached-dies: no unattached instance');
    for (const inst of victims) this.endUnattached(inst, 'fault unattached-dies: the unattached instance is gone');
  }

  /** An unattached instance ends: no Auto Scaling lifecycle, no node in the cluster, no volume of its own yet. */
  private endUnattached(inst: Instance, reason: string): void {
    this.note('ec2-terminate', inst.id, reason);
    inst.lifecycle = 'Terminated';
    inst.terminatedAt = this.now;
    this.terminated.push(inst.id);
    this.cluster.leave(inst.id);
  }

  /**
   * The boot is done (the boot event of a member, or the attach of an instance whose boot waited for its group tag):
   * the instance is InService, a data node takes its volume, and Elasticsearch starts and joins after `joinSeconds`;
   * an attached one no earlier than `joinAfterAttachSeconds` after its attach. A fail-boot instance turns Unhealthy.
   */
  protected startElasticsearch(inst: Instance, node: EsNode): void {
    const m = this.scenario.model;
    inst.lifecycle = 'InService';
    node.state = 'booting';
    node.startedAt = this.now;
    if (inst.group.role === 'data') this.attachVolume(inst.id, node);
    if (inst.failBoot) {
      this.note('boot-failed', inst.id, 'fault fail-boot: Elasticsearch does not start, instance status check fails');
      inst.health = 'Unhealthy';
      this.queue.push(this.now + m.healthCheckSeconds, { kind: 'health-replace', id: inst.id });
    } else {
      const bootDone = inst.waitingForGroupSince ?? this.now;
      const joinAt =
        inst.attachedAt === undefined
          ? this.now + m.joinSeconds
          : Math.max(this.now, bootDone + m.joinSeconds, inst.attachedAt + m.joinAfterAttachSeconds);
      this.queue.push(joinAt, { kind: 'join', id: inst.id });
    }
    inst.waitingForGroupSince = undefined;
    this.reconcileFleet(inst.group);
  }
}
