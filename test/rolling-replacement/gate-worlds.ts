/**
 * Worlds for gate tests: an observation taken from the fake world at the moment decide() is about to take a given
 * step (surge, exclude, voting exclusion, terminate, ...), and small pure edits of it, so that a test can build a
 * world in which exactly one safety gate blocks that step.
 */
import { formatMissing } from '../../lambda/rolling-replacement/core/node-health';
import { buildContext, type Ctx } from '../../lambda/rolling-replacement/core/context';
import { decide } from '../../lambda/rolling-replacement/core/decide';
import type { FleetGroup, FleetInstance } from '../../lambda/rolling-replacement/core/fleet-port';
import type {
  ClusterHealthView,
  Decision,
  EsNodeView,
  EsView,
  RolloutSpec,
  ShardCopy,
} from '../../lambda/rolling-replacement/core/types';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { isUnknown } from '../../lambda/rolling-replacement/core/types';
import { reconcile } from '../../lambda/rolling-replacement/reconcile';
import { FakeWorld, type FakeWorldOptions } from './fake-world';
import { spec as defaultSpec } from './helpers';

/** One known observation: what decide() reads. */
export interface World {
  readonly es: EsView;
  readonly fleet: readonly FleetGroup[];
  readonly now: number;
}

export async function snapshot(w: FakeWorld, now = 0, s: RolloutSpec = defaultSpec()): Promise<World> {
  const es = await w.observe();
  if (isUnknown(es)) throw new Error('the fake world is down');
  return { es, fleet: await w.describeGroups([s.groups.data, s.groups.master]), now };
}

export interface Reached {
  readonly world: World;
  /** What decide() does in `world`. */
  readonly decision: Decision;
}

/**
 * Runs a roll over a fake world until decide() would take an action matching `match` (that action is not executed).
 */
export async function reach(
  match: (d: Decision) => boolean,
  options: FakeWorldOptions = {},
  s: RolloutSpec = defaultSpec(),
  edit?: (w: FakeWorld) => void,
): Promise<Reached> {
  const w = new FakeWorld(options);
  edit?.(w);
  for (let step = 0; step < 300; step++) {
    const world = await snapshot(w, step * 30, s);
    const decision = decideIn(world, s);
    if (match(decision)) return { world, decision };
    const r = await reconcile({ es: w, fleet: w, spec: s, now: step * 30, log: () => undefined });
    if (r.outcome) break;
    w.tick();
  }
  throw new Error('the roll never reached the wanted step');
}

/** Stages of a default roll (3 data, 3 masters, one index of 3 shards with a replica each, one zone). */
export type Stage =
  | 'idle'
  | 'dataSurge'
  | 'waitJoin'
  | 'exclude'
  | 'dataTerminate'
  | 'masterSurge'
  | 'voting'
  | 'masterTerminate'
  | 'complete';

/** The decision decide() takes at each stage, as [action type, group]. */
export const STAGE_ACTION: Readonly<Record<Stage, readonly [string, string | undefined]>> = {
  idle: ['begin', undefined],
  dataSurge: ['surge', 'data-asg'],
  waitJoin: ['wait-for-join', 'data-asg'],
  exclude: ['exclude', undefined],
  dataTerminate: ['terminate', 'data-asg'],
  masterSurge: ['surge', 'master-asg'],
  voting: ['voting-exclusion', undefined],
  masterTerminate: ['terminate', 'master-asg'],
  complete: ['set-rebalance', undefined],
};

const hex = (n: number) => `i-${n.toString(16).padStart(8, '0')}`;

function addInstance(w: FakeWorld, name: string, n: number, joined: boolean): void {
  const g = w.group(name);
  g.instances.push({ id: hex(n), lt: '2', state: joined ? 'InService' : 'Pending', az: 'eu-west-1a' });
  if (joined) w.joined.set(hex(n), { version: '8.19.3', roles: [g.role] });
}

/**
 * The fake world at a stage of a default roll, built directly (no roll is run, so a test that uses it runs decide()
 * only on its own world). "the built stages are the ones a roll passes through" checks them against reach().
 */
export function stageWorld(stage: Stage): FakeWorld {
  const w = new FakeWorld();
  if (stage === 'idle') return w;
  for (const g of w.groups) {
    g.tags = {
      [TAG.rollout]: 'r1',
      [TAG.capacity]: '3',
      [TAG.suspended]: 'AZRebalance',
      ...(g.role === 'data' ? { [TAG.rebalance]: '-', [TAG.excluded]: '-' } : { [TAG.voting]: '-' }),
    };
    g.suspended = ['AZRebalance'];
  }
  w.rebalance = 'none';
  const data = w.group('data-asg');
  const masters = w.group('master-asg');
  if (stage === 'dataSurge') return w;
  if (['waitJoin', 'exclude', 'dataTerminate'].includes(stage)) {
    data.desired = 4;
    data.tags[TAG.surgeAt] = '150';
    addInstance(w, 'data-asg', 7, stage !== 'waitJoin');
    // The join-wait mark stays until every instance of the group has joined.
    if (stage === 'waitJoin') data.tags[TAG.joinWait] = '150';
    if (stage === 'dataTerminate') {
      // The drain moved copies: its progress record says so (stall.ts).
      data.tags[TAG.drainProgress] = 'moving';
      w.exclude = [hex(1)];
      data.tags[TAG.excluded] = hex(1);
      for (const s of w.shards) if (s.node === hex(1)) s.node = hex(7);
    }
    return w;
  }
  // Every data node replaced: i-1..3 by i-7..9, the shards with them.
  data.tags[TAG.surgeAt] = '630';
  data.tags[TAG.drainProgress] = 'moving';
  data.instances = [];
  for (let k = 1; k <= 3; k++) {
    w.joined.delete(hex(k));
    addInstance(w, 'data-asg', k + 6, true);
    for (const s of w.shards) if (s.node === hex(k)) s.node = hex(k + 6);
  }
  if (stage === 'masterSurge') return w;
  if (stage === 'complete') {
    // Every master replaced too (i-4..6 by i-10..12); cleanup starts by restoring the rebalance setting.
    masters.tags[TAG.surgeAt] = '870';
    masters.instances = [];
    for (let k = 4; k <= 6; k++) {
      w.joined.delete(hex(k));
      addInstance(w, 'master-asg', k + 6, true);
    }
    w.electedMaster = hex(10);
    return w;
  }
  masters.desired = 4;
  masters.tags[TAG.surgeAt] = '690';
  addInstance(w, 'master-asg', 10, true);
  if (stage === 'masterTerminate') {
    w.voting = [hex(5)];
    masters.tags[TAG.voting] = hex(5);
  }
  return w;
}

