/**
 * decide(observed, spec) → exactly one action and its reason. Pure and level-triggered: everything it needs is in the
 * observation (Auto Scaling groups and their tags, Elasticsearch), so any invocation after a crash, a retry or a
 * duplicate picks the same next step and never repeats a finished one.
 *
 * Order of a data node's replacement: surge (desired + 1) → wait-for-join → joined → exclude → wait-for-drain → terminate
 * (with decrement) → clear-exclusion. A master: surge → wait-for-join → voting-exclusion → terminate →
 * clear-voting-exclusions. Data nodes first, masters last, one node at a time.
 *
 * Zone rebalance: when every node runs the target but a group's Availability Zones differ by more than one instance,
 * one more such cycle runs ("zone-rebalance"): surge (Auto Scaling launches into the emptiest zone), wait for join,
 * then the node to remove comes from the fullest zone, with the same gates. The cycle and the zone counts before its
 * surge are a group tag, so a retry recognises it; a surge that lands outside the emptiest zones stops rebalancing.
 */
import {
  type Ctx,
  type GroupState,
  buildContext,
  isDataNode,
  foreignExclusions,
  isMasterEligible,
  ownedExclusions,
  ownedList,
  ownedVotingExclusions,
  shardsOnNode,
  suspendedByUs,
  unprotected,
} from './context';
import type { FleetInstance } from './fleet-port';
import {
  classifyUnassigned,
  clusterGreenOrVersionYellow,
  dataNodesFirst,
  everyExpectedNodePresent,
  noForeignExclusions,
  runGates,
  strictlyDrained,
  versionPathAllowed,
} from './predicates';
import { inFlightTasks } from './in-flight-tasks';
import { beginHandoff, cleanupHandoff, stepHandoff } from './handoff';
import { nextBatchMember, surgeLimit, surgeSize } from './parallel';
import { bestRemovalZones } from './zone-order';
import { abortWithoutElasticsearch } from './unreachable';
import { NONE, TAG, formatListTag, numberTag, tagValue } from './tags';
import {
  type Action,
  type Decision,
  type Observed,
  type Outcome,
  type OwnershipRecord,
  type RolloutSpec,
  isUnknown,
} from './types';

const act = (action: Action, reason: string, blockedBy?: string): Decision =>
  blockedBy ? { action, reason, blockedBy } : { action, reason };
const wait = (blockedBy: string, reason: string): Decision => act({ type: 'wait' }, reason, blockedBy);

/** The allocation-exclusion record after adding or removing nodes. */
const excludedRecord = (ctx: Ctx, add: readonly string[], remove: readonly string[] = []): OwnershipRecord => ({
  group: ctx.data.group.name,
  tag: TAG.excluded,
  value: ownedList(ctx.data.group.tags[TAG.excluded], add, remove),
});

/** The voting-exclusion record after adding a node, or emptied (every voting exclusion is cleared at once). */
const votingRecord = (ctx: Ctx, add?: string): OwnershipRecord => ({
  group: ctx.master.group.name,
  tag: TAG.voting,
  value: add ? ownedList(ctx.master.group.tags[TAG.voting], [add]) : NONE,
});

/** Terminates a live instance of a group (the executor lifts its scale-in protection right before). */
function terminate(g: GroupState, inst: FleetInstance): Extract<Action, { type: 'terminate' }> {
  return {
    type: 'terminate',
    group: g.group.name,
    instanceId: inst.instanceId,
    expectedLifecycleState: inst.lifecycleState,
    decrement: g.live.length <= g.group.desiredCapacity,
  };
}

/** Protects every live InService instance of the groups that lacks scale-in protection (setup and cleanup). */
function protectAll(ctx: Ctx, why: string): Decision | undefined {
  for (const g of [ctx.data, ctx.master]) {
    const ids = unprotected(g);
    if (ids.length) {
      return act(
        { type: 'protect', group: g.group.name, instanceIds: ids },
        `${why}: protecting ${ids.join(', ')} from scale in, so Auto Scaling never picks a node by itself ` +
          '(only the drained node loses it, right before its termination)',
      );
    }
  }
  return undefined;
}

