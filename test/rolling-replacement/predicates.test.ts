import * as fs from 'fs';
import * as path from 'path';
import * as P from '../../lambda/rolling-replacement/core/predicates';
import type { Predicate, Subject } from '../../lambda/rolling-replacement/core/predicates';
import type { EsView, ShardCopy, UnassignedExplanation } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';
import { ctxOf, spec } from './helpers';

type Edit = (es: EsView, w: FakeWorld) => EsView;
interface Row {
  name: string;
  predicate: Predicate;
  subject: (w: FakeWorld) => Subject;
  edit?: Edit;
  world?: (w: FakeWorld) => void;
  targetVersion?: string;
  expect: 'pass' | 'block' | 'not-applicable';
  reason?: RegExp;
}

const data = (w: FakeWorld, i = 0) => w.group('data-asg').instances[i]!.id;
const copy = (index: string, node: string, primary = false): ShardCopy => ({
  index,
  shard: 0,
  primary,
  state: 'STARTED',
  node,
  bytes: 100,
});
const masterGroup = async (w: FakeWorld) => (await ctxOf(w)).master;

/** A yellow cluster: one replica of logs[0] is unassigned, explained by `decisions`. */
const yellow =
  (canAllocate: string, decisions: Array<[number, string[]]>, excluded: number[] = []): Edit =>
  (es, w) => {
    const ids = w.group('data-asg').instances.map((i) => i.id);
    const explanation: UnassignedExplanation = {
      index: 'logs',
      shard: 0,
      primary: false,
      canAllocate,
      reason: 'INDEX_CREATED',
      nodeDecisions: decisions.map(([i, no]) => ({
        nodeName: ids[i]!,
        decision: no.length ? 'no' : 'yes',
        noDeciders: no,
      })),
    };
    return {
      ...es,
      health: { ...es.health, status: 'yellow', unassignedShards: 1 },
      shards: es.shards.map((s) =>
        s.index === 'logs' && s.shard === 0 && !s.primary ? { ...s, state: 'UNASSIGNED' as const, node: undefined } : s,
      ),
      explanations: [explanation],
      allocationExcludeNames: excluded.map((i) => ids[i]!),
    };
  };

