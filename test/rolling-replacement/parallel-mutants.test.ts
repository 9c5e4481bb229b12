/**
 * The rules of parallel drains (core/parallel.ts) on worlds built directly, so a broken rule fails here in
 * milliseconds (mutation testing) and not only in the whole rolls of parallel-drain.test.ts: how far above the
 * baseline a group may go, how many instances one surge adds when Auto Scaling places them, which outdated node
 * joins the running drains, and what counts as a shard shared with a drain.
 */
import {
  nextBatchMember,
  sharedDrainingShard,
  surgeLimit,
  surgeSize,
} from '../../lambda/rolling-replacement/core/parallel';
import type { FleetInstance } from '../../lambda/rolling-replacement/core/fleet-port';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { DEFAULT_OPTIONS, type RolloutSpec, type ShardCopy } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';
import { type World, ctxIn, snapshot, started, withEs, withGroup, withOwnedExclusions } from './gate-worlds';
import { spec } from './helpers';

const A = 'eu-west-1a';
const B = 'eu-west-1b';
const C = 'eu-west-1c';
const opts = (o: Partial<RolloutSpec['options']>): RolloutSpec => spec({ options: { ...DEFAULT_OPTIONS, ...o } });

/** Locked world, `data` data nodes round-robin over three zones, every one outdated unless listed in `fresh`. */
async function world(data: number, fresh: readonly number[] = [], placement?: string[]): Promise<World> {
  const w = new FakeWorld({ data, zones: [A, B, C], ...(placement ? { placement: { data: placement } } : {}) });
  for (const g of w.groups) {
    g.tags = { [TAG.rollout]: 'r1', [TAG.capacity]: String(g.desired), [TAG.suspended]: 'AZRebalance' };
    if (g.role === 'data') g.tags[TAG.excluded] = '-';
  }
  const snap = await snapshot(w);
  const ids = snap.fleet.find((g) => g.name === 'data-asg')!.instances.map((i) => i.instanceId);
  return withGroup(snap, 'data-asg', (g) => ({
    ...g,
    instances: g.instances.map((i) =>
      fresh.includes(ids.indexOf(i.instanceId)) ? { ...i, launchTemplateVersion: '2' } : i,
    ),
  }));
}

/** The data group with new (target-version) instances added, one per zone listed, and the desired capacity raised. */
function surged(w: World, zones: readonly string[]): World {
  return withGroup(w, 'data-asg', (g) => ({
    ...g,
    desiredCapacity: g.desiredCapacity + zones.length,
    instances: [
      ...g.instances,
      ...zones.map((z, n): FleetInstance => ({
        instanceId: `i-new${n}`,
        lifecycleState: 'InService',
        healthStatus: 'Healthy',
        launchTemplateVersion: '2',
        availabilityZone: z,
        protectedFromScaleIn: true,
      })),
    ],
  }));
}

/** The world with exactly these shard copies (gate-worlds' withShards adds to the fake world's own). */
const withShards = (w: World, shards: readonly ShardCopy[]): World =>
  withEs(w, (es) => ({ ...es, shards: [...shards] }));

const dataIds = (w: World) => w.fleet.find((g) => g.name === 'data-asg')!.instances.map((i) => i.instanceId);
const zoneOf = (w: World, id: string) =>
  w.fleet.find((g) => g.name === 'data-asg')!.instances.find((i) => i.instanceId === id)!.availabilityZone;

describe('surgeLimit', () => {
  test('maxSurge for the data group, one for the masters', async () => {
    const c = ctxIn(await world(6), opts({ maxSurge: 4 }));
    expect(surgeLimit(c, c.data)).toBe(4);
    expect(surgeLimit(c, c.master)).toBe(1);
  });
});

describe('surgeSize with Auto Scaling placing', () => {
  test('a multiple of the zone count, within the outdated nodes of each zone', async () => {
    // 2/2/2 live; one outdated node per zone: maxSurge 6 would allow 2 per zone, the outdated nodes allow 1.
    const w = await world(6, [3, 4, 5]);
    const c = ctxIn(w, opts({ maxSurge: 6 }));
    expect(surgeSize(c, c.data)).toBe(3);
    const all = ctxIn(await world(6), opts({ maxSurge: 6 }));
    expect(surgeSize(all, all.data)).toBe(6);
  });

  test('one when the zones hold different numbers of instances (Auto Scaling would fill the emptiest first)', async () => {
    const c = ctxIn(await world(7), opts({ maxSurge: 3 }));
    expect(surgeSize(c, c.data)).toBe(1);
    const even = ctxIn(await world(6), opts({ maxSurge: 3 }));
    expect(surgeSize(even, even.data)).toBe(3);
  });

  test('one, never zero, when maxSurge is below the zone count', async () => {
    const c = ctxIn(await world(6), opts({ maxSurge: 2 }));
    expect(surgeSize(c, c.data)).toBe(1);
  });
});

