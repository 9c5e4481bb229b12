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
import { type Ctx, buildContext, ownedExclusions, ownedVotingExclusions } from './context';
import { everyExpectedNodePresent, versionPathAllowed } from './predicates';
import { abortWithoutElasticsearch } from './unreachable';
import { act, wait } from './actions';
import { cleanup } from './cleanup';
import { decideIdle, ensureSetup } from './start';
import { stepGroup } from './steps';
import { nodeDownInRoll } from './node-down';
import { withRecoveryStall } from './recovery-stall';
import { newerAttempt, superseded } from './lock-handoff';
import { startZoneRebalance } from './zone-rebalance';
import { NONE, TAG } from './tags';
import { type Decision, type Observed, type RolloutSpec, isUnknown } from './types';

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
  const older = superseded(ctx);
  if (older) return older;
  if (m.abortRequested) return cleanup(ctx, 'aborted', 'abort requested by an operator (elkctl roll abort)');
  if (m.failed !== undefined) return cleanup(ctx, 'failed', m.failed);
  if (m.id !== spec.rolloutId || newerAttempt(ctx)) {
    const groups = [ctx.data, ctx.master].filter((g) => g.locked).map((g) => g.group.name);
    return act(
      { type: 'adopt', groups, rolloutId: spec.rolloutId, ...(spec.attempt ? { attempt: spec.attempt } : {}) },
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
      // Elasticsearch down on an EC2-healthy instance: while the roll waits, the node health check may step in.
      // A wait for recoveries is watched for a stall (recovery-stall.ts).
      if (d) return nodeDownInRoll(ctx, d) ?? withRecoveryStall(ctx, d);
    }
  }
  const present = everyExpectedNodePresent.evaluate(ctx, { step: 'start' });
  if (present.status === 'block') {
    const d = wait(everyExpectedNodePresent.name, present.reason);
    return nodeDownInRoll(ctx, d) ?? d;
  }
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
