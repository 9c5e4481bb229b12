/**
 * Volume handoff (`rollout.method: handoff | auto`), one data node at a time, level-triggered like the rest of decide():
 *
 *   handoff-begin    group tag elk-cdk:rollout-handoff = <node>, then cluster.routing.allocation.enable: primaries
 *   handoff-stop     Elasticsearch stops, the data volume is detached (kept), the instance is terminated without
 *                    decrement: Auto Scaling launches its replacement, which attaches a free volume of its zone and
 *                    joins with the target version, the same node id and the node's files
 *   wait-for-join    as after a surge (same join timeout)
 *   handoff-rejoined allocation enabled again: each replica goes back to its files and replays only what changed
 *   handoff-done     once health is green again (or yellow only by the version rule) and nothing moves: tag removed
 *
 * A node gets the drain method instead, with the reason, when the method is `drain`, it is a master, the group's
 * volumes die with their instances, the fleet reports this node's volume cannot be handed off (none of its own, a
 * storage change), allocation is already restricted by someone else, or a shard on it has no other
 * started copy (it would be unavailable while the node is away). Pure.
 */
import { type Ctx, type GroupState, shardsOnNode } from './context';
import { inFlightTasks } from './in-flight-tasks';
import {
  clusterGreenOrVersionYellow,
  everyExpectedNodePresent,
  joinedWithTargetVersion,
  noForeignExclusions,
  noLastCopyOnNode,
  noShardActivity,
  previousReplacementComplete,
  type Predicate,
} from './predicates';
import { NONE, TAG, numberTag } from './tags';
import type { Decision } from './types';

export interface MethodChoice {
  readonly method: 'drain' | 'handoff';
  readonly why: string;
}

const act = (action: Decision['action'], reason: string, blockedBy?: string): Decision =>
  blockedBy ? { action, reason, blockedBy } : { action, reason };

/** The method one node gets, and why. */
export function methodFor(ctx: Ctx, g: GroupState, node: string): MethodChoice {
  const asked = ctx.spec.options.method;
  if (asked === 'drain') return { method: 'drain', why: 'rollout.method is drain' };
  const fallback = (why: string): MethodChoice => ({ method: 'drain', why: `drain instead of handoff: ${why}` });
  if (g.role !== 'data') return fallback('a master is replaced with a surge, one at a time');
  if (!g.group.volumesOutliveInstances) return fallback(`the data volumes of ${g.group.name} die with their instances`);
  // The fleet's word on this node's own volume (none attached, or a storage change).
  const blocked = g.live.find((i) => i.instanceId === node)?.volumeHandoffBlocked;
  if (blocked) return fallback(blocked);
  const enable = ctx.es.allocationEnable;
  const ours = g.group.tags[TAG.handoff] !== undefined && g.group.tags[TAG.handoff] !== NONE;
  if (enable === undefined) return fallback('cluster.routing.allocation.enable is not observed');
  if (enable !== null && enable !== 'all' && !ours) {
    return fallback(`cluster.routing.allocation.enable is ${enable}, which this rollout did not set`);
  }
  for (const s of shardsOnNode(ctx.es, node)) {
    const elsewhere = ctx.es.shards.some(
      (o) => o.index === s.index && o.shard === s.shard && o.state === 'STARTED' && o.node !== node,
    );
    if (!elsewhere) {
      return fallback(
        `[${s.index}][${s.shard}] has no other started copy: it would be unavailable while ${node} is away`,
      );
    }
  }
  return { method: 'handoff', why: 'its volume moves to the replacement, which replays only what changed' };
}

function firstBlock(ctx: Ctx, g: GroupState, node: string, gates: readonly Predicate[]) {
  for (const p of gates) {
    const r = p.evaluate(ctx, { step: 'exclude', group: g, node });
    if (r.status === 'block') return { blockedBy: p.name, reason: r.reason };
  }
  return undefined;
}

const BEGIN_GATES = [
  clusterGreenOrVersionYellow,
  noShardActivity,
  everyExpectedNodePresent,
  previousReplacementComplete,
  noForeignExclusions,
  joinedWithTargetVersion,
];
// Health is not a gate once allocation is limited to primaries: a new index's replicas wait (yellow) until the end.
const STOP_GATES = [noShardActivity, everyExpectedNodePresent, noLastCopyOnNode];

