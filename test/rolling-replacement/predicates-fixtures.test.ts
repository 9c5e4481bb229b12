/**
 * Fixtures the predicate table did not have: initializing shards, a second index sharing shard numbers, an unassigned
 * primary, no elected master, a master+data node, and the boundaries of the numeric gates.
 */
import * as P from '../../lambda/rolling-replacement/core/predicates';
import type { Subject } from '../../lambda/rolling-replacement/core/predicates';
import type { RolloutSpec, UnassignedExplanation } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';
import {
  type World,
  ctxIn,
  ids,
  snapshot,
  started,
  withEs,
  withHealth,
  withInstance,
  withNode,
  withShards,
} from './gate-worlds';
import { spec } from './helpers';

let base: World;
beforeAll(async () => {
  base = await snapshot(new FakeWorld());
});

const data = (w: World, i: number) => ids(w, 'data-asg')[i]!;
const master = (w: World, i: number) => ids(w, 'master-asg')[i]!;
const run = (p: P.Predicate, w: World, subject: Subject, s: RolloutSpec = spec()) => p.evaluate(ctxIn(w, s), subject);
const status = (p: P.Predicate, w: World, subject: Subject, s?: RolloutSpec) => run(p, w, subject, s).status;

/** logs[0]'s replica is unassigned with this explanation (yellow). */
function unassignedReplica(w: World, e: Omit<UnassignedExplanation, 'index' | 'shard' | 'primary'>): World {
  return withEs(w, (es) => ({
    ...es,
    health: { ...es.health, status: 'yellow', unassignedShards: 1 },
    shards: es.shards.map((s) =>
      s.index === 'logs' && s.shard === 0 && !s.primary
        ? { index: 'logs', shard: 0, primary: false, state: 'UNASSIGNED' as const, bytes: s.bytes }
        : s,
    ),
    explanations: [{ index: 'logs', shard: 0, primary: false, ...e }],
  }));
}
const versionNo = (nodes: string[]) =>
  nodes.map((nodeName) => ({ nodeName, decision: 'no', noDeciders: ['node_version'] }));

describe('no-shard-activity', () => {
  test('blocks while shards initialize', () => {
    const r = run(P.noShardActivity, withHealth(base, { initializingShards: 2 }), { step: 'surge' });
    expect(r).toEqual({ status: 'block', reason: expect.stringMatching(/2 initializing/) });
  });
});

