/**
 * Worlds for gate tests: an observation taken from the fake world at the moment decide() is about to take a given
 * step (surge, exclude, voting exclusion, terminate, ...), and small pure edits of it, so that a test can build a
 * world in which exactly one safety gate blocks that step.
 */
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

export const withoutNode = (world: World, name: string): World =>
  withEs(world, (es) => ({ ...es, nodes: es.nodes.filter((n) => n.name !== name) }));

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
