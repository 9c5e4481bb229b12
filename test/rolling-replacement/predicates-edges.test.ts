/**
 * Cases the quick mutation run (npm run test:mutation:unit) found uncovered in predicates.ts: a node joining running
 * drains, a refused replica next to one still being allocated, a master gate asked about a node that is not a
 * master-eligible member, the room a surge needs, and the gates of a node joining running drains (runGates).
 */
import * as P from '../../lambda/rolling-replacement/core/predicates';
import type { Subject } from '../../lambda/rolling-replacement/core/predicates';
import type { ShardCopy, UnassignedExplanation } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';
import { midRoll } from './worlds';
import { type World, ctxIn, ids, snapshot, started, withEs, withGroup, withOwnedExclusions } from './gate-worlds';

let base: World;
/** The same cluster with the rollout's lock and setup (exclusions are the rollout's only under its lock). */
let rolling: World;
beforeAll(async () => {
  base = await snapshot(new FakeWorld());
  rolling = await snapshot(midRoll());
});

const data = (w: World, i: number) => ids(w, 'data-asg')[i]!;
const master = (w: World, i: number) => ids(w, 'master-asg')[i]!;
const run = (p: P.Predicate, w: World, subject: Subject) => p.evaluate(ctxIn(w), subject);

describe('previous-replacement-complete for a node joining running drains', () => {
  test("the running drains' exclusions are the current step, not leftovers; an exclusion of a gone node still is", () => {
    const w = withOwnedExclusions(rolling, [data(rolling, 0)]);
    const joining: Subject = { step: 'exclude', node: data(rolling, 1), joining: true };
    expect(run(P.previousReplacementComplete, w, joining).status).toBe('pass');
    // The same exclusion holds a node that starts a drain of its own (not joining): one node at a time.
    expect(run(P.previousReplacementComplete, w, { step: 'exclude', node: data(rolling, 1) }).status).toBe('block');
    // An exclusion left for a node that is no longer live is a previous step's, joining or not.
    const gone = withOwnedExclusions(rolling, [data(rolling, 0), 'i-0000dead']);
    const r = run(P.previousReplacementComplete, gone, joining);
    expect(r).toEqual({ status: 'block', reason: 'allocation exclusion still set for i-0000dead' });
  });
});

describe('runGates for a node joining running drains (ADD_TO_DRAIN_GATES)', () => {
  test('a node holding a copy of a shard whose other copy is draining waits', () => {
    // data 0 drains and holds a copy of [logs][0]; data 1 holds the other copy: adding it would put both at risk.
    const w = withOwnedExclusions(rolling, [data(rolling, 0)]);
    const ctx = ctxIn(w);
    const onBoth = w.es.shards.find(
      (s) =>
        s.node === data(rolling, 0) &&
        w.es.shards.some((o) => o.index === s.index && o.shard === s.shard && o.node === data(rolling, 1)),
    );
    expect(onBoth).toBeDefined();
    const out = P.runGates(ctx, { step: 'exclude', group: ctx.data, node: data(rolling, 1), joining: true });
    expect(out).toEqual({
      blockedBy: 'one-copy-per-shard-draining',
      reason: expect.stringContaining(data(rolling, 1)),
    });
  });

  test('a red cluster holds a node joining running drains', () => {
    const w = withEs(withOwnedExclusions(rolling, [data(rolling, 0)]), (es) => ({
      ...es,
      health: { ...es.health, status: 'red' },
    }));
    const ctx = ctxIn(w);
    const out = P.runGates(ctx, { step: 'exclude', group: ctx.data, node: data(rolling, 2), joining: true });
    expect(out?.blockedBy).toBe('cluster-green-or-version-yellow');
  });

  test('running drains move shards: activity does not hold a node joining them, as it holds a drain of its own', () => {
    const w = withEs(withOwnedExclusions(rolling, [data(rolling, 0)]), (es) => ({
      ...es,
      health: { ...es.health, relocatingShards: 2 },
      // data 2 shares no shard with the draining data 0.
      shards: es.shards.filter((s) => s.node !== data(rolling, 2)),
    }));
    const ctx = ctxIn(w);
    const own = P.runGates(ctx, { step: 'exclude', group: ctx.data, node: data(rolling, 2) });
    expect(own?.blockedBy).toBe('no-shard-activity');
    expect(
      P.runGates(ctx, { step: 'exclude', group: ctx.data, node: data(rolling, 2), joining: true }),
    ).toBeUndefined();
  });
});

