/**
 * One step of a hook-driven drain: observe (the rolling replacement's ports), decide (core.ts), act once, and return
 * the state for the next step. The workflow (lib/termination-drain) calls it, waits, and calls it again until done;
 * the state it carries is all it needs, so a crashed or retried step repeats an idempotent action at worst.
 */
import { buildContext } from '../rolling-replacement/core/context';
import type { EsPort } from '../rolling-replacement/core/es-port';
import type { FleetPort } from '../rolling-replacement/core/fleet-port';
import { DEFAULT_OPTIONS, isUnknown, type RolloutSpec } from '../rolling-replacement/core/types';
import { decideDrain, type DrainDecision, type DrainState } from './core';

export interface HookPort {
  /** RecordLifecycleActionHeartbeat. */
  heartbeat(s: DrainState): Promise<void>;
  /** CompleteLifecycleAction with CONTINUE; an action that is no longer there (already completed) is not an error. */
  complete(s: DrainState): Promise<void>;
}

export interface StepPorts {
  readonly es: EsPort;
  readonly fleet: FleetPort;
  readonly hook: HookPort;
  readonly groups: { readonly data: string; readonly master: string };
  readonly putMetric: (name: string, value: number) => Promise<void>;
  readonly log: (line: Record<string, unknown>) => void;
}

export interface StepResult {
  readonly state: DrainState;
  readonly done: boolean;
  readonly decision: DrainDecision;
  /** Whether this step sent a heartbeat (before its decision, which then still acts). */
  readonly heartbeat?: boolean;
}

export async function drainStep(s: DrainState, ports: StepPorts, now: number): Promise<StepResult> {
  const spec: RolloutSpec = {
    rolloutId: 'termination-hook',
    groups: ports.groups,
    targetVersion: '0.0.0',
    mode: 'roll',
    options: DEFAULT_OPTIONS,
  };
  let observed: Parameters<typeof decideDrain>[0];
  try {
    const es = await ports.es.observe();
    const fleet = await ports.fleet.describeGroups([ports.groups.data, ports.groups.master]);
    if (isUnknown(es)) observed = es.unknown;
    else {
      const ctx = buildContext(spec, es, fleet, now);
      observed = 'missing' in ctx ? `group ${ctx.missing} not found` : ctx;
    }
  } catch (e) {
    observed = (e as Error).message || String(e);
  }
  const logLine = (d: DrainDecision) =>
    ports.log({
      component: 'termination-drain',
      instanceId: s.instanceId,
      group: s.groupName,
      decision: d.action.kind,
      reason: d.reason,
      ...(d.blockedBy ? { blockedBy: d.blockedBy } : {}),
      ...(d.impossible ? { drainImpossible: d.impossible } : {}),
    });
  let d = decideDrain(observed, s, now);
  let next = s;
  let heartbeat = false;
  if (d.action.kind === 'heartbeat') {
    // The heartbeat does not use up the step: with a short heartbeat timeout every step would be one, and the drain
    // would never be completed. Decide again with the new heartbeat time and act on that too.
    logLine(d);
    await ports.hook.heartbeat(s);
    next = { ...s, lastHeartbeatAt: now };
    heartbeat = true;
    d = decideDrain(observed, next, now);
    if (d.action.kind === 'heartbeat') return { state: next, done: false, decision: d, heartbeat };
  }
  logLine(d);
  if (d.impossible) await ports.putMetric('DrainImpossible', 1);
  const a = d.action;
  switch (a.kind) {
    case 'exclude':
      await ports.es.addAllocationExclusion(s.instanceId);
      break;
    case 'voting-exclusion':
      await ports.es.addVotingExclusion(s.instanceId);
      break;
    case 'complete':
      await ports.hook.complete(s);
      next = { ...s, completedAt: now, drained: a.drained };
      await ports.putMetric(a.drained ? 'DrainedTerminations' : 'UndrainedTerminations', 1);
      break;
    case 'cleanup':
      if (a.allocation) await ports.es.removeAllocationExclusions([s.instanceId]);
      if (a.voting) await ports.es.clearVotingExclusions();
      break;
    case 'wait':
    case 'done':
      break;
  }
  return { state: next, done: a.kind === 'done', decision: d, ...(heartbeat ? { heartbeat } : {}) };
}