export function decide(observed: Observed, spec: RolloutSpec): Decision {
  if (isUnknown(observed.es)) {
    const stop = isUnknown(observed.fleet)
      ? undefined
      : abortWithoutElasticsearch(observed.es, observed.fleet, spec, observed.now);
    return stop ?? wait('observed-state-known', `Elasticsearch state unknown: ${observed.es.unknown}`);
  }
  if (isUnknown(observed.fleet)) {
    return wait('observed-state-known', `Auto Scaling state unknown: ${observed.fleet.unknown}`);
  }
  const built = buildContext(spec, observed.es, observed.fleet, observed.now);
  if ('missing' in built) return wait('observed-state-known', `Auto Scaling group ${built.missing} not found`);
  const ctx = built;
  const m = ctx.marks;
  if (!m.active) return decideIdle(ctx);

  if (spec.mode === 'abort') return cleanup(ctx, 'aborted', spec.abortReason ?? 'abort requested');
  if (m.abortRequested) return cleanup(ctx, 'aborted', 'abort requested by an operator (elkctl roll abort)');
  if (m.failed !== undefined) return cleanup(ctx, 'failed', m.failed);
  if (m.id !== spec.rolloutId) {
    const groups = [ctx.data, ctx.master].filter((g) => g.locked).map((g) => g.group.name);
    return act(
      { type: 'adopt', groups, rolloutId: spec.rolloutId },
      `rollout ${spec.rolloutId} takes over the unfinished roll of ${m.id} (progress lives in the cluster)`,
    );
  }
  const version = versionPathAllowed.evaluate(ctx, { step: 'surge' });
  if (version.status === 'block') {
    return act({ type: 'mark-failed', group: ctx.data.group.name, reason: version.reason }, version.reason);
  }
  if (m.paused) return wait('not-paused', 'paused by an operator (elkctl roll resume continues)');
  if (workLeft(ctx)) {
    // Setup only while there is work: after the last node, cleanup undoes it and must not be undone again.
    const setup = ensureSetup(ctx);
    if (setup) return setup;
    for (const g of [ctx.data, ctx.master]) {
      const d = stepGroup(ctx, g);
      if (d) return d;
    }
  }
  const present = everyExpectedNodePresent.evaluate(ctx, { step: 'start' });
  if (present.status === 'block') return wait(everyExpectedNodePresent.name, present.reason);
  const stale = ctx.es.nodes.filter((n) => n.version !== spec.targetVersion);
  if (stale.length) {
    return wait('joined-with-target-version', `${stale[0]!.name} still runs ${stale[0]!.version}`);
  }
  for (const g of [ctx.data, ctx.master]) {
    const d = startZoneRebalance(ctx, g);
    if (d) return d;
  }
  return cleanup(ctx, 'completed', 'every node replaced and at the target');
}

/** Whether any node still has to be replaced or any step is half done. */
function workLeft(ctx: Ctx): boolean {
  return (
    [ctx.data, ctx.master].some((g) => g.outdated.length > 0 || g.capacity !== g.baseline || g.baseline > g.target) ||
    ownedExclusions(ctx).length > 0 ||
    ownedVotingExclusions(ctx).length > 0 ||
    (ctx.data.group.tags[TAG.handoff] ?? NONE) !== NONE
  );
}

function beginTags(ctx: Ctx, g: GroupState): Record<string, string> {
  const toSuspend = ctx.spec.options.suspendProcesses.filter((p) => !g.group.suspendedProcesses.includes(p));
  const tags: Record<string, string> = {
    [TAG.rollout]: ctx.spec.rolloutId,
    [TAG.capacity]: String(g.capacity),
    [TAG.suspended]: formatListTag(toSuspend),
  };
  if (g.role === 'data' && ctx.spec.options.controlRebalance) {
    tags[TAG.rebalance] = ctx.es.rebalanceEnable.persistent ?? NONE;
  }
  // Ownership records start empty with the lock: from now on only what this rollout writes is its own.
  tags[g.role === 'data' ? TAG.excluded : TAG.voting] = NONE;
  return tags;
}

/** The result tag: "<outcome>:<rolloutId>[:<attempt>]". */
function formatResult(outcome: Outcome, spec: RolloutSpec): string {
  return `${outcome}:${spec.rolloutId}${spec.attempt ? `:${spec.attempt}` : ''}`;
}

