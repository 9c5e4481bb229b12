/**
 * decide() obeys every gate of every step: for each (step, gate) a world taken from a roll at the moment decide() is
 * about to take that step, edited so that exactly that gate blocks. decide() must then hold (or fail) and name the
 * gate; the unedited world must go ahead. Gates that decide() can never reach (another check always blocks first)
 * are listed in MASKED with the reason, and tested through runGates where the gate list itself is the safety net.
 */
import type { Ctx } from '../../lambda/rolling-replacement/core/context';
import { GATES, runGates, type StepKind, type Subject } from '../../lambda/rolling-replacement/core/predicates';
import type { Decision, RolloutSpec, ShardCopy } from '../../lambda/rolling-replacement/core/types';
import {
  type Reached,
  type World,
  ctxIn,
  decideIn,
  ids,
  STAGE_ACTION,
  type Stage,
  isAction,
  reach,
  stage,
  started,
  withDisk,
  withEs,
  withExtraNode,
  withGroup,
  withHealth,
  withInstance,
  withNode,
  withOwnedExclusions,
  withOwnedVoting,
  withShards,
  withoutNode,
  dataNodes,
} from './gate-worlds';
import { spec } from './helpers';
import { TAG } from '../../lambda/rolling-replacement/core/tags';

type Base = 'start' | 'dataSurge' | 'masterSurge' | 'exclude' | 'voting' | 'dataTerminate' | 'masterTerminate';

const BASE_ACTION: Record<Base, [string, string | undefined]> = {
  start: ['begin', undefined],
  dataSurge: ['surge', 'data-asg'],
  masterSurge: ['surge', 'master-asg'],
  exclude: ['exclude', undefined],
  voting: ['voting-exclusion', undefined],
  dataTerminate: ['terminate', 'data-asg'],
  masterTerminate: ['terminate', 'master-asg'],
};
const STEP: Record<Base, StepKind> = {
  start: 'start',
  dataSurge: 'surge',
  masterSurge: 'surge',
  exclude: 'exclude',
  voting: 'voting-exclusion',
  dataTerminate: 'terminate',
  masterTerminate: 'terminate',
};

/**
 * The world of a base step, built inside each test (not in beforeAll): mutation testing attributes the code a test
 * runs to that test, so every test that relies on the base world also checks decide() there.
 */
function base(b: Base): Promise<Reached> {
  return stage(b === 'start' ? 'idle' : b);
}

/** The node a step acts on (its action's node or instance). */
const nodeOf = (d: Decision): string | undefined =>
  'node' in d.action ? d.action.node : 'instanceId' in d.action ? d.action.instanceId : undefined;

function subjectOf(b: Base, ctx: Ctx, d: Decision): Subject {
  const step = STEP[b];
  if (b === 'start') return { step };
  const g = ['masterSurge', 'voting', 'masterTerminate'].includes(b) ? ctx.master : ctx.data;
  const node = nodeOf(d);
  return node ? { step, group: g, node } : { step, group: g };
}

// ---- world edits shared by the cases

/** A replica of logs[0] is unassigned and Elasticsearch is still allocating it (throttled): yellow. */
const yellowAllocating = (w: World): World =>
  withEs(w, (es) => ({
    ...es,
    health: { ...es.health, status: 'yellow', unassignedShards: 1 },
    shards: es.shards.map((s): ShardCopy =>
      s.index === 'logs' && s.shard === 0 && !s.primary
        ? { index: s.index, shard: s.shard, primary: false, state: 'UNASSIGNED', bytes: s.bytes }
        : s,
    ),
    explanations: [{ index: 'logs', shard: 0, primary: false, canAllocate: 'throttled', nodeDecisions: [] }],
  }));

