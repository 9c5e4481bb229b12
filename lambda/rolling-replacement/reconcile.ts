/**
 * One reconcile step: observe → decide → execute one action → one structured log line. Used by the Lambda handler,
 * the simulator strategy and elkctl. No SDK here: the ports are implemented by the adapters.
 */
import { decide } from './core/decide';
import type { EsPort } from './core/es-port';
import type { FleetPort } from './core/fleet-port';
import { ROLLOUT_TAGS, TAG, tagValue } from './core/tags';
import {
  type Action,
  type Decision,
  type EsView,
  type Observed,
  type Outcome,
  type RolloutSpec,
  type Unknown,
  isUnknown,
} from './core/types';

export interface ReconcileInput {
  readonly es: EsPort;
  readonly fleet: FleetPort;
  readonly spec: RolloutSpec;
  /** Seconds (epoch, or virtual time in the simulator). */
  readonly now: number;
  /** Receives the structured log line; default: console.log of its JSON. */
  readonly log?: (line: ReconcileLog) => void;
  /** Plan only: decide without executing. */
  readonly dryRun?: boolean;
}

export interface ReconcileLog {
  readonly decision: Action['type'];
  readonly reason: string;
  readonly blockedBy: string | null;
  readonly node?: string;
  readonly rolloutId: string;
  readonly executed: boolean;
  readonly error?: string;
}

export interface ReconcileResult {
  readonly decision: Decision;
  readonly observed: Observed;
  /** Whether the action ran (false for waits, dry runs, skipped terminations and transient failures). */
  readonly executed: boolean;
  /** Set when the rollout is over (done, or release just executed). */
  readonly outcome?: Outcome;
  /** Instance terminated by this step. */
  readonly terminated?: string;
  readonly error?: string;
}

export async function observe(es: EsPort, fleet: FleetPort, spec: RolloutSpec, now: number): Promise<Observed> {
  const [esView, groups] = await Promise.all([
    es.observe().catch((e: unknown): Unknown => ({ unknown: errorText(e) })),
    fleet
      .describeGroups([spec.groups.data, spec.groups.master])
      .catch((e: unknown): Unknown => ({ unknown: errorText(e) })),
  ]);
  return { es: await withPreRollSnapshots(es, spec, esView), fleet: groups, now };
}