describe('nextBatchMember', () => {
  test('never for the masters', async () => {
    const w = withGroup(await world(6), 'master-asg', (g) => ({ ...g, desiredCapacity: g.desiredCapacity + 1 }));
    const c = ctxIn(w, opts({ maxSurge: 2 }));
    expect(nextBatchMember(c, c.master, [])).toBeUndefined();
  });

  test('from the zone with the most instances not draining; among equals the one with fewer bytes', async () => {
    // 2/2/2 outdated + one new per zone: 3/3/3. The first node of zone a drains: a has 2 not draining, b and c 3.
    let w = surged(await world(6), [A, B, C]);
    const ids = dataIds(w);
    const [a1, b1, c1, a2, b2, c2] = ids;
    // No shard shared between nodes; a2 would be the smallest, then c2, b1, c1, b2.
    const sizes: Record<string, number> = { [a1!]: 50, [a2!]: 1, [b1!]: 30, [b2!]: 40, [c1!]: 31, [c2!]: 20 };
    w = withShards(
      w,
      Object.entries(sizes).map(([n, bytes], k): ShardCopy => started(`ix${k}`, 0, n, true, bytes)),
    );
    w = withOwnedExclusions(w, [a1!]);
    const c = ctxIn(w, opts({ maxSurge: 3 }));
    const next = nextBatchMember(c, c.data, [a1!]);
    // Zones b and c are fullest (3 not draining): the smallest there is c2 (20 bytes), not a2 (zone a, 2 left).
    expect(next).toEqual({ node: c2, zone: C });
    expect(zoneOf(w, c2!)).toBe(C);
  });

  test('a node that shares no shard with the running drains goes before one that does', async () => {
    let w = surged(await world(6), [A, B, C]);
    const [a1, b1, c1, a2, b2, c2] = dataIds(w);
    // b1 and c1 are fullest-zone candidates; the smaller, c1, shares [shared][0] with the draining a1.
    w = withShards(w, [
      started('shared', 0, a1!, true, 10),
      started('shared', 0, c1!, false, 10),
      started('b', 0, b1!, true, 30),
      started('x', 0, a2!, true, 5),
      started('y', 0, b2!, true, 90),
      started('z', 0, c2!, true, 90),
    ]);
    w = withOwnedExclusions(w, [a1!]);
    const c = ctxIn(w, opts({ maxSurge: 3 }));
    expect(nextBatchMember(c, c.data, [a1!])).toEqual({ node: b1, zone: B });
  });

  test('among nodes free to join, the one sharing shards with the most outdated nodes left goes first', async () => {
    let w = surged(await world(6), [A, B, C]);
    const [a1, b1, c1, a2, b2, c2] = dataIds(w);
    // b1 (30 bytes) shares shards with b2 and c2; c1 (10 bytes) with none: b1 first despite its size.
    w = withShards(w, [
      started('own', 0, a1!, true, 10),
      started('p', 0, b1!, true, 10),
      started('p', 0, b2!, false, 10),
      started('q', 0, b1!, true, 20),
      started('q', 0, c2!, false, 20),
      started('r', 0, c1!, true, 10),
      started('s', 0, a2!, true, 5),
    ]);
    w = withOwnedExclusions(w, [a1!]);
    const c = ctxIn(w, opts({ maxSurge: 3 }));
    expect(nextBatchMember(c, c.data, [a1!])).toEqual({ node: b1, zone: B });
  });

  test('only a member of the cluster: an outdated instance that has not joined is never picked', async () => {
    let w = surged(await world(6), [A, B, C]);
    const [a1, b1, c1, a2, b2, c2] = dataIds(w);
    w = withShards(w, [
      started('a', 0, a1!, true, 10),
      started('b', 0, b1!, true, 30),
      started('c', 0, c1!, true, 40),
      started('d', 0, a2!, true, 5),
      started('e', 0, b2!, true, 50),
    ]);
    // c2 (no bytes at all, so it would sort first) has left the cluster.
    w = withEs(w, (es) => ({ ...es, nodes: es.nodes.filter((n) => n.name !== c2) }));
    w = withOwnedExclusions(w, [a1!]);
    const c = ctxIn(w, opts({ maxSurge: 3 }));
    expect(nextBatchMember(c, c.data, [a1!])).toEqual({ node: b1, zone: B });
  });

  test('no slot free: undefined', async () => {
    const w = withOwnedExclusions(surged(await world(6), [A]), [dataIds(await world(6))[0]!]);
    const c = ctxIn(w, opts({ maxSurge: 3 }));
    expect(nextBatchMember(c, c.data, [dataIds(w)[0]!])).toBeUndefined();
  });
});

describe('sharedDrainingShard', () => {
  test('a copy on a draining node, or one relocating onto it, is shared; a finished relocation is not', async () => {
    const base = await world(6);
    const [a1, b1, c1] = dataIds(base);
    const relocating: ShardCopy = { ...started('m', 0, b1!, true, 10), state: 'RELOCATING', relocatingTo: a1! };
    let w = withOwnedExclusions(withShards(base, [relocating, started('m', 0, c1!, false, 10)]), [a1!]);
    expect(sharedDrainingShard(ctxIn(w), c1!)).toBe(`[m][0] (a copy on ${b1})`);
    // The copy now sits on b1, not moving: nothing of c1 is on a draining node.
    w = withOwnedExclusions(withShards(base, [started('m', 0, b1!, true), started('m', 0, c1!)]), [a1!]);
    expect(sharedDrainingShard(ctxIn(w), c1!)).toBeUndefined();
    // A copy relocating between two nodes that stay is not on a draining node either.
    const elsewhere: ShardCopy = {
      ...started('m', 0, b1!, true, 10),
      state: 'RELOCATING',
      relocatingTo: dataIds(base)[5]!,
    };
    w = withOwnedExclusions(withShards(base, [elsewhere, started('m', 0, c1!)]), [a1!]);
    expect(sharedDrainingShard(ctxIn(w), c1!)).toBeUndefined();
    // On the draining node itself.
    w = withOwnedExclusions(withShards(base, [started('m', 0, a1!, true), started('m', 0, c1!)]), [a1!]);
    expect(sharedDrainingShard(ctxIn(w), c1!)).toBe(`[m][0] (a copy on ${a1})`);
  });
});
