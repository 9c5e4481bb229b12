/** Before the lock: whether and how a roll begins (start gates), the lock's tags, the setup and the result tag. */
import { type Ctx, type GroupState, suspendedByUs } from './context';
import {
  classifyUnassigned,
  clusterGreenOrVersionYellow,
  noForeignExclusions,
  runGates,
  surgeCapacityAvailable,
  versionPathAllowed,
} from './predicates';
import { act, protectAll, wait } from './actions';
import { preRollSnapshot } from './pre-roll-snapshot';
import { NONE, TAG, formatListTag } from './tags';
import type { Decision, Outcome, RolloutSpec } from './types';

function beginTags(ctx: Ctx, g: GroupState): Record<string, string> {
  const toSuspend = ctx.spec.options.suspendProcesses.filter((p) => !g.group.suspendedProcesses.includes(p));
  const tags: Record<string, string> = {
    [TAG.rollout]: ctx.spec.rolloutId,
    [TAG.capacity]: String(g.capacity),
    [TAG.suspended]: formatListTag(toSuspend),
    // Which workflow start holds the lock (lock-handoff.ts): an older execution never takes it back.
    ...(ctx.spec.attempt ? { [TAG.attempt]: ctx.spec.attempt } : {}),
  };
  if (g.role === 'data' && ctx.spec.options.controlRebalance) {
    tags[TAG.rebalance] = ctx.es.rebalanceEnable.persistent ?? NONE;
  }
  // Ownership records start empty with the lock: from now on only what this rollout writes is its own.
  tags[g.role === 'data' ? TAG.excluded : TAG.voting] = NONE;
  return tags;
}

/** The result tag: "<outcome>:<rolloutId>[:<attempt>]". */
export function formatResult(outcome: Outcome, spec: RolloutSpec): string {
  return `${outcome}:${spec.rolloutId}${spec.attempt ? `:${spec.attempt}` : ''}`;
}

function parseResult(text: string | undefined): { outcome: Outcome; rolloutId: string; attempt?: string } | undefined {
  const m = /^(completed|failed|aborted):([A-Za-z0-9-]+)(?::(.+))?$/.exec(text ?? '');
  if (!m) return undefined;
  return { outcome: m[1] as Outcome, rolloutId: m[2]!, ...(m[3] ? { attempt: m[3] } : {}) };
}

export function decideIdle(ctx: Ctx): Decision {
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
  const full = noSurgeRoom(ctx);
  if (full) {
    return act(
      { type: 'done', outcome: 'failed' },
      `refusing to begin: ${full}; nothing was changed (raise the group's MaxSize or lower its desired capacity, ` +
        'then deploy again)',
      surgeCapacityAvailable.name,
    );
  }
  const gate = runGates(ctx, { step: 'start' });
  if (gate) return wait(gate.blockedBy, `before starting: ${gate.reason}`);
  const snapshot = preRollSnapshot(ctx);
  if (snapshot) return snapshot;
  const scaleIn = extra.map((g) => `${g.group.name} ${g.capacity} → ${g.target}`).join(', ');
  return act(
    { type: 'begin', group: ctx.data.group.name, tags: beginTags(ctx, ctx.data) },
    `${outdated} outdated instance(s)${scaleIn ? `, planned scale-in ${scaleIn}` : ''}: taking the rollout lock on ` +
      ctx.data.group.name,
  );
}

export function ensureSetup(ctx: Ctx): Decision | undefined {
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

/**
 * Why a planned scale-in must not go ahead: a shard with more copies than the data nodes that would remain, or no
 * master left. Undefined when it may.
 */
export function scaleInRefused(ctx: Ctx): string | undefined {
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

/**
 * Why a group with outdated instances could never surge (MaxSize reached, e.g. by capacity left above the baseline
 * when the configured count is unknown): refused before the lock, so no roll takes it, turns rebalancing off and then
 * waits forever. Undefined when every such group has room.
 */
function noSurgeRoom(ctx: Ctx): string | undefined {
  for (const g of [ctx.data, ctx.master]) {
    if (g.outdated.length === 0) continue;
    const r = surgeCapacityAvailable.evaluate(ctx, { step: 'start', group: g });
    if (r.status === 'block') return r.reason;
  }
  return undefined;
}