/** rollout.snapshotBeforeRoll: the repository's pre-roll snapshots (a failed listing leaves them unobserved). */
async function withPreRollSnapshots(es: EsPort, spec: RolloutSpec, view: EsView | Unknown): Promise<EsView | Unknown> {
  const repository = spec.options.snapshotBeforeRoll;
  if (repository === undefined || !es.listSnapshots || isUnknown(view)) return view;
  const snapshots = await es.listSnapshots(repository).catch(() => undefined);
  return snapshots ? { ...view, snapshots } : view;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

export function actionNode(a: Action): string | undefined {
  if ('node' in a) return a.node;
  if ('instanceId' in a) return a.instanceId;
  if ('group' in a) return a.group;
  return undefined;
}

/** Executes one action idempotently. Returns the terminated instance id, or why a termination was skipped. */
export async function execute(
  action: Action,
  es: EsPort,
  fleet: FleetPort,
): Promise<{ terminated?: string; skipped?: string }> {
  switch (action.type) {
    case 'wait':
      if (action.recoveryProgress) {
        await fleet.setTags(action.recoveryProgress.group, { [TAG.recoveryProgress]: action.recoveryProgress.value });
      }
      return {};
    case 'done':
      return {};
    case 'wait-for-drain':
      if (action.progress) await fleet.setTags(action.progress.group, { [TAG.drainProgress]: action.progress.value });
      return {};
    case 'wait-for-join':
      if (action.since !== undefined) await fleet.setTags(action.group, { [TAG.joinWait]: String(action.since) });
      return {};
    case 'wait-for-tasks':
      if (action.since !== undefined) {
        await fleet.setTags(action.group, { [TAG.tasksWait]: `${action.node}@${Math.floor(action.since)}` });
      }
      return {};
    case 'joined':
      await fleet.deleteTags(action.group, [TAG.joinWait]);
      return {};
    case 'begin':
      // What the previous roll left in place is reported until a new roll begins.
      await fleet.deleteTags(action.group, [TAG.resultLeft]);
      await fleet.setTags(action.group, action.tags);
      return {};
    case 'create-snapshot':
      if (!es.createSnapshot) throw new Error('this Elasticsearch port cannot take snapshots');
      await es.createSnapshot(action.repository, action.snapshot);
      return {};
    case 'adopt':
      for (const g of action.groups) {
        await fleet.setTags(g, {
          [TAG.rollout]: action.rolloutId,
          ...(action.attempt ? { [TAG.attempt]: action.attempt } : {}),
        });
      }
      return {};
    case 'suspend-processes':
      await fleet.suspendProcesses(action.group, action.processes);
      return {};
    case 'resume-processes':
      await fleet.resumeProcesses(action.group, action.processes);
      return {};
    case 'set-rebalance':
      await es.setRebalanceEnable(action.value);
      return {};
    case 'surge':
      // The mark first: a crash between the two writes only re-stamps it on the retry.
      await fleet.setTags(action.group, {
        [TAG.surgeAt]: String(Math.floor(action.surgeAt)),
        [TAG.joinWait]: String(Math.floor(action.surgeAt)),
        ...action.tags,
      });
      if (action.launches) {
        // Into chosen zones: launched, then attached once all run. Until then the desired capacity is unchanged, so
        // the next step decides the same surge with the same keys and finds the same instances.
        if (!fleet.launchIntoZones) throw new Error('this fleet cannot launch into chosen zones');
        await fleet.launchIntoZones(action.group, action.launches, action.launchTemplateVersion ?? '');
        return {};
      }
      await fleet.setDesiredCapacity(action.group, action.desiredCapacity);
      return {};
    case 'terminate-unattached':
      if (!fleet.terminateUnattached) throw new Error('this fleet cannot terminate unattached instances');
      await fleet.terminateUnattached(action.group, action.instanceIds);
      return {};
    // Ownership is recorded before a write and after a removal: a crash in between leaves a record of something
    // absent (harmless), never an exclusion of ours that looks like someone else's.
    case 'exclude':
      await fleet.setTags(action.record.group, { [action.record.tag]: action.record.value });
      await es.addAllocationExclusion(action.node);
      return {};
    case 'clear-exclusion':
      await es.removeAllocationExclusions(action.nodes);
      await fleet.setTags(action.record.group, { [action.record.tag]: action.record.value });
      return {};
    case 'voting-exclusion':
      await fleet.setTags(action.record.group, { [action.record.tag]: action.record.value });
      await es.addVotingExclusion(action.node);
      return {};
    case 'clear-voting-exclusions':
      await es.clearVotingExclusions();
      await fleet.setTags(action.record.group, { [action.record.tag]: action.record.value });
      return {};
    case 'terminate': {
      // Terminate only the instance that was evaluated, still in the state it was evaluated in (ECK's preconditions).
      // The instance must still be in the group that was evaluated (describeGroups of that group only), in the same
      // lifecycle state and from the same launch template version.
      const [group] = await fleet.describeGroups([action.group]);
      const inst = group?.instances.find((i) => i.instanceId === action.instanceId);
      if (!inst || inst.lifecycleState !== action.expectedLifecycleState) {
        const where = inst ? inst.lifecycleState : group ? `not in ${action.group}` : `${action.group} not found`;
        return { skipped: `${action.instanceId} changed (${where}); not terminating` };
      }
      const lt = action.expectedLaunchTemplateVersion;
      if (lt !== undefined && inst.launchTemplateVersion !== lt) {
        return {
          skipped: `${action.instanceId} changed (launch template version ${inst.launchTemplateVersion}, evaluated ${lt}); not terminating`,
        };
      }
      // Scale-in protection is lifted on this instance only, right before its termination (Auto Scaling never
      // picks a node by itself); a crash in between leaves one drained node unprotected, protected again by the core.
      if (inst.protectedFromScaleIn) await fleet.setInstanceProtection(action.group, [action.instanceId], false);
      await fleet.terminateInstance(action.instanceId, action.decrement ?? true);
      return { terminated: action.instanceId };
    }
    case 'scale-in':
    case 'raise-baseline':
      await fleet.setTags(action.group, { [TAG.capacity]: String(action.baseline) });
      return {};
    case 'node-missing':
      await fleet.setTags(action.group, { [TAG.nodeMissing]: action.value });
      return {};
    case 'mark-unhealthy': {
      // Only the instance that was evaluated, still InService and Healthy (it may have come back or be on its way out).
      const [group] = await fleet.describeGroups([action.group]);
      const inst = group?.instances.find((i) => i.instanceId === action.instanceId);
      if (!inst || inst.lifecycleState !== 'InService' || inst.healthStatus !== 'Healthy') {
        return {
          skipped: `${action.instanceId} changed (${inst ? `${inst.lifecycleState}/${inst.healthStatus}` : 'gone'}); not marking it`,
        };
      }
      if (!fleet.setInstanceHealth) throw new Error('this fleet cannot set instance health');
      await fleet.setInstanceHealth(action.instanceId, 'Unhealthy');
      return {};
    }
    case 'protect': {
      await fleet.setInstanceProtection(action.group, action.instanceIds, true);
      return {};
    }
    case 'handoff-begin':
      // The mark first: a crash in between leaves a mark and the default allocation, which the next call completes.
      await fleet.setTags(action.group, { [TAG.handoff]: action.node });
      await requireAllocation(es).call(es, 'primaries');
      return {};
    case 'handoff-stop': {
      const [group] = await fleet.describeGroups([action.group]);
      const inst = group?.instances.find((i) => i.instanceId === action.instanceId);
      if (!inst || inst.lifecycleState !== action.expectedLifecycleState) {
        return { skipped: `${action.instanceId} changed (${inst?.lifecycleState ?? 'gone'}); not handing off` };
      }
      if (!fleet.handOffInstance) throw new Error('this fleet cannot hand off a data volume');
      await fleet.handOffInstance(action.instanceId);
      return { terminated: action.instanceId };
    }
    case 'handoff-rejoined':
      await requireAllocation(es).call(es, null);
      return {};
    case 'handoff-done':
      await fleet.deleteTags(action.group, [TAG.handoff]);
      return {};
    case 'leave':
      await fleet.setTags(action.group, { [TAG.left]: tagValue(action.reason) });
      return {};
    case 'stop-wait':
      await fleet.setTags(action.group, { [TAG.stopWait]: action.mark });
      return {};
    case 'mark-failed':
      await fleet.setTags(action.group, { [TAG.failed]: tagValue(action.reason) });
      return {};
    case 'stop-zone-rebalance':
      await fleet.setTags(action.group, { [TAG.zoneRebalance]: tagValue(`stopped:${action.reason}`) });
      return {};
    case 'release':
      for (const g of action.groups) {
        await fleet.deleteTags(g, ROLLOUT_TAGS);
        const left = action.left !== undefined && g === action.groups[action.groups.length - 1];
        await fleet.setTags(g, { [TAG.result]: action.result, ...(left ? { [TAG.resultLeft]: action.left! } : {}) });
      }
      return {};
  }
}

/**
 * Seconds until the next step: soon after an executed action (the world moved), pollSeconds while waiting, and during
 * a drain a quarter of the remaining transfer time (at the recovery bandwidth), at most 5 minutes: fewer invocations,
 * and the end of a drain (shards leave whole, so bytes left fall in steps) is still seen soon.
 */
export function nextWaitSeconds(
  result: Pick<ReconcileResult, 'decision' | 'executed'>,
  pollSeconds: number,
  recoveryBytesPerSecond = 40 * 1024 * 1024,
): number {
  if (result.executed) return Math.min(5, pollSeconds);
  const a = result.decision.action;
  if (a.type === 'wait-for-drain') {
    const quarter = a.bytesLeft / recoveryBytesPerSecond / 4;
    return Math.round(Math.max(pollSeconds, Math.min(300, quarter)));
  }
  return pollSeconds;
}

export async function reconcile(input: ReconcileInput): Promise<ReconcileResult> {
  const { es, fleet, spec, now } = input;
  const log = input.log ?? ((l: ReconcileLog) => console.log(JSON.stringify(l)));
  const observed = await observe(es, fleet, spec, now);
  const decision = decide(observed, spec);
  const a = decision.action;
  let executed = false;
  let terminated: string | undefined;
  let error: string | undefined;
  let reason = decision.reason;
  if (!input.dryRun) {
    try {
      const r = await execute(a, es, fleet);
      executed = !r.skipped && !['wait', 'wait-for-join', 'wait-for-drain', 'wait-for-tasks', 'done'].includes(a.type);
      terminated = r.terminated;
      if (r.skipped) reason = `${reason}; ${r.skipped}`;
    } catch (e) {
      // A failed write is retried by the next step (every action is idempotent): transient, so wait.
      error = errorText(e);
    }
  }
  log({
    decision: a.type,
    reason,
    blockedBy: decision.blockedBy ?? null,
    node: actionNode(a),
    rolloutId: spec.rolloutId,
    executed,
    ...(error ? { error } : {}),
  });
  const outcome =
    a.type === 'done'
      ? a.outcome
      : a.type === 'release' && executed
        ? a.outcome
        : a.type === 'leave' && executed
          ? (a.outcome ?? 'aborted')
          : undefined;
  return {
    decision: reason === decision.reason ? decision : { ...decision, reason },
    observed,
    executed,
    ...(outcome ? { outcome } : {}),
    ...(terminated ? { terminated } : {}),
    ...(error ? { error } : {}),
  };
}

function requireAllocation(es: EsPort): NonNullable<EsPort['setAllocationEnable']> {
  if (!es.setAllocationEnable) throw new Error('this Elasticsearch port cannot set cluster.routing.allocation.enable');
  return es.setAllocationEnable;
}