/** The primary of logs[0] is unassigned and no copy is left: red. */
const redPrimary = (w: World): World =>
  withEs(w, (es) => ({
    ...es,
    health: { ...es.health, status: 'red', unassignedShards: 2 },
    shards: es.shards.map((s): ShardCopy =>
      s.index === 'logs' && s.shard === 0
        ? { index: s.index, shard: s.shard, primary: s.primary, state: 'UNASSIGNED', bytes: s.bytes }
        : s,
    ),
  }));

/** A replica refused by the disk_threshold decider on every node: yellow for a real reason. */
const yellowRefused = (w: World): World => {
  const y = yellowAllocating(w);
  const nodes = y.es.nodes.filter((n) => n.roles.includes('data')).map((n) => n.name);
  return withEs(y, (es) => ({
    ...es,
    explanations: [
      {
        index: 'logs',
        shard: 0,
        primary: false,
        canAllocate: 'no',
        nodeDecisions: nodes.map((nodeName) => ({ nodeName, decision: 'no', noDeciders: ['disk_threshold'] })),
      },
    ],
  }));
};

const master = (w: World, i: number) => ids(w, 'master-asg')[i]!;
const dataId = (w: World, i: number) => ids(w, 'data-asg')[i]!;
/** A master that was terminated and is no longer in the group's description, but is still a cluster member. */
const GONE = 'i-0000dead';
const leftoverVotingExclusion = (w: World): World =>
  withOwnedVoting(withExtraNode(w, { name: GONE, id: 'id-gone', version: '8.18.2', roles: ['master'] }), [GONE]);
/** An instance launched from the target template that came up with the old version. */
const oldVersionOnTarget = (w: World, id: string): World =>
  withNode(withInstance(w, id, { launchTemplateVersion: '2' }), id, { version: '8.18.2' });

interface Case {
  readonly name: string;
  readonly base: Base;
  readonly gate: string;
  readonly edit: (w: World, node: string | undefined) => World;
  readonly spec?: Partial<RolloutSpec>;
  /** Action decide() takes when the gate blocks (default: wait). */
  readonly action?: string;
  /** Later gates of the same step that block too in this world (the gate must still be the one reported). */
  readonly alsoBlocks?: readonly string[];
}