function parseResult(text: string | undefined): { outcome: Outcome; rolloutId: string; attempt?: string } | undefined {
  const m = /^(completed|failed|aborted):([A-Za-z0-9-]+)(?::(.+))?$/.exec(text ?? '');
  if (!m) return undefined;
  return { outcome: m[1] as Outcome, rolloutId: m[2]!, ...(m[3] ? { attempt: m[3] } : {}) };
}

function decideIdle(ctx: Ctx): Decision {
  const { spec, marks } = ctx;
  if (spec.mode === 'abort') {
    return act(
      { type: 'done', outcome: 'aborted' },
      `${spec.abortReason ?? 'abort'}: no rollout in progress, nothing to clean up`,
    );
  }
  const last = parseResult(marks.result);
  if (last && last.rolloutId === spec.rolloutId) {
    const retry = last.outcome !== 'completed' && spec.attempt !== undefined && last.attempt !== spec.attempt;
    if (!retry)
      return act(
        { type: 'done', outcome: last.outcome },
        `rollout ${spec.rolloutId} already finished: ${last.outcome}`,
      );
    // A new deployment of the same change after a failure or an abort: a new attempt from where the cluster is.
  }
  const outdated = ctx.data.outdated.length + ctx.master.outdated.length;
  const extra = [ctx.data, ctx.master].filter((g) => g.capacity > g.target);
  if (outdated === 0 && extra.length === 0) {
    const stale = ctx.es.nodes.filter((n) => n.version !== spec.targetVersion);
    if (stale.length === 0)
      return act({ type: 'done', outcome: 'completed' }, 'all nodes at target, nothing to replace');
    return wait(
      'joined-with-target-version',
      `no instance is outdated but ${stale[0]!.name} runs ${stale[0]!.version} (target ${spec.targetVersion})`,
    );
  }
  const version = versionPathAllowed.evaluate(ctx, { step: 'start' });
  if (version.status === 'block')
    return act({ type: 'done', outcome: 'failed' }, version.reason, versionPathAllowed.name);
  const foreign = noForeignExclusions.evaluate(ctx, { step: 'start' });
  if (foreign.status === 'block') {
    return act(
      { type: 'done', outcome: 'failed' },
      `refusing to begin: ${foreign.reason}; nothing was changed (deploy again once it is gone)`,
      noForeignExclusions.name,
    );
  }
  const health = clusterGreenOrVersionYellow.evaluate(ctx, { step: 'start' });
  if (health.status === 'block') {
    const hardBlocked = ctx.es.health.status === 'red' || classifyUnassigned(ctx).some((c) => c.klass === 'blocked');
    if (hardBlocked) {
      return act(
        { type: 'done', outcome: 'failed' },
        `refusing to begin: ${health.reason}; nothing was changed`,
        clusterGreenOrVersionYellow.name,
      );
    }
  }
  const tooFew = scaleInRefused(ctx);
  if (tooFew) {
    return act(
      { type: 'done', outcome: 'failed' },
      `refusing to begin: ${tooFew}; nothing was changed`,
      'replicas-fit-remaining-nodes',
    );
  }
  const gate = runGates(ctx, { step: 'start' });
  if (gate) return wait(gate.blockedBy, `before starting: ${gate.reason}`);
  const scaleIn = extra.map((g) => `${g.group.name} ${g.capacity} → ${g.target}`).join(', ');
  return act(
    { type: 'begin', group: ctx.data.group.name, tags: beginTags(ctx, ctx.data) },
    `${outdated} outdated instance(s)${scaleIn ? `, planned scale-in ${scaleIn}` : ''}: taking the rollout lock on ` +
      ctx.data.group.name,
  );
}

function ensureSetup(ctx: Ctx): Decision | undefined {
  for (const g of [ctx.data, ctx.master]) {
    if (!g.locked) {
      return act(
        { type: 'begin', group: g.group.name, tags: beginTags(ctx, g) },
        `taking the rollout lock on ${g.group.name}`,
      );
    }
  }
  const protect = protectAll(ctx, 'setup');
  if (protect) return protect;
  for (const g of [ctx.data, ctx.master]) {
    const missing = suspendedByUs(g).filter((p) => !g.group.suspendedProcesses.includes(p));
    if (missing.length) {
      return act(
        { type: 'suspend-processes', group: g.group.name, processes: missing },
        `suspending ${missing.join(', ')} on ${g.group.name} so Auto Scaling does not move instances during the roll`,
      );
    }
  }
  if (ctx.spec.options.controlRebalance && ctx.es.rebalanceEnable.persistent !== 'none') {
    return act(
      { type: 'set-rebalance', value: 'none' },
      'cluster.routing.rebalance.enable=none: drained shards go to the new node instead of reshuffling every node',
    );
  }
  return undefined;
}

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

