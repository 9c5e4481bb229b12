/**
 * One step of a group's replacement while the lock is held: finish an earlier termination, the capacity check, the
 * node on its way out (drain, voting exclusion, terminate), a planned scale-in, the surge, the join wait, the next
 * exclusion.
 */
import {
  type Ctx,
  type GroupState,
  foreignExclusions,
  isDataNode,
  isMasterEligible,
  ownedExclusions,
  ownedVotingExclusions,
  shardsOnNode,
} from './context';
import type { FleetInstance } from './fleet-port';
import { dataNodesFirst, runGates, strictlyDrained } from './predicates';
import { inFlightTasks } from './in-flight-tasks';
import { beginHandoff, stepHandoff } from './handoff';
import { nextBatchMember, surgeLimit, surgeSize } from './parallel';
import {
  ATTACH_WITHIN_SECONDS,
  overdueLaunches,
  removeUnattached,
  staleUnattached,
  surgeIntoZones,
  zoneLaunches,
} from './zone-launch';
import { act, bytesOn, excludedRecord, terminate, votingRecord, wait } from './actions';
import { pickCandidate } from './candidate';
import { scaleInRefused } from './start';
import { landingProblem, rebalanceMark, zoneCounts, zoneText } from './zone-rebalance';
import { TAG, numberTag } from './tags';
import type { Action, Decision } from './types';
import { DRAIN_STALLED, diagnose, drainProgress } from './stall';

function joinProblem(ctx: Ctx, g: GroupState): string | undefined {
  if (g.live.length < g.group.desiredCapacity) {
    return `${g.group.name}: ${g.live.length} of ${g.group.desiredCapacity} instances launched`;
  }
  for (const i of g.live) {
    if (i.lifecycleState !== 'InService') return `${i.instanceId} is ${i.lifecycleState}`;
    const n = ctx.nodesByName.get(i.instanceId);
    if (!n) return `${i.instanceId} has not joined the cluster yet`;
    if (i.launchTemplateVersion === g.group.targetLaunchTemplateVersion && n.version !== ctx.spec.targetVersion) {
      return `${i.instanceId} joined with ${n.version}, expected ${ctx.spec.targetVersion}`;
    }
  }
  return undefined;
}