describe('cluster-green-or-version-yellow', () => {
  const surge: Subject = { step: 'surge' };

  test('blocks a yellow cluster that lists no unassigned shard yet', () => {
    expect(status(P.clusterGreenOrVersionYellow, withHealth(base, { status: 'yellow' }), surge)).toBe('block');
  });

  test('a red cluster names its unassigned primary, not the replicas', () => {
    const w = withEs(base, (es) => ({
      ...es,
      health: { ...es.health, status: 'red' },
      shards: es.shards.map((s) =>
        s.shard === 1 ? { index: s.index, shard: 1, primary: s.primary, state: 'UNASSIGNED' as const, bytes: 1 } : s,
      ),
    }));
    const r = run(P.clusterGreenOrVersionYellow, w, surge);
    expect(r.status).toBe('block');
    expect(r.status === 'block' && r.reason).toMatch(/\[logs\]\[1\] primary/);
    expect(r.status === 'block' && r.reason).not.toMatch(/replica/);
  });

  test('an unassigned primary is never version-blocked, whatever its explanation says', () => {
    const w = withEs(base, (es) => ({
      ...es,
      health: { ...es.health, status: 'yellow' },
      shards: es.shards.map((s) =>
        s.shard === 2 && s.primary
          ? { index: 'logs', shard: 2, primary: true, state: 'UNASSIGNED' as const, bytes: 1 }
          : s,
      ),
      explanations: [
        {
          index: 'logs',
          shard: 2,
          primary: true,
          canAllocate: 'no',
          nodeDecisions: versionNo([data(base, 0), data(base, 1)]),
        },
      ],
    }));
    const c = P.classifyUnassigned(ctxIn(w));
    expect(c.map((x) => [x.klass, x.detail])).toEqual([['blocked', 'primary unassigned']]);
    expect(status(P.clusterGreenOrVersionYellow, w, surge)).toBe('block');
  });

  test('a replica refused by node_version on every node passes', () => {
    const w = unassignedReplica(base, { canAllocate: 'no', nodeDecisions: versionNo([data(base, 1)]) });
    expect(P.classifyUnassigned(ctxIn(w)).map((c) => c.klass)).toEqual(['version-blocked']);
    expect(status(P.clusterGreenOrVersionYellow, w, surge)).toBe('pass');
  });

  test.each(['no_valid_shard_copy', 'no_attempt_other', 'unknown'])(
    'a replica whose can_allocate is %s is not version-blocked, even with node_version refusals',
    (canAllocate) => {
      const w = unassignedReplica(base, { canAllocate, nodeDecisions: versionNo([data(base, 1)]) });
      expect(P.classifyUnassigned(ctxIn(w)).map((c) => c.klass)).toEqual(['unexplained']);
      expect(status(P.clusterGreenOrVersionYellow, w, surge)).toBe('block');
    },
  );

  test('refusals from the node being drained alone explain nothing', () => {
    const drained = data(base, 2);
    const w = withEs(unassignedReplica(base, { canAllocate: 'no', nodeDecisions: versionNo([drained]) }), (es) => ({
      ...es,
      allocationExcludeNames: [drained],
    }));
    expect(P.classifyUnassigned(ctxIn(w)).map((c) => c.klass)).toEqual(['unexplained']);
  });

  test('a replica without any explanation is unexplained', () => {
    const w = withEs(unassignedReplica(base, { canAllocate: 'no', nodeDecisions: [] }), (es) => ({
      ...es,
      explanations: [],
    }));
    expect(P.classifyUnassigned(ctxIn(w)).map((c) => c.klass)).toEqual(['unexplained']);
  });

  test('an explanation of another index with the same shard number does not explain the replica', () => {
    const w = withEs(
      unassignedReplica(base, { canAllocate: 'no', nodeDecisions: versionNo([data(base, 1)]) }),
      (es) => ({
        ...es,
        explanations: es.explanations.map((e) => ({ ...e, index: 'metrics' })),
      }),
    );
    expect(P.classifyUnassigned(ctxIn(w)).map((c) => c.klass)).toEqual(['unexplained']);
  });

  test("the primary's explanation does not explain its replica", () => {
    const w = withEs(
      unassignedReplica(base, { canAllocate: 'no', nodeDecisions: versionNo([data(base, 1)]) }),
      (es) => ({
        ...es,
        explanations: es.explanations.map((e) => ({ ...e, primary: true })),
      }),
    );
    expect(P.classifyUnassigned(ctxIn(w)).map((c) => c.klass)).toEqual(['unexplained']);
  });

  test('a throttled decision next to a version refusal is still being allocated, not version-blocked', () => {
    const w = unassignedReplica(base, {
      canAllocate: 'no',
      nodeDecisions: [
        { nodeName: data(base, 1), decision: 'no', noDeciders: ['node_version'] },
        { nodeName: data(base, 2), decision: 'throttled', noDeciders: [] },
      ],
    });
    expect(P.classifyUnassigned(ctxIn(w)).map((c) => c.klass)).toEqual(['blocked']);
  });

  test.each(['yes', 'throttled', 'allocation_delayed', 'awaiting_info', 'worse_balance', 'no_attempt'])(
    'a replica whose can_allocate is %s is pending allocation (blocks, as still being allocated)',
    (canAllocate) => {
      const w = unassignedReplica(base, { canAllocate, nodeDecisions: [] });
      expect(P.classifyUnassigned(ctxIn(w)).map((c) => c.klass)).toEqual(['pending']);
      const r = run(P.clusterGreenOrVersionYellow, w, surge);
      expect(r.status === 'block' && r.reason).toMatch(/still being allocated/);
    },
  );
});