function bytesOn(ctx: Ctx, node: string): number {
  return shardsOnNode(ctx.es, node).reduce((a, s) => a + s.bytes, 0);
}

/**
 * Next candidate: for outdated nodes, in a zone from which the roll ends balanced for any zone Auto Scaling picks
 * among the emptiest on the next surges (zone-order.ts; no zone-rebalance cycle, and AZRebalance has nothing to "fix"
 * by terminating a node that holds data); then one running no long task (in-flight-tasks); then in the Availability
 * Zone with the most live instances; then masters other than the elected one; then fewest bytes; then id.
 */
function pickCandidate(ctx: Ctx, g: GroupState, candidates: readonly FleetInstance[]): string | undefined {
  const perZone = new Map<string, number>();
  for (const i of g.live) perZone.set(i.availabilityZone, (perZone.get(i.availabilityZone) ?? 0) + 1);
  const joined = candidates.filter((i) => ctx.nodesByName.has(i.instanceId));
  const preferred = candidates === g.outdated ? removalZones(ctx, g, joined) : undefined;
  const key = (i: FleetInstance) => [
    preferred && !preferred.has(i.availabilityZone) ? 1 : 0,
    // A node running a long task goes later: the task may have ended by then (in-flight-tasks).
    (ctx.es.tasks ?? []).some((t) => t.node === i.instanceId) ? 1 : 0,
    -(perZone.get(i.availabilityZone) ?? 0),
    i.instanceId === ctx.es.electedMaster ? 1 : 0,
    bytesOn(ctx, i.instanceId),
  ];
  return joined
    .map((i) => ({ i, k: key(i) }))
    .sort(
      (a, b) =>
        a.k[0]! - b.k[0]! ||
        a.k[1]! - b.k[1]! ||
        a.k[2]! - b.k[2]! ||
        a.k[3]! - b.k[3]! ||
        a.k[4]! - b.k[4]! ||
        a.i.instanceId.localeCompare(b.i.instanceId),
    )[0]?.i.instanceId;
}

/**
 * The zones to take the outdated node from so that the roll ends with balanced zones (no zone-rebalance cycle) for any
 * zone Auto Scaling picks among the emptiest on the next surges (see zone-order.ts); undefined without zone data.
 */
function removalZones(ctx: Ctx, g: GroupState, removable: readonly FleetInstance[]): Set<string> | undefined {
  const counts = zoneCounts(ctx, g);
  const zones = [...counts.keys()];
  if (zones.length < 2) return undefined;
  const per = (list: readonly FleetInstance[]) => zones.map((z) => list.filter((i) => i.availabilityZone === z).length);
  const best = bestRemovalZones(
    zones,
    zones.map((z) => counts.get(z)!),
    per(g.outdated),
    per(removable),
  );
  return best ? new Set(best.zones) : undefined;
}