const CASES: readonly Case[] = [
  // ---- start (no rollout yet)
  {
    name: 'refuses to begin a downgrade, changing nothing',
    base: 'start',
    gate: 'version-path-allowed',
    edit: (w) => w,
    spec: { targetVersion: '8.17.0' },
    action: 'done',
  },
  {
    name: 'refuses to begin while an allocation exclusion it did not write names a live node, changing nothing',
    base: 'start',
    gate: 'no-foreign-exclusions',
    edit: (w) => withEs(w, (es) => ({ ...es, allocationExcludeNames: [dataId(w, 1)] })),
    action: 'done',
  },
  {
    name: 'refuses to begin while a voting exclusion it did not write exists, changing nothing',
    base: 'start',
    gate: 'no-foreign-exclusions',
    edit: (w) => withEs(w, (es) => ({ ...es, votingExclusions: [master(w, 1)] })),
    action: 'done',
  },
  {
    name: 'does not surge while someone else excludes a live data node',
    base: 'dataSurge',
    gate: 'no-foreign-exclusions',
    edit: (w) => withEs(w, (es) => ({ ...es, allocationExcludeNames: [dataId(w, 1)] })),
  },
  {
    name: 'does not start a drain while someone else excludes another live data node',
    base: 'exclude',
    gate: 'no-foreign-exclusions',
    edit: (w, node) =>
      withEs(w, (es) => ({ ...es, allocationExcludeNames: [ids(w, 'data-asg').find((id) => id !== node)!] })),
  },
  {
    name: 'does not voting-exclude a master while a voting exclusion it did not write exists',
    base: 'voting',
    gate: 'no-foreign-exclusions',
    edit: (w, node) =>
      withEs(w, (es) => ({ ...es, votingExclusions: [ids(w, 'master-asg').find((id) => id !== node)!] })),
  },
  {
    name: 'refuses to begin on a red cluster, changing nothing',
    base: 'start',
    gate: 'cluster-green-or-version-yellow',
    edit: redPrimary,
    action: 'done',
  },
  {
    name: 'refuses to begin while a replica is refused for a reason other than its version',
    base: 'start',
    gate: 'cluster-green-or-version-yellow',
    edit: yellowRefused,
    action: 'done',
  },
  {
    name: 'waits to begin while a replica is still being allocated',
    base: 'start',
    gate: 'cluster-green-or-version-yellow',
    edit: yellowAllocating,
  },
  {
    name: 'waits to begin while shards initialize',
    base: 'start',
    gate: 'no-shard-activity',
    edit: (w) => withHealth(w, { initializingShards: 1 }),
  },
  {
    name: 'waits to begin while a data node is missing from the cluster',
    base: 'start',
    gate: 'every-expected-node-present',
    edit: (w) => withoutNode(w, dataId(w, 1)),
  },
  // ---- surge of a data node
  {
    name: 'does not surge while the cluster is red',
    base: 'dataSurge',
    gate: 'cluster-green-or-version-yellow',
    edit: redPrimary,
  },
  {
    name: 'does not surge while a replica is unassigned',
    base: 'dataSurge',
    gate: 'cluster-green-or-version-yellow',
    edit: yellowAllocating,
  },
  {
    name: 'does not surge while shards relocate',
    base: 'dataSurge',
    gate: 'no-shard-activity',
    edit: (w) => withHealth(w, { relocatingShards: 1 }),
  },
  {
    name: 'does not surge while a master is missing from the cluster',
    base: 'dataSurge',
    gate: 'every-expected-node-present',
    edit: (w) => withoutNode(w, master(w, 2)),
  },
  {
    name: 'does not surge while an allocation exclusion of ours is left on another node',
    base: 'dataSurge',
    gate: 'previous-replacement-complete',
    edit: (w) => withOwnedExclusions(w, [master(w, 1)]),
  },
  {
    name: 'does not surge while an earlier voting exclusion is left',
    base: 'dataSurge',
    gate: 'previous-replacement-complete',
    edit: leftoverVotingExclusion,
  },
  {
    name: 'does not surge while an instance of the target template runs another version',
    base: 'dataSurge',
    gate: 'joined-with-target-version',
    edit: (w) => oldVersionOnTarget(w, master(w, 1)),
  },
  {
    name: 'does not surge a data group whose MaxSize leaves no room',
    base: 'dataSurge',
    gate: 'surge-capacity-available',
    edit: (w) => withGroup(w, 'data-asg', (g) => ({ ...g, maxSize: g.desiredCapacity })),
  },
  // ---- surge of a master
  {
    name: 'does not surge a master while no master is elected',
    base: 'masterSurge',
    gate: 'all-masters-healthy',
    edit: (w) => withEs(w, (es) => ({ ...es, electedMaster: undefined })),
  },
  {
    name: 'does not surge a master group whose MaxSize leaves no room',
    base: 'masterSurge',
    gate: 'surge-capacity-available',
    edit: (w) => withGroup(w, 'master-asg', (g) => ({ ...g, maxSize: g.desiredCapacity })),
  },
  {
    name: 'does not surge a master while shards initialize',
    base: 'masterSurge',
    gate: 'no-shard-activity',
    edit: (w) => withHealth(w, { initializingShards: 2 }),
  },
  // ---- exclude (drain) a data node
  {
    name: 'does not start a drain while a replica is unassigned',
    base: 'exclude',
    gate: 'cluster-green-or-version-yellow',
    edit: yellowAllocating,
  },
  {
    name: 'does not start a drain while shards initialize',
    base: 'exclude',
    gate: 'no-shard-activity',
    edit: (w) => withHealth(w, { initializingShards: 1 }),
  },
  {
    name: 'does not start a drain while a master is missing from the cluster',
    base: 'exclude',
    gate: 'every-expected-node-present',
    edit: (w) => withoutNode(w, master(w, 0)),
  },
  {
    name: 'does not start a drain while an earlier voting exclusion is left',
    base: 'exclude',
    gate: 'previous-replacement-complete',
    edit: leftoverVotingExclusion,
  },
  {
    name: 'does not start a drain while an instance of the target template runs another version',
    base: 'exclude',
    gate: 'joined-with-target-version',
    edit: (w) => oldVersionOnTarget(w, master(w, 1)),
  },
  {
    name: 'does not start a drain that could never finish (more copies than remaining data nodes)',
    base: 'exclude',
    gate: 'replicas-fit-remaining-nodes',
    edit: (w, node) => {
      const others = ids(w, 'data-asg').filter((id) => id !== node);
      return withShards(w, [started('wide', 0, node!, true), ...others.map((n) => started('wide', 0, n))]);
    },
    // Seen by the layout too: every other data node holds a copy (same_shard).
    alsoBlocks: ['drain-has-destination'],
  },
  {
    name: 'does not start a drain that could never finish (a replica whose primary is on the only new node)',
    base: 'exclude',
    gate: 'drain-has-destination',
    edit: (w) => {
      // Every old data node holds a replica whose primary sits on the new node: node_version refuses the other old
      // nodes, same_shard the new one.
      const fresh = dataNodes(w).find((n) => w.es.nodes.find((x) => x.name === n)?.version === '8.19.3')!;
      const old = dataNodes(w).filter((n) => n !== fresh);
      return withShards(
        w,
        old.flatMap((n, k) => [started('fresh', k, fresh, true), started('fresh', k, n)]),
      );
    },
  },
  {
    name: 'does not start a drain that would push the other data nodes past the low watermark',
    base: 'exclude',
    gate: 'disk-headroom',
    edit: (w) => withDisk(w, 3000, 3800),
  },
  // ---- voting exclusion of a master
  {
    name: 'does not voting-exclude a master while a replica is unassigned',
    base: 'voting',
    gate: 'cluster-green-or-version-yellow',
    edit: yellowAllocating,
  },
  {
    name: 'does not voting-exclude a master while shards relocate',
    base: 'voting',
    gate: 'no-shard-activity',
    edit: (w) => withHealth(w, { relocatingShards: 3 }),
  },
  {
    name: 'does not voting-exclude a master while a data node is missing from the cluster',
    base: 'voting',
    gate: 'every-expected-node-present',
    edit: (w) => withoutNode(w, dataId(w, 0)),
  },
  {
    name: 'does not voting-exclude a master while an earlier voting exclusion is left',
    base: 'voting',
    gate: 'previous-replacement-complete',
    edit: leftoverVotingExclusion,
  },
  {
    name: 'does not voting-exclude a master while a data node of the target template runs another version',
    base: 'voting',
    gate: 'joined-with-target-version',
    edit: (w) => withNode(w, dataId(w, 0), { version: '8.18.2' }),
  },
  {
    name: 'does not voting-exclude a master while no master is elected',
    base: 'voting',
    gate: 'all-masters-healthy',
    edit: (w) => withEs(w, (es) => ({ ...es, electedMaster: undefined })),
  },
  {
    name: 'does not voting-exclude a master past cluster.max_voting_config_exclusions',
    base: 'voting',
    gate: 'voting-exclusions-below-limit',
    edit: (w) => w,
    spec: { options: { ...spec().options, maxVotingExclusions: 0 } },
  },
  // ---- terminate a drained data node
  {
    name: 'does not terminate a data node that still holds a copy',
    base: 'dataTerminate',
    gate: 'strictly-drained',
    edit: (w, node) => withShards(w, [started('logs', 1, node!)]),
    action: 'wait-for-drain',
  },
  {
    name: 'does not terminate a drained data node while shards initialize',
    base: 'dataTerminate',
    gate: 'strictly-drained',
    edit: (w) => withHealth(w, { initializingShards: 1 }),
    action: 'wait-for-drain',
    alsoBlocks: ['no-shard-activity'],
  },
  {
    name: 'does not terminate a drained data node while the cluster is red',
    base: 'dataTerminate',
    gate: 'cluster-green-or-version-yellow',
    edit: (w) => withHealth(w, { status: 'red' }),
  },
  {
    name: 'does not terminate a drained data node while the cluster is yellow and no unassigned shard is listed yet',
    base: 'dataTerminate',
    gate: 'cluster-green-or-version-yellow',
    edit: (w) => withHealth(w, { status: 'yellow', unassignedShards: 1 }),
  },
  {
    name: 'does not terminate a drained data node while a master is missing from the cluster',
    base: 'dataTerminate',
    gate: 'every-expected-node-present',
    edit: (w) => withoutNode(w, master(w, 1)),
  },
  // ---- terminate a voting-excluded master
  {
    name: 'does not terminate a master while a replica is unassigned',
    base: 'masterTerminate',
    gate: 'strictly-drained',
    edit: yellowAllocating,
    alsoBlocks: ['cluster-green-or-version-yellow'],
  },
  {
    name: 'does not terminate a master while the cluster is yellow and no unassigned shard is listed yet',
    base: 'masterTerminate',
    gate: 'cluster-green-or-version-yellow',
    edit: (w) => withHealth(w, { status: 'yellow', unassignedShards: 1 }),
  },
  {
    name: 'does not terminate a master while a data node is missing from the cluster',
    base: 'masterTerminate',
    gate: 'every-expected-node-present',
    edit: (w) => withoutNode(w, dataId(w, 2)),
  },
  {
    name: 'does not terminate a master while no master is elected',
    base: 'masterTerminate',
    gate: 'all-masters-healthy',
    edit: (w) => withEs(w, (es) => ({ ...es, electedMaster: undefined })),
    alsoBlocks: ['not-elected-master'],
  },
  {
    name: 'does not terminate a master while another master is missing from the cluster',
    base: 'masterTerminate',
    gate: 'every-expected-node-present',
    edit: (w, node) =>
      withoutNode(
        w,
        ids(w, 'master-asg').find((id) => id !== node && id !== w.es.electedMaster)!,
      ),
    alsoBlocks: ['all-masters-healthy'],
  },
  {
    name: 'does not terminate a master while its id is still in the last committed voting configuration',
    base: 'masterTerminate',
    gate: 'out-of-voting-configuration',
    edit: (w) =>
      withEs(w, (es) => ({
        ...es,
        lastCommittedConfig: es.nodes.filter((n) => n.roles.includes('master')).map((n) => n.id),
      })),
  },
  {
    name: 'does not terminate the elected master before it has abdicated',
    base: 'masterTerminate',
    gate: 'not-elected-master',
    edit: (w, node) => withEs(w, (es) => ({ ...es, electedMaster: node })),
  },
];