describe('no-last-copy-on-node', () => {
  const node = () => data(base, 0);

  test('does not count a copy of another index with the same shard number as a copy elsewhere', () => {
    // metrics[0] lives only on the node; logs[0] has copies on other nodes.
    const w = withShards(base, [started('metrics', 0, node(), true)]);
    const r = run(P.noLastCopyOnNode, w, { step: 'terminate', node: node() });
    expect(r.status === 'block' && r.reason).toMatch(/\[metrics\]\[0\]/);
  });

  test('counts a started copy of the same shard on another node', () => {
    const w = withShards(base, [started('metrics', 0, node(), true), started('metrics', 0, data(base, 1))]);
    expect(status(P.noLastCopyOnNode, w, { step: 'terminate', node: node() })).toBe('pass');
  });

  test('an initializing copy elsewhere is not a copy to rely on', () => {
    const w = withShards(base, [
      started('metrics', 0, node(), true),
      { ...started('metrics', 0, data(base, 1)), state: 'INITIALIZING' },
    ]);
    expect(status(P.noLastCopyOnNode, w, { step: 'terminate', node: node() })).toBe('block');
  });

  test('a node without a name is not applicable', () => {
    expect(status(P.noLastCopyOnNode, base, { step: 'terminate' })).toBe('not-applicable');
  });
});

describe('not-elected-master', () => {
  test('blocks a master termination while no master is elected', () => {
    const w = withEs(base, (es) => ({ ...es, electedMaster: undefined }));
    const r = run(P.notElectedMaster, w, { step: 'terminate', node: master(base, 1) });
    expect(r).toEqual({ status: 'block', reason: 'no elected master' });
  });

  test('applies to a master+data node', () => {
    const node = data(base, 0);
    const w = withEs(withNode(base, node, { roles: ['master', 'data'] }), (es) => ({ ...es, electedMaster: node }));
    expect(status(P.notElectedMaster, w, { step: 'terminate', node })).toBe('block');
  });

  test('a missing node is not applicable', () => {
    expect(status(P.notElectedMaster, base, { step: 'terminate' })).toBe('not-applicable');
  });
});

describe('master+data nodes and data tiers', () => {
  test('replicas-fit-remaining-nodes applies to a node with a data tier role', () => {
    const node = data(base, 0);
    const w = withShards(withNode(base, node, { roles: ['master', 'data_hot'] }), [started('logs', 0, data(base, 2))]);
    expect(status(P.replicasFitRemainingNodes, w, { step: 'exclude', node })).toBe('block');
  });

  test('replicas-fit-remaining-nodes does not count nodes already excluded as remaining', () => {
    const node = data(base, 0);
    const w = withEs(base, (es) => ({ ...es, allocationExcludeNames: [data(base, 1)] }));
    // logs[0] has 2 copies; with data-1 excluded only data-2 remains.
    const r = run(P.replicasFitRemainingNodes, w, { step: 'exclude', node });
    expect(r.status === 'block' && r.reason).toMatch(/2 copies but only 1 data nodes remain/);
  });

  test('replicas-fit-remaining-nodes without a node is not applicable', () => {
    expect(status(P.replicasFitRemainingNodes, base, { step: 'exclude' })).toBe('not-applicable');
  });

  test('disk-headroom applies to a master+data node and ignores master-only nodes', () => {
    const node = data(base, 0);
    // Data nodes: 2 others at 7000 of 10000, each taking one of the node's 1000-byte copies → exactly 80 %, the low
    // watermark (85 %) less the 5 % kept for growth.
    let w = withNode(base, node, { roles: ['master', 'data'] });
    w = withEs(w, (es) => ({
      ...es,
      nodes: es.nodes.map((n) =>
        n.roles.includes('data')
          ? { ...n, diskUsedBytes: 7000, diskTotalBytes: 10000 }
          : { ...n, diskUsedBytes: 0, diskTotalBytes: 1_000_000 },
      ),
    }));
    expect(status(P.diskHeadroom, w, { step: 'exclude', node })).toBe('pass');
    const over = withNode(w, data(base, 1), { diskUsedBytes: 7001 });
    expect(status(P.diskHeadroom, over, { step: 'exclude', node })).toBe('block');
  });

  test('disk-headroom is not applicable when one data node does not report its disk', () => {
    const node = data(base, 0);
    const w = withEs(base, (es) => ({
      ...es,
      nodes: es.nodes.map((n) =>
        n.name === data(base, 2) ? { ...n, diskUsedBytes: 1 } : { ...n, diskUsedBytes: 1, diskTotalBytes: 100 },
      ),
    }));
    expect(status(P.diskHeadroom, w, { step: 'exclude', node })).toBe('not-applicable');
  });

  test('disk-headroom without a node is not applicable', () => {
    expect(status(P.diskHeadroom, base, { step: 'exclude' })).toBe('not-applicable');
  });
});