export function stepGroup(ctx: Ctx, g: GroupState): Decision | undefined {
  const name = g.group.name;
  const groupIds = new Set(g.group.instances.map((i) => i.instanceId));
  const owned = ownedExclusions(ctx);

  // 1. Finish an earlier termination: clear the marks of nodes that are gone.
  const finished = owned.filter((n) => !ctx.liveInstanceIds.has(n) && (groupIds.has(n) || g.role === 'data'));
  if (finished.length) {
    const member = finished.find((n) => ctx.nodesByName.has(n));
    if (member) return wait('previous-replacement-complete', `${member} was terminated; waiting for it to leave`);
    return act(
      {
        type: 'clear-exclusion',
        nodes: finished,
        names: ctx.es.allocationExcludeNames.filter((n) => !finished.includes(n)),
        record: excludedRecord(ctx, [], finished),
      },
      `${finished.join(', ')} left the cluster: removing its allocation exclusion`,
    );
  }
  // Whichever group steps first clears them: the data group's next step would otherwise wait on them forever
  // (previous-replacement-complete), e.g. after a redeploy outdated data nodes while a master had just left.
  const ownVoting = ownedVotingExclusions(ctx);
  if (ownVoting.length) {
    const allGone = ownVoting.every((n) => !ctx.liveInstanceIds.has(n) && !ctx.nodesByName.has(n));
    if (allGone) {
      const foreign = foreignExclusions(ctx).voting;
      if (foreign.length) {
        return wait(
          'no-foreign-exclusions',
          `${ownVoting.join(', ')} left the cluster, but its voting exclusion can only be cleared together with ` +
            `${foreign.join(', ')}, which this rollout did not write: remove that one (DELETE ` +
            '_cluster/voting_config_exclusions clears all) or wait for its owner',
        );
      }
      return act(
        { type: 'clear-voting-exclusions', record: votingRecord(ctx) },
        `${ownVoting.join(', ')} left the cluster: clearing voting config exclusions`,
      );
    }
  }

  // Instances launched into chosen zones and never attached that the next surge does not want (zone-launch.ts):
  // after a batch was attached, or when the batch changed (a node lost, a zone change).
  const launches = g.capacity === g.baseline ? zoneLaunches(ctx, g) : undefined;
  const stale = staleUnattached(g, launches);
  if (stale.length)
    return removeUnattached(
      g,
      stale.map((u) => u.instanceId),
      'no surge wants them now',
    );

  // A volume handoff in progress (handoff.ts).
  const handoff = stepHandoff(ctx, g);
  if (handoff) return handoff;

  // 2. Capacity must be the baseline or up to the surge limit above it (1, or maxSurge for data nodes).
  const desired = g.capacity;
  const limit = surgeLimit(ctx, g);
  // Raised by someone else (desired capacity, or MinSize by a deploy of a higher count): the roll adopts it as its
  // baseline instead of waiting forever; the drains remove it again when the count is lower (planned scale-in).
  const raised = Math.max(desired - limit, g.group.minSize);
  if (raised > g.baseline) {
    return act(
      { type: 'raise-baseline', group: name, baseline: raised },
      `${name} runs ${desired} instances (MinSize ${g.group.minSize}), more than the roll's baseline ${g.baseline} ` +
        `and its surge of ${limit}: someone else raised it; the roll goes on with baseline ${raised}` +
        // Without a configured count the target follows the baseline: nothing is drained at the end.
        (ctx.spec.counts && raised > g.target
          ? ` and drains the extra node(s) to the count ${g.target} at the end`
          : ''),
      'capacity-as-expected',
    );
  }
  if (desired < g.baseline) {
    const expected = limit === 1 ? `${g.baseline} or ${g.baseline + 1}` : `${g.baseline} to ${g.baseline + limit}`;
    return wait(
      'capacity-as-expected',
      `${name} desired capacity is ${desired}, expected ${expected}; someone else changed it`,
    );
  }

  // A zone-rebalance cycle: nothing outdated, surged, and the group's tag names the cycle.
  const mark = rebalanceMark(g);
  const rebalancing = g.outdated.length === 0 && desired === g.baseline + 1 && mark.kind === 'cycle' ? mark : undefined;
  const pfx = rebalancing ? 'zone-rebalance: ' : '';

  // 3. A node already on its way out (with maxSurge, first one more outdated node joins the running drains).
  const inProgress = g.live.find((i) => owned.includes(i.instanceId) || ownVoting.includes(i.instanceId));
  if (inProgress) {
    const d = continueCandidate(ctx, g, inProgress, pfx);
    // While it waits for its drain, one more outdated node may join the drains (maxSurge).
    const waiting = d.action.type === 'wait-for-drain' || d.action.type === 'wait';
    return (waiting && !rebalancing && joinDrains(ctx, g, owned)) || d;
  }

  // 3b. Planned scale-in (a lowered count): one node at a time, through the same drain, before any replacement.
  if (desired === g.baseline && g.baseline > g.target) return plannedScaleIn(ctx, g);

  // 4. Anything to replace?
  let candidates = g.outdated;
  if (candidates.length === 0) {
    if (desired === g.baseline) return undefined;
    // Surged, but nothing is outdated any more (the ASG replaced a dying outdated node): remove one node.
    candidates = g.live;
  }
  if (desired === g.baseline) {
    // rollout.method handoff/auto: the next node keeps its volume where that is safe (else it is drained).
    const next = g.outdated.length > 0 && !rebalancing ? pickCandidate(ctx, g, g.outdated) : undefined;
    const begin = next ? beginHandoff(ctx, g, next) : undefined;
    const launched = (g.group.unattached ?? []).map((u) => u.instanceId);
    if (begin && launched.length) return removeUnattached(g, launched, `${next} is handed off, not drained`);
    if (begin) return begin;
    const gate = runGates(ctx, { step: 'surge', group: g });
    if (gate) {
      // Launched before the gate closed and now too old to be attached (their boots stop waiting for their group):
      // ended, so that the surge launches fresh ones once the gate opens.
      const overdue = launches ? overdueLaunches(ctx, g) : [];
      if (overdue.length) {
        return removeUnattached(
          g,
          overdue,
          `not attached within ${ATTACH_WITHIN_SECONDS} s of their launch while the surge waits (${gate.blockedBy}); ` +
            'new ones are launched once it can go on',
        );
      }
      return wait(gate.blockedBy, `before surging ${name}: ${gate.reason}`);
    }
    if (launches) return surgeIntoZones(ctx, g, launches);
    const k = surgeSize(ctx, g);
    const what = k === 1 ? 'one replacement' : `${k} replacements (maxSurge ${limit}, balanced over the zones)`;
    return act(
      { type: 'surge', group: name, desiredCapacity: g.baseline + k, surgeAt: ctx.now },
      `${g.outdated.length} outdated in ${name}: launching ${what} first (desired ${g.baseline} → ${g.baseline + k})`,
    );
  }
  const problem = joinProblem(ctx, g);
  // The join clock starts when this wait began (the surge, or the first sight of a replacement of a node lost
  // mid-cycle), not at the roll's first surge: a node killed during a long drain gets its own 30 minutes.
  const since = numberTag(g.group, TAG.joinWait);
  if (problem) {
    const timeout = ctx.spec.options.joinTimeoutSeconds;
    if (since !== undefined && ctx.now - since > timeout) {
      const reason = `replacement in ${name} did not join within ${timeout} s (${problem})`;
      return act({ type: 'mark-failed', group: ctx.data.group.name, reason }, reason, 'replacement-joins-in-time');
    }
    return act(
      { type: 'wait-for-join', group: name, ...(since === undefined ? { since: ctx.now } : {}) },
      `${pfx}${problem}`,
      'replacement-joins-in-time',
    );
  }
  if (since !== undefined) {
    return act({ type: 'joined', group: name }, `${pfx}every instance of ${name} has joined: the join wait is over`);
  }
  if (rebalancing) {
    const bad = landingProblem(ctx, g, rebalancing.before);
    if (bad) {
      return act(
        { type: 'stop-zone-rebalance', group: name, reason: bad },
        `zone-rebalance: ${bad}; no further cycle on ${name}: its surge capacity is removed from the fullest zone ` +
          'as after any surge, then the roll finishes (AZRebalance stays suspended)',
      );
    }
  }
  const node = pickCandidate(ctx, g, candidates);
  if (!node) return wait('every-expected-node-present', `no outdated instance of ${name} is a cluster member`);
  const view = ctx.nodesByName.get(node);
  if (isDataNode(view)) {
    const gate = runGates(ctx, { step: 'exclude', group: g, node });
    if (gate) return wait(gate.blockedBy, `before excluding ${node}: ${gate.reason}`);
    const names = [...new Set([...ctx.es.allocationExcludeNames, node])];
    const where = rebalancing ? ` from the fullest zone (${zoneText(zoneCounts(ctx, g))})` : '';
    return act(
      { type: 'exclude', node, names, record: excludedRecord(ctx, [node]) },
      `${pfx}draining ${node}${where} (${shardsOnNode(ctx.es, node).length} shard copies, ${bytesOn(ctx, node)} bytes) onto the new node`,
    );
  }
  return continueCandidate(
    ctx,
    g,
    g.live.find((i) => i.instanceId === node)!,
    pfx,
  );
}