/**
 * Gates that decide() never reaches in a step: another check always blocks first. Removing them from the list
 * changes no decision today; they stay as defence in depth (see the README's mutation-testing section).
 */
const MASKED: Readonly<Record<string, string>> = {
  'surge/version-path-allowed': 'decide() marks the roll failed on a bad version path before any step',
  'surge/data-nodes-first': 'decide() steps the data group first and only reaches the masters with no data work left',
  'terminate/no-last-copy-on-node': 'strictly-drained blocks first whenever the node holds any copy',
  'terminate/no-shard-activity': 'strictly-drained includes the shard-activity check and runs first',
};

describe('decide() obeys every gate of every step', () => {
  test.each(Object.keys(BASE_ACTION) as Base[])('the unedited %s world goes ahead', async (b) => {
    const r = await base(b);
    const [type, g] = BASE_ACTION[b];
    expect(isAction(type, g)(r.decision)).toBe(true);
    expect(r.decision.blockedBy).toBeUndefined();
  });

  test.each(CASES.map((c) => [`${c.base}: ${c.name}`, c] as const))('%s', async (_n, c) => {
    const start = await base(c.base);
    const s = spec(c.spec);
    const world = c.edit(start.world, nodeOf(start.decision));
    const d = decideIn(world, s);
    expect({ action: d.action.type, blockedBy: d.blockedBy }).toEqual({
      action: c.action ?? 'wait',
      blockedBy: c.gate,
    });
    // Exactly this gate (and the listed later ones) blocks the step in this world.
    const ctx = ctxIn(world, s);
    const subject = subjectOf(c.base, ctx, start.decision);
    const blocking = GATES[subject.step].filter((p) => p.evaluate(ctx, subject).status === 'block').map((p) => p.name);
    expect(blocking).toEqual([c.gate, ...(c.alsoBlocks ?? [])]);
  });

  test('every gate of every step has a decide() case or is listed as masked, with the reason', () => {
    for (const [step, gates] of Object.entries(GATES)) {
      for (const p of gates) {
        const covered = CASES.some((c) => STEP[c.base] === step && c.gate === p.name) || `${step}/${p.name}` in MASKED;
        expect({ step, gate: p.name, covered }).toEqual({ step, gate: p.name, covered: true });
      }
    }
  });
});