/** Starts a handoff of `node` when it gets that method; undefined when it gets drain (the caller surges). */
export function beginHandoff(ctx: Ctx, g: GroupState, node: string): Decision | undefined {
  const choice = methodFor(ctx, g, node);
  if (choice.method !== 'handoff') return undefined;
  const gate = firstBlock(ctx, g, node, BEGIN_GATES);
  if (gate) return act({ type: 'wait' }, `before handing off ${node}: ${gate.reason}`, gate.blockedBy);
  // Stopping the node kills its long-running tasks: wait for them before allocation is limited (in-flight-tasks).
  const tasks = inFlightTasks(ctx, g, node);
  if (tasks.decision) return tasks.decision;
  return act(
    { type: 'handoff-begin', group: g.group.name, node },
    `handing off ${node} (${shardsOnNode(ctx.es, node).length} shard copies): ${choice.why}; allocation limited to ` +
      'primaries while it is away',
  );
}

/** The next step of the handoff in progress (the data group's tag), or undefined when there is none. */
export function stepHandoff(ctx: Ctx, g: GroupState): Decision | undefined {
  const node = g.group.tags[TAG.handoff];
  if (g.role !== 'data' || node === undefined || node === NONE) return undefined;
  const inst = g.live.find((i) => i.instanceId === node);
  if (inst) {
    if (ctx.es.allocationEnable !== 'primaries') {
      return act(
        { type: 'handoff-begin', group: g.group.name, node },
        `handing off ${node}: limiting allocation to primaries`,
      );
    }
    const gate = firstBlock(ctx, g, node, STOP_GATES);
    if (gate) return act({ type: 'wait' }, `before stopping ${node}: ${gate.reason}`, gate.blockedBy);
    const tasks = inFlightTasks(ctx, g, node);
    if (tasks.decision) return tasks.decision;
    return act(
      { type: 'handoff-stop', group: g.group.name, instanceId: node, expectedLifecycleState: inst.lifecycleState },
      `${node}: stopping Elasticsearch, detaching its data volume, terminating without decrement (Auto Scaling ` +
        'launches the replacement in its zone)' +
        (tasks.note ?? ''),
    );
  }
  if (ctx.nodesByName.has(node)) {
    return act({ type: 'wait' }, `${node} is stopping and still a cluster member`, 'previous-replacement-complete');
  }
  const present = everyExpectedNodePresent.evaluate(ctx, { step: 'exclude', group: g });
  const since = numberTag(g.group, TAG.joinWait);
  if (present.status === 'block') {
    const timeout = ctx.spec.options.joinTimeoutSeconds;
    if (since !== undefined && ctx.now - since > timeout) {
      const reason = `the replacement of ${node} did not join within ${timeout} s (${present.reason})`;
      return act({ type: 'mark-failed', group: g.group.name, reason }, reason, 'replacement-joins-in-time');
    }
    return act(
      { type: 'wait-for-join', group: g.group.name, ...(since === undefined ? { since: ctx.now } : {}) },
      `handoff of ${node}: ${present.reason}`,
      'replacement-joins-in-time',
    );
  }
  if (since !== undefined) {
    return act({ type: 'joined', group: g.group.name }, `the replacement of ${node} has joined`);
  }
  if (ctx.es.allocationEnable === 'primaries') {
    return act(
      { type: 'handoff-rejoined', node },
      `the replacement of ${node} has joined: allocation enabled again, its replicas replay only what changed`,
    );
  }
  for (const p of [clusterGreenOrVersionYellow, noShardActivity]) {
    const r = p.evaluate(ctx, { step: 'exclude', group: g });
    if (r.status === 'block') return act({ type: 'wait' }, `handoff of ${node}: catching up: ${r.reason}`, p.name);
  }
  return act(
    { type: 'handoff-done', group: g.group.name, node },
    `handoff of ${node} done: its copies are started again`,
  );
}

/** Cleanup of a handoff left by a failed or aborted roll: allocation enabled again, then the tag removed. */
export function cleanupHandoff(ctx: Ctx, g: GroupState, outcome: string): Decision | undefined {
  const node = g.group.tags[TAG.handoff];
  if (g.role !== 'data' || node === undefined || node === NONE) return undefined;
  if (ctx.es.allocationEnable === 'primaries') {
    return act({ type: 'handoff-rejoined', node }, `cleanup (${outcome}): enabling allocation again`);
  }
  return act({ type: 'handoff-done', group: g.group.name, node }, `cleanup (${outcome}): handoff mark removed`);
}