function continueCandidate(ctx: Ctx, g: GroupState, inst: FleetInstance, pfx = ''): Decision {
  const node = inst.instanceId;
  const view = ctx.nodesByName.get(node);
  if (isDataNode(view) && !ownedExclusions(ctx).includes(node)) {
    // A master-eligible data node being voting-excluded still has to be drained first.
    const names = [...new Set([...ctx.es.allocationExcludeNames, node])];
    return act(
      { type: 'exclude', node, names, record: excludedRecord(ctx, [node]) },
      `${pfx}draining ${node} before it leaves`,
    );
  }
  if (isDataNode(view)) {
    const drained = strictlyDrained.evaluate(ctx, { step: 'terminate', group: g, node });
    if (drained.status === 'block') {
      const held = shardsOnNode(ctx.es, node);
      const p = drainProgress(ctx, g);
      const waitFor: Action = {
        type: 'wait-for-drain',
        node,
        shardsLeft: held.length,
        bytesLeft: bytesOn(ctx, node),
        ...(p.record ? { progress: { group: g.group.name, value: p.record } } : {}),
      };
      // No progress for too long: say why, by decider name, and keep waiting (never terminate).
      if (held.length > 0 && p.stalledFor !== undefined && p.stalledFor >= ctx.spec.options.stallSeconds) {
        return act(waitFor, diagnose(ctx, node, p.stalledFor), DRAIN_STALLED);
      }
      return act(waitFor, drained.reason, strictlyDrained.name);
    }
  }
  if (isMasterEligible(view) && !ctx.es.votingExclusions.includes(node)) {
    const gate = runGates(ctx, { step: 'voting-exclusion', group: g, node });
    if (gate) return wait(gate.blockedBy, `before the voting exclusion of ${node}: ${gate.reason}`);
    return act(
      { type: 'voting-exclusion', node, record: votingRecord(ctx, node) },
      `${pfx}${node} leaves for good: removing it from the voting configuration first`,
    );
  }
  if (g.capacity <= g.baseline) {
    return wait(
      'capacity-as-expected',
      `${node} is ready to go but ${g.group.name} has no surge instance (desired ${g.capacity})`,
    );
  }
  const tasks = inFlightTasks(ctx, g, node);
  if (tasks.decision) return tasks.decision;
  const gate = runGates(ctx, { step: 'terminate', group: g, node });
  if (gate) return wait(gate.blockedBy, `before terminating ${node}: ${gate.reason}`);
  const desired = g.capacity;
  const t = terminate(g, inst);
  if (t.decrement && g.group.desiredCapacity - 1 < g.group.minSize) {
    // Without the decrement Auto Scaling would launch a replacement; with it, the call fails.
    return wait(
      'capacity-as-expected',
      `${node} is ready to go but ${g.group.name} MinSize ${g.group.minSize} does not allow desired ` +
        `${g.group.desiredCapacity - 1} (the deploy lowers MinSize to the count)`,
    );
  }
  return act(
    t,
    `${pfx}${node} holds no data and its replacement has joined: terminating it (desired ${desired} → ${desired - 1})` +
      (tasks.note ?? ''),
  );
}