describe('strictly-drained', () => {
  test('an initializing copy on the node counts as held', () => {
    const node = data(base, 0);
    const w = withEs(base, (es) => ({
      ...es,
      shards: [
        ...es.shards.filter((s) => s.node !== node),
        { ...started('logs', 0, node), state: 'INITIALIZING' as const },
      ],
    }));
    expect(status(P.strictlyDrained, w, { step: 'terminate', node })).toBe('block');
  });

  test('a version-blocked replica elsewhere does not hold the termination', () => {
    const node = data(base, 0);
    const y = unassignedReplica(base, { canAllocate: 'no', nodeDecisions: versionNo([data(base, 1)]) });
    const w = withEs(y, (es) => ({ ...es, shards: es.shards.filter((s) => s.node !== node) }));
    expect(status(P.strictlyDrained, w, { step: 'terminate', node })).toBe('pass');
  });

  test('shard activity holds an empty node', () => {
    const node = data(base, 0);
    const w = withHealth(
      withEs(base, (es) => ({ ...es, shards: es.shards.filter((s) => s.node !== node) })),
      { inFlightFetch: 1 },
    );
    expect(status(P.strictlyDrained, w, { step: 'terminate', node })).toBe('block');
  });

  test('without a node it is not applicable', () => {
    expect(status(P.strictlyDrained, base, { step: 'terminate' })).toBe('not-applicable');
  });
});

describe('all-masters-healthy and every-expected-node-present', () => {
  const masterStep = (): Subject => ({ step: 'surge', group: ctxIn(base).master });

  test('a master instance that joined without the master role blocks', () => {
    const w = withNode(base, master(base, 1), { roles: ['data'] });
    expect(status(P.allMastersHealthy, w, masterStep())).toBe('block');
    const r = run(P.everyExpectedNodePresent, w, { step: 'surge' });
    expect(r.status === 'block' && r.reason).toMatch(/without the master role/);
  });

  test('a data instance that joined without a data role blocks', () => {
    const w = withNode(base, data(base, 1), { roles: ['ingest'] });
    const r = run(P.everyExpectedNodePresent, w, { step: 'surge' });
    expect(r.status === 'block' && r.reason).toMatch(/without the data role/);
  });

  test('an instance that is not InService blocks', () => {
    const w = withInstance(base, master(base, 2), { lifecycleState: 'Standby' });
    const r = run(P.everyExpectedNodePresent, w, { step: 'surge' });
    expect(r.status === 'block' && r.reason).toMatch(/is Standby/);
  });

  test('fewer master-eligible nodes than the baseline blocks', () => {
    // The rollout recorded a baseline of four masters; three are members.
    const ctx = ctxIn(base);
    const four = { ...ctx, master: { ...ctx.master, baseline: 4 } };
    expect(P.allMastersHealthy.evaluate(four, { step: 'surge', group: four.master })).toEqual({
      status: 'block',
      reason: '3 master-eligible nodes, expected 4',
    });
    expect(P.allMastersHealthy.evaluate(ctx, { step: 'surge', group: ctx.master }).status).toBe('pass');
  });
});

describe('boundaries', () => {
  test('nine voting exclusions leave room for a tenth', () => {
    const w = withEs(base, (es) => ({ ...es, votingExclusions: Array.from({ length: 9 }, (_, i) => `n${i}`) }));
    expect(status(P.votingExclusionsBelowLimit, w, { step: 'voting-exclusion' })).toBe('pass');
  });

  test("the subject's own exclusion and voting exclusion are not leftovers", () => {
    const node = data(base, 0);
    const w = withEs(base, (es) => ({ ...es, allocationExcludeNames: [node], votingExclusions: [node] }));
    expect(status(P.previousReplacementComplete, w, { step: 'terminate', node })).toBe('pass');
    expect(status(P.previousReplacementComplete, w, { step: 'terminate', node: data(base, 1) })).toBe('block');
  });

  test('a node of the target template that has not joined yet is not judged; one that joined is', () => {
    const w = withInstance(base, data(base, 0), { launchTemplateVersion: '2' });
    const notJoined = withEs(w, (es) => ({ ...es, nodes: es.nodes.filter((n) => n.name !== data(base, 0)) }));
    expect(status(P.joinedWithTargetVersion, notJoined, { step: 'exclude' })).toBe('not-applicable');
    expect(status(P.joinedWithTargetVersion, w, { step: 'exclude' })).toBe('block');
  });
});