describe('gates decide() never reaches still hold in the gate list', () => {
  test('a bad version path blocks a surge', async () => {
    const w = await base('dataSurge');
    const s = spec({ targetVersion: '8.17.0' });
    const ctx = ctxIn(w.world, s);
    expect(runGates(ctx, { step: 'surge', group: ctx.data })?.blockedBy).toBe('version-path-allowed');
    // decide() itself fails the roll instead.
    expect(decideIn(w.world, s).action.type).toBe('mark-failed');
  });

  test('a master surge is blocked while data nodes are outdated', async () => {
    const w = await base('dataSurge');
    const ctx = ctxIn(w.world);
    expect(runGates(ctx, { step: 'surge', group: ctx.master })?.blockedBy).toBe('data-nodes-first');
  });

  test('a master surge is blocked while the data group still has its surge instance', async () => {
    const w = await base('masterSurge');
    const world = withGroup(w.world, 'data-asg', (g) => ({ ...g, desiredCapacity: g.desiredCapacity + 1 }));
    const ctx = ctxIn(world);
    expect(runGates(ctx, { step: 'surge', group: ctx.master })?.blockedBy).toBe('data-nodes-first');
  });
});

describe('capacity before a termination', () => {
  test('a drained data node is terminated with a decrement when the group desires its surge instance', async () => {
    const w = await base('dataTerminate');
    const d = decideIn(w.world);
    expect(d.action).toMatchObject({ type: 'terminate', decrement: true });
  });

  test('someone lowered the desired capacity below the running instances (all protected, so Auto Scaling removed none): the drained node goes without a decrement', async () => {
    const w = await base('dataTerminate');
    const world = withGroup(w.world, 'data-asg', (g) => ({ ...g, desiredCapacity: 3 }));
    const d = decideIn(world);
    expect(d.action).toMatchObject({ type: 'terminate', decrement: false });
  });

  test('a voting-excluded master: the same without a decrement when the desired capacity was lowered', async () => {
    const w = await base('masterTerminate');
    const world = withGroup(w.world, 'master-asg', (g) => ({ ...g, desiredCapacity: 3 }));
    expect(decideIn(w.world).action).toMatchObject({ type: 'terminate', decrement: true });
    expect(decideIn(world).action).toMatchObject({ type: 'terminate', decrement: false });
  });

  test('does not terminate a drained data node when the group has no surge instance', async () => {
    const w = await base('dataTerminate');
    // The surge instance is gone (and not desired): only the baseline runs.
    const surge = w.world.fleet.find((g) => g.name === 'data-asg')!.instances.at(-1)!.instanceId;
    const world = withGroup(w.world, 'data-asg', (g) => ({
      ...g,
      desiredCapacity: 3,
      instances: g.instances.filter((i) => i.instanceId !== surge),
    }));
    const d = decideIn(world);
    expect(d.action.type).not.toBe('terminate');
  });

  test('someone else raised the capacity above one surge instance: the roll adopts it as its baseline (no wait forever)', async () => {
    const w = await base('exclude');
    const world = withGroup(w.world, 'data-asg', (g) => ({ ...g, desiredCapacity: 5 }));
    const d = decideIn(world);
    expect({ action: d.action, blockedBy: d.blockedBy }).toEqual({
      action: { type: 'raise-baseline', group: 'data-asg', baseline: 4 },
      blockedBy: 'capacity-as-expected',
    });
    // With the baseline raised, the roll goes on where it was.
    const raised = withGroup(world, 'data-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.capacity]: '4' } }));
    expect(decideIn(raised).action.type).not.toBe('raise-baseline');
  });

  test('a deploy raised MinSize above the baseline mid-roll: the baseline follows, so no terminate with a decrement breaks MinSize', async () => {
    const w = await base('dataTerminate');
    const world = withGroup(w.world, 'data-asg', (g) => ({ ...g, minSize: 4 }));
    expect(decideIn(world).action).toEqual({ type: 'raise-baseline', group: 'data-asg', baseline: 4 });
    // Unraised MinSize: the terminate goes ahead.
    expect(decideIn(w.world).action.type).toBe('terminate');
  });

  test('capacity within the surge limit and MinSize at the baseline: nothing is raised', async () => {
    const w = await base('dataTerminate');
    const world = withGroup(w.world, 'data-asg', (g) => ({ ...g, minSize: 3 }));
    expect(decideIn(world).action.type).toBe('terminate');
  });

  test('capacity below the baseline still waits (never raises or lowers it)', async () => {
    const w = await base('exclude');
    const surge = ids(w.world, 'data-asg').at(-1)!;
    const world = withGroup(w.world, 'data-asg', (g) => ({
      ...g,
      desiredCapacity: 2,
      instances: g.instances.filter((i) => i.instanceId !== surge).slice(1),
    }));
    expect(decideIn(world)).toMatchObject({ action: { type: 'wait' }, blockedBy: 'capacity-as-expected' });
  });
});

describe('the built stages are the ones a roll passes through', () => {
  /** What decide() reads of a world, without the clock-dependent surge mark. */
  const summary = (w: World) => ({
    groups: w.fleet.map((g) => ({
      name: g.name,
      desired: g.desiredCapacity,
      instances: g.instances.map((i) => `${i.instanceId}:${i.launchTemplateVersion}:${i.lifecycleState}`),
      suspended: g.suspendedProcesses,
      tags: Object.keys(g.tags).sort(),
    })),
    nodes: w.es.nodes.map((n) => `${n.name}:${n.version}`).sort(),
    shards: w.es.shards.map((x) => `${x.index}/${x.shard}/${x.primary}@${x.node}`),
    electedMaster: w.es.electedMaster,
    exclude: w.es.allocationExcludeNames,
    voting: w.es.votingExclusions,
    rebalance: w.es.rebalanceEnable,
  });

  test.each(Object.keys(STAGE_ACTION) as Stage[])('%s', async (name) => {
    const [type, g] = STAGE_ACTION[name];
    // The cleanup's set-rebalance (back to unset), not the setup's.
    const rolled = await reach(
      (d) => isAction(type, g)(d) && (name !== 'complete' || !('value' in d.action && d.action.value)),
    );
    const built = await stage(name);
    expect(summary(built.world)).toEqual(summary(rolled.world));
    expect(built.decision.action).toEqual({
      ...rolled.decision.action,
      ...('surgeAt' in rolled.decision.action ? { surgeAt: 0 } : {}),
    });
  });
});