/**
 * maxSurge: while drains run and a surge slot is free, one more outdated node joins them (parallel.ts), behind the
 * add-to-drain gates. Undefined when none may join now: the running drains continue.
 */
function joinDrains(ctx: Ctx, g: GroupState, owned: readonly string[]): Decision | undefined {
  if (surgeLimit(ctx, g) <= 1) return undefined;
  const draining = g.live.filter((i) => owned.includes(i.instanceId)).map((i) => i.instanceId);
  const next = nextBatchMember(ctx, g, draining);
  if (!next) return undefined;
  const gate = runGates(ctx, { step: 'exclude', group: g, node: next.node, joining: true });
  if (gate) return undefined;
  const names = [...new Set([...ctx.es.allocationExcludeNames, next.node])];
  return act(
    { type: 'exclude', node: next.node, names, record: excludedRecord(ctx, [next.node]) },
    `draining ${next.node} (${next.zone}) beside ${draining.join(', ')} (maxSurge ${surgeLimit(ctx, g)}): no shard ` +
      'has another copy on a draining node',
  );
}

/** One step of a planned scale-in: the baseline one lower, then the extra node is drained and removed like a surge's. */
function plannedScaleIn(ctx: Ctx, g: GroupState): Decision {
  const refused = scaleInRefused(ctx);
  if (refused) {
    return act(
      { type: 'mark-failed', group: ctx.data.group.name, reason: refused },
      refused,
      'replicas-fit-remaining-nodes',
    );
  }
  if (g.role === 'master') {
    const first = dataNodesFirst.evaluate(ctx, { step: 'surge', group: g });
    if (first.status === 'block') return wait(dataNodesFirst.name, `before the planned scale-in: ${first.reason}`);
  }
  if (g.group.minSize > g.baseline - 1) {
    return wait(
      'capacity-as-expected',
      `before the planned scale-in of ${g.group.name} to ${g.target}: its MinSize is ${g.group.minSize} ` +
        '(the deploy lowers it to the count)',
    );
  }
  const gate = runGates(ctx, { step: 'start' });
  if (gate) return wait(gate.blockedBy, `before the planned scale-in of ${g.group.name}: ${gate.reason}`);
  return act(
    { type: 'scale-in', group: g.group.name, baseline: g.baseline - 1, target: g.target },
    `planned scale-in of ${g.group.name} (${g.baseline} → ${g.target} instances): one node leaves through the drain ` +
      `(baseline ${g.baseline} → ${g.baseline - 1})`,
  );
}