const rows: Row[] = [
  // cluster-green-or-version-yellow
  {
    name: 'green passes',
    predicate: P.clusterGreenOrVersionYellow,
    subject: () => ({ step: 'surge' }),
    expect: 'pass',
  },
  {
    name: 'yellow from a node_version-blocked replica passes',
    predicate: P.clusterGreenOrVersionYellow,
    subject: () => ({ step: 'surge' }),
    edit: yellow('no', [
      [0, ['same_shard']],
      [1, ['node_version']],
      [2, ['node_version']],
    ]),
    expect: 'pass',
  },
  {
    name: 'yellow from an index_version-blocked replica passes, ignoring the node being drained',
    predicate: P.clusterGreenOrVersionYellow,
    subject: () => ({ step: 'surge' }),
    edit: yellow(
      'no',
      [
        [0, ['same_shard']],
        [1, ['index_version']],
        [2, ['filter', 'node_version']],
      ],
      [2],
    ),
    expect: 'pass',
  },
  {
    name: 'yellow from a disk_threshold refusal blocks and names the decider',
    predicate: P.clusterGreenOrVersionYellow,
    subject: () => ({ step: 'surge' }),
    edit: yellow('no', [
      [0, ['same_shard']],
      [1, ['node_version']],
      [2, ['disk_threshold']],
    ]),
    expect: 'block',
    reason: /disk_threshold/,
  },
  {
    name: 'yellow with only same_shard refusals (too many replicas) blocks',
    predicate: P.clusterGreenOrVersionYellow,
    subject: () => ({ step: 'surge' }),
    edit: yellow('no', [
      [0, ['same_shard']],
      [1, ['same_shard']],
    ]),
    expect: 'block',
    reason: /same_shard/,
  },
  {
    name: 'yellow with a max_retry refusal blocks even when a version decider also refuses',
    predicate: P.clusterGreenOrVersionYellow,
    subject: () => ({ step: 'surge' }),
    edit: yellow('no', [[1, ['node_version', 'max_retry']]]),
    expect: 'block',
    reason: /max_retry/,
  },
  {
    name: 'yellow with a replica still being allocated (throttled) blocks',
    predicate: P.clusterGreenOrVersionYellow,
    subject: () => ({ step: 'surge' }),
    edit: yellow('throttled', []),
    expect: 'block',
    reason: /being allocated/,
  },
  {
    name: 'an explanation message mentioning a version is not enough: no decider, no pass',
    predicate: P.clusterGreenOrVersionYellow,
    subject: () => ({ step: 'surge' }),
    edit: yellow('no', []),
    expect: 'block',
  },
  {
    name: 'red blocks',
    predicate: P.clusterGreenOrVersionYellow,
    subject: () => ({ step: 'surge' }),
    edit: (es) => ({ ...es, health: { ...es.health, status: 'red' } }),
    expect: 'block',
    reason: /red/,
  },
  // no-shard-activity
  { name: 'a quiet cluster passes', predicate: P.noShardActivity, subject: () => ({ step: 'surge' }), expect: 'pass' },
  {
    name: 'relocating shards block',
    predicate: P.noShardActivity,
    subject: () => ({ step: 'surge' }),
    edit: (es) => ({ ...es, health: { ...es.health, relocatingShards: 2 } }),
    expect: 'block',
    reason: /2 relocating/,
  },
  {
    name: 'a languid wait that timed out blocks',
    predicate: P.noShardActivity,
    subject: () => ({ step: 'surge' }),
    edit: (es) => ({ ...es, health: { ...es.health, timedOut: true } }),
    expect: 'block',
    reason: /languid/,
  },
  {
    name: 'in-flight fetches block',
    predicate: P.noShardActivity,
    subject: () => ({ step: 'surge' }),
    edit: (es) => ({ ...es, health: { ...es.health, inFlightFetch: 1 } }),
    expect: 'block',
  },
  // every-expected-node-present
  {
    name: 'all nodes present passes',
    predicate: P.everyExpectedNodePresent,
    subject: () => ({ step: 'surge' }),
    expect: 'pass',
  },
  {
    name: 'an instance missing from _cat/nodes blocks',
    predicate: P.everyExpectedNodePresent,
    subject: () => ({ step: 'surge' }),
    edit: (es, w) => ({ ...es, nodes: es.nodes.filter((n) => n.name !== data(w, 1)) }),
    expect: 'block',
    reason: /has not joined/,
  },
  {
    name: 'fewer live instances than desired blocks',
    predicate: P.everyExpectedNodePresent,
    subject: () => ({ step: 'surge' }),
    world: (w) => (w.group('data-asg').desired = 4),
    expect: 'block',
    reason: /3 live instances, desired 4/,
  },
  // previous-replacement-complete
  {
    name: 'no leftovers passes',
    predicate: P.previousReplacementComplete,
    subject: () => ({ step: 'surge' }),
    expect: 'pass',
  },
  {
    name: 'a leftover exclusion blocks',
    predicate: P.previousReplacementComplete,
    subject: () => ({ step: 'surge' }),
    edit: (es, w) => ({ ...es, allocationExcludeNames: [data(w, 2)] }),
    expect: 'block',
    reason: /allocation exclusion still set/,
  },
  {
    name: "an operator's own exclusion (not an instance id) does not block",
    predicate: P.previousReplacementComplete,
    subject: () => ({ step: 'surge' }),
    edit: (es) => ({ ...es, allocationExcludeNames: ['hot-node-7'] }),
    expect: 'pass',
  },
  {
    name: 'a terminating instance still in the cluster blocks',
    predicate: P.previousReplacementComplete,
    subject: () => ({ step: 'surge' }),
    world: (w) => (w.group('data-asg').instances[0]!.state = 'Terminating'),
    expect: 'block',
    reason: /still a cluster member/,
  },
  {
    name: 'a leftover voting exclusion blocks',
    predicate: P.previousReplacementComplete,
    subject: () => ({ step: 'surge' }),
    edit: (es) => ({ ...es, votingExclusions: ['i-0000dead'] }),
    expect: 'block',
    reason: /voting config exclusion/,
  },
  // joined-with-target-version
  {
    name: 'no new node yet is not applicable',
    predicate: P.joinedWithTargetVersion,
    subject: () => ({ step: 'surge' }),
    expect: 'not-applicable',
  },
  {
    name: 'a new node with the target version passes',
    predicate: P.joinedWithTargetVersion,
    subject: () => ({ step: 'exclude' }),
    world: (w) => (w.group('data-asg').instances[0]!.lt = '2'),
    edit: (es, w) => ({ ...es, nodes: es.nodes.map((n) => (n.name === data(w) ? { ...n, version: '8.19.3' } : n)) }),
    expect: 'pass',
  },
  {
    name: 'a new node with another version blocks',
    predicate: P.joinedWithTargetVersion,
    subject: () => ({ step: 'exclude' }),
    world: (w) => (w.group('data-asg').instances[0]!.lt = '2'),
    expect: 'block',
    reason: /runs 8\.18\.2, expected 8\.19\.3/,
  },
  // replicas-fit-remaining-nodes
  {
    name: 'copies that fit the remaining nodes pass',
    predicate: P.replicasFitRemainingNodes,
    subject: (w) => ({ step: 'exclude', node: data(w) }),
    expect: 'pass',
  },
  {
    name: 'a shard with as many copies as data nodes blocks',
    predicate: P.replicasFitRemainingNodes,
    subject: (w) => ({ step: 'exclude', node: data(w) }),
    edit: (es, w) => ({
      ...es,
      shards: [...es.shards, { index: 'logs', shard: 0, primary: false, state: 'STARTED', node: data(w, 2), bytes: 1 }],
    }),
    expect: 'block',
    reason: /3 copies but only 2 data nodes remain/,
  },
  {
    name: 'a master node is not applicable',
    predicate: P.replicasFitRemainingNodes,
    subject: (w) => ({ step: 'exclude', node: w.group('master-asg').instances[0]!.id }),
    expect: 'not-applicable',
  },
  // drain-has-destination
  {
    name: 'every copy has a data node to go to passes',
    predicate: P.drainHasDestination,
    subject: (w) => ({ step: 'exclude', node: data(w) }),
    expect: 'pass',
  },
  {
    name: 'a replica whose primary sits on a newer node than every free data node blocks (node_version)',
    predicate: P.drainHasDestination,
    subject: (w) => ({ step: 'exclude', node: data(w, 0) }),
    edit: (es, w) => ({
      ...es,
      nodes: es.nodes.map((n) => (n.name === data(w, 1) ? { ...n, version: '8.19.3' } : n)),
      shards: [...es.shards, copy('fresh', data(w, 1), true), copy('fresh', data(w, 0))],
    }),
    expect: 'block',
    reason: /\[fresh\]\[0\] replica: every data node without a copy runs a version older than its primary's node/,
  },
  {
    name: 'a primary whose only free data node is older blocks',
    predicate: P.drainHasDestination,
    subject: (w) => ({ step: 'exclude', node: data(w, 0) }),
    edit: (es, w) => ({
      ...es,
      nodes: es.nodes.map((n) => (n.name === data(w, 0) ? { ...n, version: '8.19.3' } : n)),
      shards: [...es.shards, copy('fresh', data(w, 0), true), copy('fresh', data(w, 1))],
    }),
    expect: 'block',
    reason: /primary: every data node without a copy runs a version older than its own node/,
  },
  {
    name: 'a copy every other data node already holds blocks (same_shard)',
    predicate: P.drainHasDestination,
    subject: (w) => ({ step: 'exclude', node: data(w, 0) }),
    edit: (es, w) => ({
      ...es,
      shards: [...es.shards, copy('wide', data(w, 0), true), copy('wide', data(w, 1)), copy('wide', data(w, 2))],
    }),
    expect: 'block',
    reason: /same_shard/,
  },
  {
    name: 'a master node is not applicable',
    predicate: P.drainHasDestination,
    subject: (w) => ({ step: 'exclude', node: w.group('master-asg').instances[0]!.id }),
    expect: 'not-applicable',
  },
  // disk-headroom
  {
    name: 'without disk stats it is not applicable',
    predicate: P.diskHeadroom,
    subject: (w) => ({ step: 'exclude', node: data(w) }),
    expect: 'not-applicable',
  },
  {
    name: 'room under the low watermark passes',
    predicate: P.diskHeadroom,
    subject: (w) => ({ step: 'exclude', node: data(w) }),
    edit: (es) => ({ ...es, nodes: es.nodes.map((n) => ({ ...n, diskUsedBytes: 1000, diskTotalBytes: 10000 })) }),
    expect: 'pass',
  },
  {
    name: 'a projection above the low watermark blocks',
    predicate: P.diskHeadroom,
    subject: (w) => ({ step: 'exclude', node: data(w) }),
    edit: (es) => ({ ...es, nodes: es.nodes.map((n) => ({ ...n, diskUsedBytes: 3000, diskTotalBytes: 3800 })) }),
    expect: 'block',
    reason: /% full after the drain \(low watermark 85\.0 % less 5\.0 % kept for growth\)/,
  },
  {
    name: 'per node, not a cluster average: the copy can only go to the fuller node, which would pass the watermark',
    predicate: P.diskHeadroom,
    subject: (w) => ({ step: 'exclude', node: data(w, 0) }),
    edit: (es, w) => ({
      ...es,
      nodes: es.nodes.map((n) => ({
        ...n,
        diskUsedBytes: n.name === data(w, 1) ? 79_500 : 10_000,
        diskTotalBytes: 100_000,
      })),
      // Its other copy is on the emptier node: same_shard sends it to the fuller one.
      shards: [...es.shards, copy('big', data(w, 0), true), copy('big', data(w, 2))],
    }),
    expect: 'block',
    // The cluster average would be 45.8 %.
    reason: /would be 80\.6 % full after the drain/,
  },
  // one-copy-per-shard-draining
  {
    name: 'a joining node whose shards have no copy on a draining node passes',
    predicate: P.oneCopyPerShardDraining,
    subject: (w) => ({ step: 'exclude', node: data(w, 0), joining: true }),
    edit: (es, w) => ({
      ...es,
      allocationExcludeNames: [data(w, 1)],
      shards: [copy('a', data(w, 0), true), copy('a', data(w, 2)), copy('b', data(w, 1), true), copy('b', data(w, 2))],
    }),
    expect: 'pass',
  },
  {
    name: 'a joining node holding a shard whose other copy is on a draining node blocks',
    predicate: P.oneCopyPerShardDraining,
    subject: (w) => ({ step: 'exclude', node: data(w, 0), joining: true }),
    edit: (es, w) => ({
      ...es,
      allocationExcludeNames: [data(w, 1)],
      shards: [copy('a', data(w, 0), true), copy('a', data(w, 1))],
    }),
    expect: 'block',
    reason: /holds \[a\]\[0\] \(a copy on i-/,
  },
  {
    name: 'a copy relocating off the draining node still counts until it has moved',
    predicate: P.oneCopyPerShardDraining,
    subject: (w) => ({ step: 'exclude', node: data(w, 0), joining: true }),
    edit: (es, w) => ({
      ...es,
      allocationExcludeNames: [data(w, 1)],
      shards: [
        copy('a', data(w, 0), true),
        { ...copy('a', data(w, 1)), state: 'RELOCATING', relocatingTo: data(w, 2) },
      ],
    }),
    expect: 'block',
  },
  {
    name: 'the first drain of a batch (not joining) is not applicable',
    predicate: P.oneCopyPerShardDraining,
    subject: (w) => ({ step: 'exclude', node: data(w, 0) }),
    expect: 'not-applicable',
  },
  // strictly-drained
  {
    name: 'a node still holding shards blocks',
    predicate: P.strictlyDrained,
    subject: (w) => ({ step: 'terminate', node: data(w) }),
    expect: 'block',
    reason: /still holds 2 shard copies/,
  },
  {
    name: 'an empty node in a quiet green cluster passes',
    predicate: P.strictlyDrained,
    subject: (w) => ({ step: 'terminate', node: data(w) }),
    edit: (es, w) => ({ ...es, shards: es.shards.filter((s) => s.node !== data(w)) }),
    expect: 'pass',
  },
  {
    name: 'a relocation target counts as holding a shard',
    predicate: P.strictlyDrained,
    subject: (w) => ({ step: 'terminate', node: data(w, 2) }),
    edit: (es, w) => ({
      ...es,
      shards: es.shards
        .filter((s) => s.node !== data(w, 2))
        .map((s, i) => (i === 0 ? { ...s, state: 'RELOCATING' as const, relocatingTo: data(w, 2) } : s)),
    }),
    expect: 'block',
  },
  {
    name: 'an empty node with an unexplained unassigned shard elsewhere blocks',
    predicate: P.strictlyDrained,
    subject: (w) => ({ step: 'terminate', node: data(w, 2) }),
    edit: (es, w) => {
      const y = yellow('no', [])(es, w);
      return { ...y, shards: y.shards.filter((s) => s.node !== data(w, 2)) };
    },
    expect: 'block',
    reason: /without a version explanation/,
  },
  // no-last-copy-on-node
  {
    name: 'a node whose shards all have started copies elsewhere passes',
    predicate: P.noLastCopyOnNode,
    subject: (w) => ({ step: 'terminate', node: data(w) }),
    expect: 'pass',
  },
  {
    name: 'does not terminate a node holding the last started copy of a shard',
    predicate: P.noLastCopyOnNode,
    subject: (w) => ({ step: 'terminate', node: data(w) }),
    edit: (es, w) => ({
      ...es,
      shards: es.shards.map((s) =>
        s.index === 'logs' && s.shard === 0 && s.node !== data(w) ? { ...s, state: 'INITIALIZING' as const } : s,
      ),
    }),
    expect: 'block',
    reason: /last started copy of \[logs\]\[0\]/,
  },
  // all-masters-healthy
  {
    name: 'a data step is not applicable',
    predicate: P.allMastersHealthy,
    subject: () => ({ step: 'surge' }),
    expect: 'not-applicable',
  },
  {
    name: 'a master step with all masters passes',
    predicate: P.allMastersHealthy,
    subject: () => ({ step: 'surge', group: { role: 'master' } as never }),
    expect: 'pass',
  },
  {
    name: 'a master step without an elected master blocks',
    predicate: P.allMastersHealthy,
    subject: () => ({ step: 'surge', group: { role: 'master' } as never }),
    edit: (es) => ({ ...es, electedMaster: undefined }),
    expect: 'block',
    reason: /no elected master/,
  },
  {
    name: 'a master step with a master missing blocks (never two masters out)',
    predicate: P.allMastersHealthy,
    subject: () => ({ step: 'surge', group: { role: 'master' } as never }),
    edit: (es, w) => ({ ...es, nodes: es.nodes.filter((n) => n.name !== w.group('master-asg').instances[2]!.id) }),
    expect: 'block',
  },
  // data-nodes-first
  {
    name: 'masters wait while data nodes are outdated',
    predicate: P.dataNodesFirst,
    subject: () => ({ step: 'surge', group: { role: 'master' } as never }),
    expect: 'block',
    reason: /3 data node\(s\) still outdated/,
  },
  {
    name: 'masters may go once data nodes are done',
    predicate: P.dataNodesFirst,
    subject: () => ({ step: 'surge', group: { role: 'master' } as never }),
    world: (w) => w.group('data-asg').instances.forEach((i) => (i.lt = '2')),
    expect: 'pass',
  },
  {
    name: 'a data step is not applicable for the order rule',
    predicate: P.dataNodesFirst,
    subject: () => ({ step: 'surge', group: { role: 'data' } as never }),
    expect: 'not-applicable',
  },
  // voting-exclusions-below-limit
  {
    name: 'below ten exclusions passes',
    predicate: P.votingExclusionsBelowLimit,
    subject: () => ({ step: 'voting-exclusion' }),
    expect: 'pass',
  },
  {
    name: 'ten exclusions block',
    predicate: P.votingExclusionsBelowLimit,
    subject: () => ({ step: 'voting-exclusion' }),
    edit: (es) => ({ ...es, votingExclusions: Array.from({ length: 10 }, (_, i) => `n${i}`) }),
    expect: 'block',
    reason: /limit 10/,
  },
  {
    name: 'another step is not applicable',
    predicate: P.votingExclusionsBelowLimit,
    subject: () => ({ step: 'terminate' }),
    expect: 'not-applicable',
  },
  // not-elected-master
  {
    name: 'the elected master is not terminated',
    predicate: P.notElectedMaster,
    subject: (w) => ({ step: 'terminate', node: w.electedMaster }),
    expect: 'block',
    reason: /still the elected master/,
  },
  {
    name: 'another master may be terminated',
    predicate: P.notElectedMaster,
    subject: (w) => ({ step: 'terminate', node: w.group('master-asg').instances[1]!.id }),
    expect: 'pass',
  },
  {
    name: 'a data node is not applicable',
    predicate: P.notElectedMaster,
    subject: (w) => ({ step: 'terminate', node: data(w) }),
    expect: 'not-applicable',
  },
  // no-foreign-exclusions
  {
    name: "an operator's exclusion of a live node blocks before the rollout begins",
    predicate: P.noForeignExclusions,
    subject: () => ({ step: 'start' }),
    edit: (es, w) => ({ ...es, allocationExcludeNames: [data(w, 1)] }),
    expect: 'block',
    reason: /did not exclude/,
  },
  {
    name: 'a voting exclusion the rollout did not write blocks',
    predicate: P.noForeignExclusions,
    subject: () => ({ step: 'start' }),
    edit: (es) => ({ ...es, votingExclusions: ['i-0000dead'] }),
    expect: 'block',
    reason: /did not write/,
  },
  {
    name: 'an exclusion naming no live node (a tier name, a gone node) passes',
    predicate: P.noForeignExclusions,
    subject: () => ({ step: 'start' }),
    edit: (es) => ({ ...es, allocationExcludeNames: ['hot-node-7', 'i-0000dead'] }),
    expect: 'pass',
  },
  {
    name: "the rollout's own recorded exclusion is not foreign",
    predicate: P.noForeignExclusions,
    subject: () => ({ step: 'exclude' }),
    world: (w) => {
      for (const g of w.groups)
        g.tags = { 'elk-cdk:rollout': 'r1', 'elk-cdk:rollout-excluded': w.group('data-asg').instances[1]!.id };
    },
    edit: (es, w) => ({ ...es, allocationExcludeNames: [data(w, 1)] }),
    expect: 'pass',
  },
  // out-of-voting-configuration
  {
    name: 'a master still in the last committed voting configuration is not terminated',
    predicate: P.outOfVotingConfiguration,
    subject: (w) => ({ step: 'terminate', node: w.group('master-asg').instances[1]!.id }),
    edit: (es, w) => ({
      ...es,
      votingExclusions: [w.group('master-asg').instances[1]!.id],
      lastCommittedConfig: w.group('master-asg').instances.map((i) => `id-${i.id}`),
    }),
    expect: 'block',
    reason: /still in the last committed voting configuration/,
  },
  {
    name: 'a master the cluster has reconfigured without may be terminated',
    predicate: P.outOfVotingConfiguration,
    subject: (w) => ({ step: 'terminate', node: w.group('master-asg').instances[1]!.id }),
    edit: (es, w) => ({
      ...es,
      lastCommittedConfig: w
        .group('master-asg')
        .instances.filter((_, k) => k !== 1)
        .map((i) => `id-${i.id}`),
    }),
    expect: 'pass',
  },
  {
    name: 'a data node is not applicable to the voting configuration',
    predicate: P.outOfVotingConfiguration,
    subject: (w) => ({ step: 'terminate', node: data(w) }),
    expect: 'not-applicable',
  },
  // surge-capacity-available
  {
    name: 'room for one more passes',
    predicate: P.surgeCapacityAvailable,
    subject: () => ({ step: 'surge', group: { baseline: 3, target: 3, group: { maxSize: 4, name: 'd' } } as never }),
    expect: 'pass',
  },
  {
    name: 'a planned scale-in first: room above the count is enough',
    predicate: P.surgeCapacityAvailable,
    subject: () => ({ step: 'start', group: { baseline: 4, target: 3, group: { maxSize: 4, name: 'd' } } as never }),
    expect: 'pass',
  },
  {
    name: 'MaxSize at the baseline blocks',
    predicate: P.surgeCapacityAvailable,
    subject: () => ({ step: 'surge', group: { baseline: 3, target: 3, group: { maxSize: 3, name: 'd' } } as never }),
    expect: 'block',
    reason: /MaxSize 3/,
  },
  {
    name: 'without a group it is not applicable',
    predicate: P.surgeCapacityAvailable,
    subject: () => ({ step: 'surge' }),
    expect: 'not-applicable',
  },
  // version-path-allowed
  {
    name: 'a minor upgrade passes',
    predicate: P.versionPathAllowed,
    subject: () => ({ step: 'start' }),
    expect: 'pass',
  },
  {
    name: 'a downgrade blocks',
    predicate: P.versionPathAllowed,
    subject: () => ({ step: 'start' }),
    targetVersion: '8.17.0',
    expect: 'block',
    reason: /downgrade/,
  },
];

describe('safety predicates', () => {
  test.each(rows.map((r) => [`${r.predicate.name}: ${r.name}`, r] as const))('%s', async (_n, row) => {
    const w = new FakeWorld();
    row.world?.(w);
    const ctx = await ctxOf(
      w,
      (es) => (row.edit ? row.edit(es, w) : es),
      spec({ targetVersion: row.targetVersion ?? '8.19.3' }),
    );
    let subject = row.subject(w);
    if (subject.group && (subject.group as { role?: string }).role === 'master' && !subject.group.group) {
      subject = { ...subject, group: await masterGroup(w) };
    }
    const r = row.predicate.evaluate(ctx, subject);
    expect(r.status).toBe(row.expect);
    if (row.reason && r.status !== 'pass') expect(r.reason).toMatch(row.reason);
  });

  test('every predicate has a pass, a block and (where it applies to fewer steps) a not-applicable row', () => {
    for (const p of P.PREDICATES) {
      const mine = rows.filter((r) => r.predicate === p).map((r) => r.expect);
      expect({ name: p.name, pass: mine.includes('pass') }).toEqual({ name: p.name, pass: true });
      expect({ name: p.name, block: mine.includes('block') }).toEqual({ name: p.name, block: true });
    }
  });

  test('predicate names are unique and catalogued with why and source', () => {
    const all = [...P.PREDICATES, ...P.DECISION_RULES];
    expect(new Set(all.map((p) => p.name)).size).toBe(all.length);
    for (const p of all) expect(p.why.length * p.source.length * p.checks.length).toBeGreaterThan(0);
  });
});

describe('predicate catalogue', () => {
  test("the README's catalogue has one row per predicate, by name", () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    for (const p of [...P.PREDICATES, ...P.DECISION_RULES]) {
      expect({ name: p.name, row: doc.includes(`| \`${p.name}\` |`) }).toEqual({ name: p.name, row: true });
    }
  });
});