/** A stage's world as decide() observes it, and decide()'s decision there. */
export async function stage(name: Stage, s: RolloutSpec = defaultSpec()): Promise<Reached> {
  const world = await snapshot(stageWorld(name), 0, s);
  return { world, decision: decideIn(world, s) };
}

export const isAction =
  (type: string, group?: string) =>
  (d: Decision): boolean =>
    d.action.type === type && (group === undefined || ('group' in d.action && d.action.group === group));

export function decideIn(world: World, s: RolloutSpec = defaultSpec()): Decision {
  return decide({ es: world.es, fleet: world.fleet, now: world.now }, s);
}

export function ctxIn(world: World, s: RolloutSpec = defaultSpec()): Ctx {
  const c = buildContext(s, world.es, world.fleet, world.now);
  if ('missing' in c) throw new Error(`missing ${c.missing}`);
  return c;
}

// ---- edits (each returns a new world)

export const withEs = (world: World, f: (es: EsView) => EsView): World => ({ ...world, es: f(world.es) });

export const withHealth = (world: World, patch: Partial<ClusterHealthView>): World =>
  withEs(world, (es) => ({ ...es, health: { ...es.health, ...patch } }));

export const withGroup = (world: World, name: string, f: (g: FleetGroup) => FleetGroup): World => ({
  ...world,
  fleet: world.fleet.map((g) => (g.name === name ? f(g) : g)),
});

export const withInstance = (world: World, id: string, patch: Partial<FleetInstance>): World => ({
  ...world,
  fleet: world.fleet.map((g) => ({
    ...g,
    instances: g.instances.map((i) => (i.instanceId === id ? { ...i, ...patch } : i)),
  })),
});

export const withNode = (world: World, name: string, patch: Partial<EsNodeView>): World =>
  withEs(world, (es) => ({ ...es, nodes: es.nodes.map((n) => (n.name === name ? { ...n, ...patch } : n)) }));

/**
 * The node has left the cluster while its instance stays InService and Healthy, a moment ago: the node health clock
 * (tag elk-cdk:node-missing, node-health.ts) already runs, so decide() waits on the roll's gates (a first sight would
 * be the clock's write, and past rollout.nodeDownMinutes the instance is marked Unhealthy).
 */
export const withoutNode = (world: World, name: string): World => {
  const left = withEs(world, (es) => ({ ...es, nodes: es.nodes.filter((n) => n.name !== name) }));
  return {
    ...left,
    fleet: left.fleet.map((g) =>
      g.instances.some((i) => i.instanceId === name)
        ? { ...g, tags: { ...g.tags, [TAG.nodeMissing]: formatMissing(new Map([[name, world.now]])) } }
        : g,
    ),
  };
};

export const withExtraNode = (world: World, node: EsNodeView): World =>
  withEs(world, (es) => ({ ...es, nodes: [...es.nodes, node] }));

export const withShards = (world: World, shards: readonly ShardCopy[]): World =>
  withEs(world, (es) => ({ ...es, shards: [...es.shards, ...shards] }));

export const withDisk = (world: World, used: number, total: number): World =>
  withEs(world, (es) => ({
    ...es,
    nodes: es.nodes.map((n) => ({ ...n, diskUsedBytes: used, diskTotalBytes: total })),
  }));

export const group = (world: World, name: string): FleetGroup => {
  const g = world.fleet.find((x) => x.name === name);
  if (!g) throw new Error(`no group ${name}`);
  return g;
};

export const ids = (world: World, name: string): string[] => group(world, name).instances.map((i) => i.instanceId);

/** Data-role node names of the world. */
export const dataNodes = (world: World): string[] =>
  world.es.nodes.filter((n) => n.roles.includes('data')).map((n) => n.name);

export const started = (index: string, shard: number, node: string, primary = false, bytes = 10): ShardCopy => ({
  index,
  shard,
  primary,
  state: 'STARTED',
  node,
  bytes,
});

/** The world with these allocation exclusions written by the rollout (in Elasticsearch and in its record tag). */
export const withOwnedExclusions = (world: World, names: readonly string[]): World =>
  withGroup(
    withEs(world, (es) => ({ ...es, allocationExcludeNames: [...names] })),
    'data-asg',
    (g) => ({ ...g, tags: { ...g.tags, [TAG.excluded]: names.join(',') || '-' } }),
  );

/** The world with these voting exclusions written by the rollout (in Elasticsearch and in its record tag). */
export const withOwnedVoting = (world: World, names: readonly string[]): World =>
  withGroup(
    withEs(world, (es) => ({ ...es, votingExclusions: [...names] })),
    'master-asg',
    (g) => ({ ...g, tags: { ...g.tags, [TAG.voting]: names.join(',') || '-' } }),
  );