describe('cluster-green-or-version-yellow names what refuses allocation', () => {
  const replica = (index: string): ShardCopy => ({ index, shard: 0, primary: false, state: 'UNASSIGNED', bytes: 0 });
  const explained = (index: string, e: Pick<UnassignedExplanation, 'canAllocate' | 'nodeDecisions'>) => ({
    index,
    shard: 0,
    primary: false,
    ...e,
  });

  test('a replica refused by a filter is reported as refused (an operator must act), not as being allocated', () => {
    const w = withEs(base, (es) => ({
      ...es,
      health: { ...es.health, status: 'yellow', unassignedShards: 2 },
      shards: [...es.shards, started('pinned', 0, data(base, 0), true), replica('pinned')],
      explanations: [
        explained('pinned', {
          canAllocate: 'no',
          nodeDecisions: [1, 2].map((k) => ({ nodeName: data(base, k), decision: 'no', noDeciders: ['filter'] })),
        }),
      ],
    }));
    const r = run(P.clusterGreenOrVersionYellow, w, { step: 'surge' });
    expect(r).toEqual({ status: 'block', reason: 'yellow and allocation is refused: [pinned][0] replica (filter)' });
  });

  test('next to a replica that is only throttled, the refused one is what the reason names', () => {
    const w = withEs(base, (es) => ({
      ...es,
      health: { ...es.health, status: 'yellow', unassignedShards: 2 },
      shards: [
        ...es.shards,
        started('busy', 0, data(base, 0), true),
        replica('busy'),
        started('pinned', 0, data(base, 0), true),
        replica('pinned'),
      ],
      explanations: [
        explained('busy', { canAllocate: 'throttled', nodeDecisions: [] }),
        explained('pinned', {
          canAllocate: 'no',
          nodeDecisions: [1, 2].map((k) => ({ nodeName: data(base, k), decision: 'no', noDeciders: ['filter'] })),
        }),
      ],
    }));
    const r = run(P.clusterGreenOrVersionYellow, w, { step: 'surge' });
    expect(r).toEqual({ status: 'block', reason: 'yellow and allocation is refused: [pinned][0] replica (filter)' });
  });
});

describe('master gates asked about a node that is not a master-eligible member', () => {
  const withCommitted = (w: World) =>
    withEs(w, (es) => ({
      ...es,
      lastCommittedConfig: es.nodes.filter((n) => n.roles.includes('master')).map((n) => n.id),
    }));

  test('out-of-voting-configuration: not applicable to a data-only node nor to a node that left, never an error', () => {
    const w = withCommitted(base);
    expect(run(P.outOfVotingConfiguration, w, { step: 'terminate', node: data(base, 0) }).status).toBe(
      'not-applicable',
    );
    expect(run(P.outOfVotingConfiguration, w, { step: 'terminate', node: 'i-0000dead' }).status).toBe('not-applicable');
    expect(run(P.outOfVotingConfiguration, w, { step: 'terminate', node: master(base, 0) }).status).toBe('block');
  });
});

describe('surge-capacity-available', () => {
  test('names the MaxSize a surge needs: the baseline plus one', () => {
    const w = withGroup(base, 'data-asg', (g) => ({ ...g, maxSize: 3 }));
    const ctx = ctxIn(w);
    const r = P.surgeCapacityAvailable.evaluate(ctx, { step: 'surge', group: ctx.data });
    expect(r).toEqual({ status: 'block', reason: 'data-asg MaxSize 3 leaves no room for a surge instance (needs 4)' });
  });
});