describe('reasons name what blocks', () => {
  test('strictly-drained counts the copies and bytes still held', () => {
    const r = run(P.strictlyDrained, base, { step: 'terminate', node: data(base, 0) });
    expect(r).toEqual({ status: 'block', reason: `${data(base, 0)} still holds 2 shard copies (2000 bytes)` });
  });

  test('a refusal by other deciders names them, sorted, without a version decider involved', () => {
    const w = unassignedReplica(base, {
      canAllocate: 'no',
      nodeDecisions: [
        { nodeName: data(base, 1), decision: 'no', noDeciders: ['filter', 'awareness'] },
        { nodeName: data(base, 2), decision: 'no', noDeciders: ['disk_threshold', 'same_shard'] },
      ],
    });
    const c = P.classifyUnassigned(ctxIn(w));
    expect(c.map((x) => [x.klass, x.detail])).toEqual([['blocked', 'awareness, disk_threshold, filter']]);
  });

  test('a long list of unassigned shards names three and counts the rest', () => {
    const w = withEs(base, (es) => ({
      ...es,
      health: { ...es.health, status: 'yellow' },
      shards: [
        ...es.shards,
        ...[1, 2, 3, 4, 5].map((k) => ({
          index: 'more',
          shard: k,
          primary: false,
          state: 'UNASSIGNED' as const,
          bytes: 1,
        })),
      ],
      explanations: [],
    }));
    const r = run(P.clusterGreenOrVersionYellow, w, { step: 'surge' });
    expect(r.status === 'block' && r.reason).toBe(
      'yellow and replicas are still being allocated: [more][1] replica (no allocation explanation); ' +
        '[more][2] replica (no allocation explanation); [more][3] replica (no allocation explanation); and 2 more',
    );
  });

  test('three unassigned shards are all named', () => {
    const w = withEs(base, (es) => ({
      ...es,
      health: { ...es.health, status: 'red' },
      shards: [
        ...es.shards,
        ...[1, 2, 3].map((k) => ({ index: 'more', shard: k, primary: true, state: 'UNASSIGNED' as const, bytes: 1 })),
      ],
    }));
    const r = run(P.clusterGreenOrVersionYellow, w, { step: 'surge' });
    expect(r.status === 'block' && r.reason).toBe(
      'cluster is red: [more][1] primary (primary unassigned); [more][2] primary (primary unassigned); ' +
        '[more][3] primary (primary unassigned)',
    );
  });

  test('a red cluster that lists no shard says only that it is red', () => {
    expect(run(P.clusterGreenOrVersionYellow, withHealth(base, { status: 'red' }), { step: 'surge' })).toEqual({
      status: 'block',
      reason: 'cluster is red',
    });
  });

  test('an explanation of another shard number does not explain the replica', () => {
    const w = withEs(
      unassignedReplica(base, { canAllocate: 'no', nodeDecisions: versionNo([data(base, 1)]) }),
      (es) => ({
        ...es,
        explanations: es.explanations.map((e) => ({ ...e, shard: 7 })),
      }),
    );
    expect(P.classifyUnassigned(ctxIn(w)).map((c) => c.klass)).toEqual(['unexplained']);
  });
});

describe('not applicable without what they judge', () => {
  test('data-nodes-first and all-masters-healthy without a group', () => {
    expect(status(P.dataNodesFirst, base, { step: 'surge' })).toBe('not-applicable');
    expect(status(P.allMastersHealthy, base, { step: 'terminate' })).toBe('not-applicable');
  });

  test('disk-headroom when a data node reports its total but not its use', () => {
    const w = withEs(base, (es) => ({
      ...es,
      nodes: es.nodes.map((n) =>
        n.name === data(base, 2) ? { ...n, diskTotalBytes: 100 } : { ...n, diskUsedBytes: 1, diskTotalBytes: 100 },
      ),
    }));
    expect(status(P.diskHeadroom, w, { step: 'exclude', node: data(base, 0) })).toBe('not-applicable');
  });

  test('disk-headroom blocks when the other data nodes report no capacity at all', () => {
    const w = withEs(base, (es) => ({
      ...es,
      nodes: es.nodes.map((n) => ({ ...n, diskUsedBytes: 0, diskTotalBytes: 0 })),
    }));
    expect(status(P.diskHeadroom, w, { step: 'exclude', node: data(base, 0) })).toBe('block');
  });
});