function stepGroup(ctx: Ctx, g: GroupState): Decision | undefined {
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
  const ownVoting = ownedVotingExclusions(ctx);
  if (g.role === 'master' && ownVoting.length) {
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

  // A volume handoff in progress (handoff.ts).
  const handoff = stepHandoff(ctx, g);
  if (handoff) return handoff;

  // 2. Capacity must be the baseline or up to the surge limit above it (1, or maxSurge for data nodes).
  const desired = g.capacity;
  const limit = surgeLimit(ctx, g);
  if (desired < g.baseline || desired > g.baseline + limit) {
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
    if (begin) return begin;
    const gate = runGates(ctx, { step: 'surge', group: g });
    if (gate) return wait(gate.blockedBy, `before surging ${name}: ${gate.reason}`);
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
      return act(
        { type: 'wait-for-drain', node, shardsLeft: held.length, bytesLeft: bytesOn(ctx, node) },
        drained.reason,
        strictlyDrained.name,
      );
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

/**
 * Why a planned scale-in must not go ahead: a shard with more copies than the data nodes that would remain, or no
 * master left. Undefined when it may.
 */
function scaleInRefused(ctx: Ctx): string | undefined {
  const d = ctx.data;
  if (d.target < d.capacity) {
    const copies = new Map<string, number>();
    for (const s of ctx.es.shards) copies.set(`${s.index}/${s.shard}`, (copies.get(`${s.index}/${s.shard}`) ?? 0) + 1);
    const [worst, most] = [...copies.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0] ?? ['', 0];
    if (most > d.target) {
      return (
        `the planned scale-in of ${d.group.name} to ${d.target} data nodes leaves too few for the replicas: ` +
        `${worst} has ${most} copies (lower its number_of_replicas first, or keep at least ${most} data nodes)`
      );
    }
  }
  if (ctx.master.target < 1 && ctx.master.capacity > ctx.master.target) {
    return `the planned scale-in of ${ctx.master.group.name} to ${ctx.master.target} leaves no master-eligible node`;
  }
  return undefined;
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

/** An instance whose termination cannot lose data: never joined, drained, or an empty data-only node. */
function safeVictim(ctx: Ctx, g: GroupState): FleetInstance | undefined {
  const red = ctx.es.health.status === 'red';
  const notJoined = g.live.find((i) => !ctx.nodesByName.has(i.instanceId));
  if (notJoined && !red) return notJoined;
  const owned = ownedExclusions(ctx);
  for (const i of g.live) {
    const view = ctx.nodesByName.get(i.instanceId);
    if (!view || i.instanceId === ctx.es.electedMaster) continue;
    const empty = shardsOnNode(ctx.es, i.instanceId).length === 0;
    if (!empty || ctx.es.health.relocatingShards > 0 || ctx.es.health.initializingShards > 0) continue;
    if (isMasterEligible(view)) {
      if (ownedVotingExclusions(ctx).includes(i.instanceId)) return i;
      continue;
    }
    if (owned.includes(i.instanceId) || isDataNode(view)) return i;
  }
  return undefined;
}

/** Live instances per zone, sorted by zone name: the zones the group launches into (else every zone the cluster uses). */
export function zoneCounts(ctx: Ctx, g: GroupState): Map<string, number> {
  const counts = new Map<string, number>();
  const zones = g.group.availabilityZones?.length
    ? g.group.availabilityZones
    : [ctx.data, ctx.master].flatMap((x) => x.group.instances.map((i) => i.availabilityZone));
  for (const z of zones) counts.set(z, 0);
  for (const i of g.live) counts.set(i.availabilityZone, (counts.get(i.availabilityZone) ?? 0) + 1);
  return new Map([...counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

const zoneText = (counts: ReadonlyMap<string, number>): string =>
  [...counts.entries()].map(([z, n]) => `${z}:${n}`).join(', ');

/** "a:2, b:1, c:0" when the group's zones differ by more than one instance, else undefined. */
export function zoneImbalance(ctx: Ctx, g: GroupState): string | undefined {
  const counts = zoneCounts(ctx, g);
  const values = [...counts.values()];
  if (values.length === 0 || Math.max(...values) - Math.min(...values) <= 1) return undefined;
  return zoneText(counts);
}

/** The zone-rebalance tag of a group: no cycle yet, the last cycle with the zone counts before its surge, or stopped. */
type RebalanceMark =
  | { readonly kind: 'none' }
  | { readonly kind: 'cycle'; readonly n: number; readonly before: ReadonlyMap<string, number> }
  | { readonly kind: 'stopped'; readonly reason: string };

export function rebalanceMark(g: GroupState): RebalanceMark {
  const v = g.group.tags[TAG.zoneRebalance];
  if (v === undefined || v === '' || v === NONE) return { kind: 'none' };
  if (v.startsWith('stopped:')) return { kind: 'stopped', reason: v.slice('stopped:'.length) };
  const m = /^(\d+):(.*)$/.exec(v);
  const before = new Map<string, number>();
  for (const part of (m?.[2] ?? '').split(',').filter((x) => x.length > 0)) {
    const eq = part.lastIndexOf('=');
    const n = Number(part.slice(eq + 1));
    if (eq <= 0 || !Number.isInteger(n)) return { kind: 'stopped', reason: `unreadable tag ${TAG.zoneRebalance}=${v}` };
    before.set(part.slice(0, eq), n);
  }
  if (!m || before.size === 0) return { kind: 'stopped', reason: `unreadable tag ${TAG.zoneRebalance}=${v}` };
  return { kind: 'cycle', n: Number(m[1]), before };
}

const formatCycle = (n: number, counts: ReadonlyMap<string, number>): string =>
  `${n}:${[...counts.entries()].map(([z, c]) => `${z}=${c}`).join(',')}`;

/** At most one rebalance cycle per instance of the group. */
const rebalanceBound = (g: GroupState): number => Math.max(1, g.baseline);

function sameCounts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  const zones = new Set([...a.keys(), ...b.keys()]);
  return [...zones].every((z) => (a.get(z) ?? 0) === (b.get(z) ?? 0));
}

/**
 * Why the surge of a rebalance cycle did not help: it must have added exactly one instance, in a zone that had the
 * fewest before the surge. Undefined when it did.
 */
function landingProblem(ctx: Ctx, g: GroupState, before: ReadonlyMap<string, number>): string | undefined {
  const after = zoneCounts(ctx, g);
  const zones = [...new Set([...before.keys(), ...after.keys()])].sort();
  const delta = (z: string) => (after.get(z) ?? 0) - (before.get(z) ?? 0);
  const changed = zones.filter((z) => delta(z) !== 0);
  if (changed.length !== 1 || delta(changed[0]!) !== 1) {
    return `the zones of ${g.group.name} changed otherwise during the cycle (before the surge ${zoneText(before)}, now ${zoneText(after)})`;
  }
  const landed = changed[0]!;
  const min = Math.min(...before.values());
  const least = [...before.entries()].filter(([, n]) => n === min).map(([z]) => z);
  if (!least.includes(landed)) {
    return (
      `the surge instance of ${g.group.name} landed in ${landed}, not in an emptiest zone (${least.join(', ')}; ` +
      `before the surge ${zoneText(before)}): Auto Scaling did not balance`
    );
  }
  return undefined;
}

/**
 * Every node runs the target and nothing is in flight: when the group's zones differ by more than one instance, start
 * (or, after a crash between the tag and the capacity write, start again) a zone-rebalance cycle with a surge.
 */
function startZoneRebalance(ctx: Ctx, g: GroupState): Decision | undefined {
  if (!g.locked || g.outdated.length > 0 || g.capacity !== g.baseline) return undefined;
  // With AZRebalance active, Auto Scaling balances the group itself; a surge of ours would race with it.
  if (!g.group.suspendedProcesses.includes('AZRebalance')) return undefined;
  const zones = zoneImbalance(ctx, g);
  if (!zones) return undefined;
  const mark = rebalanceMark(g);
  if (mark.kind === 'stopped') return undefined;
  const counts = zoneCounts(ctx, g);
  // Counts unchanged since the tag was written: that cycle's surge never happened (a good cycle changes two zones).
  const cycle = mark.kind === 'none' ? 1 : sameCounts(mark.before, counts) ? mark.n : mark.n + 1;
  const bound = rebalanceBound(g);
  if (cycle > bound) return undefined;
  // The roll's setup (lock, suspended processes, balancer off) holds for the cycle, even if a cleanup had begun.
  const setup = ensureSetup(ctx);
  if (setup) return setup;
  const name = g.group.name;
  const gate = runGates(ctx, { step: 'surge', group: g });
  if (gate) return wait(gate.blockedBy, `zone-rebalance: before surging ${name}: ${gate.reason}`);
  return act(
    {
      type: 'surge',
      group: name,
      desiredCapacity: g.baseline + 1,
      surgeAt: ctx.now,
      tags: { [TAG.zoneRebalance]: formatCycle(cycle, counts) },
    },
    `zone-rebalance: ${name} zones are unbalanced (${zones}): launching one instance (Auto Scaling picks the ` +
      `emptiest zone), then removing one from the fullest zone (cycle ${cycle} of at most ${bound}; ` +
      `desired ${g.baseline} → ${g.baseline + 1})`,
  );
}

function rebalanceStopText(g: GroupState): string {
  const mark = rebalanceMark(g);
  if (mark.kind === 'stopped') return `; zone rebalancing stopped: ${mark.reason}`;
  if (mark.kind === 'cycle' && mark.n >= rebalanceBound(g)) {
    return `; zone rebalancing stopped after ${mark.n} cycle(s), the most allowed`;
  }
  return '';
}

function cleanup(ctx: Ctx, outcome: Outcome, why: string): Decision {
  const handoff = cleanupHandoff(ctx, ctx.data, outcome);
  if (handoff) return handoff;
  const leftovers: string[] = [];
  for (const g of [ctx.data, ctx.master]) {
    if (g.locked && g.capacity > g.baseline) {
      const victim = safeVictim(ctx, g);
      if (victim) {
        const tasks = inFlightTasks(ctx, g, victim.instanceId);
        if (tasks.decision) return tasks.decision;
        return act(
          terminate(g, victim),
          `${outcome === 'completed' ? 'finishing' : `stopping (${why})`}: removing surge capacity of ${g.group.name} ` +
            `with ${victim.instanceId}, which holds no data${tasks.note ?? ''}`,
        );
      }
      leftovers.push(`${g.group.name} left at ${g.capacity} instances (baseline ${g.baseline}): every node holds data`);
    }
  }
  const owned = ownedExclusions(ctx);
  const ownVoting = ownedVotingExclusions(ctx);
  const leaving = [...owned, ...ownVoting].find(
    (n) => ctx.allInstanceIds.has(n) && !ctx.liveInstanceIds.has(n) && ctx.nodesByName.has(n),
  );
  if (leaving) return wait('previous-replacement-complete', `cleanup: ${leaving} was terminated and is still leaving`);
  if (owned.length) {
    return act(
      {
        type: 'clear-exclusion',
        nodes: owned,
        names: ctx.es.allocationExcludeNames.filter((n) => !owned.includes(n)),
        record: excludedRecord(ctx, [], owned),
      },
      `cleanup (${outcome}): removing allocation exclusions of ${owned.join(', ')}`,
    );
  }
  if (ownVoting.length) {
    // Voting exclusions are cleared all at once: someone else's would go with ours. Then ours stay, with the reason.
    const foreign = foreignExclusions(ctx).voting;
    if (foreign.length === 0) {
      return act(
        { type: 'clear-voting-exclusions', record: votingRecord(ctx) },
        `cleanup (${outcome}): clearing voting config exclusions`,
      );
    }
    leftovers.push(
      `voting config exclusions of ${ownVoting.join(', ')} left in place: clearing them would also clear ` +
        `${foreign.join(', ')}, which this rollout did not write (DELETE _cluster/voting_config_exclusions once both may go)`,
    );
  }
  const prev = ctx.marks.rebalancePrev;
  if (prev !== undefined) {
    const value = prev === NONE ? null : prev;
    if (ctx.es.rebalanceEnable.persistent !== value) {
      return act(
        { type: 'set-rebalance', value },
        `cleanup (${outcome}): restoring cluster.routing.rebalance.enable to ${value ?? 'its default (unset)'}`,
      );
    }
  }
  for (const g of [ctx.data, ctx.master]) {
    let ours = suspendedByUs(g).filter((p) => g.group.suspendedProcesses.includes(p));
    const zones = zoneImbalance(ctx, g);
    if (ours.includes('AZRebalance') && zones) {
      // Resuming it now would make Auto Scaling launch one instance and terminate another, undrained, with data.
      ours = ours.filter((p) => p !== 'AZRebalance');
      leftovers.push(
        `AZRebalance left suspended on ${g.group.name}: zones are unbalanced (${zones})` +
          (outcome === 'completed' ? rebalanceStopText(g) : ''),
      );
    }
    if (ours.length) {
      return act(
        { type: 'resume-processes', group: g.group.name, processes: ours },
        `cleanup (${outcome}): resuming ${ours.join(', ')} on ${g.group.name}`,
      );
    }
  }
  const protect = protectAll(ctx, `cleanup (${outcome})`);
  if (protect) return protect;
  const groups = [ctx.master, ctx.data].filter((g) => g.locked).map((g) => g.group.name);
  const result = tagValue(formatResult(outcome, ctx.spec));
  const note = leftovers.length ? `; ${leftovers.join('; ')}` : '';
  return act({ type: 'release', groups, outcome, result }, `${outcome}: ${why}${note}`);
}
