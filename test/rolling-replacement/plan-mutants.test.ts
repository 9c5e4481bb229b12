/**
 * `roll status` and `roll plan` as an operator reads them (issue 21: plan.ts's mutants that only the whole-roll
 * plan-deploy-wait file checked): the numbers of the estimate on small built plans (a maxSurge batch as long as its
 * largest node, the average data node of a planned scale-in, GiB and MiB/s), the order of the data nodes (the draining
 * one first, then the smallest), each step of a handoff and of a planned scale-in, and the surge's wording.
 */
import { type EstimateModel, plan, progress } from '../../lambda/rolling-replacement/core/plan';
import type { Observed, RolloutSpec, ShardCopy } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';
import { type World, snapshot, stage, started, withEs, withNode, withOwnedExclusions, withShards } from './gate-worlds';
import { spec } from './helpers';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const model: EstimateModel = { recoveryBytesPerSecond: 100, joinSeconds: 60, pollSeconds: 10 };
/** 100 MiB/s: a recovery rate for worlds whose copies are GiB-sized. */
const fast: EstimateModel = { ...model, recoveryBytesPerSecond: 100 * MiB };
const observed = (w: World): Observed => ({ es: w.es, fleet: w.fleet, now: w.now });
const id = (n: number) => `i-${n.toString(16).padStart(8, '0')}`;

function progressOf(w: World, s: RolloutSpec = spec(), m: EstimateModel = model) {
  const p = progress(observed(w), s, m);
  if ('unknown' in p) throw new Error(p.unknown);
  return p;
}
function planOf(w: World, s: RolloutSpec = spec(), m: EstimateModel = model) {
  const p = plan(observed(w), s, m);
  if ('unknown' in p) throw new Error(p.unknown);
  return p;
}
/** Every copy `factor` times as large. */
const scaled = (w: World, factor: number): World =>
  withEs(w, (es) => ({ ...es, shards: es.shards.map((s) => ({ ...s, bytes: s.bytes * factor })) }));
/** The data group's volumes outlive their instances and allocation is unrestricted: handoff where safe. */
const ownVolumes = (w: World): World => ({
  ...w,
  es: { ...w.es, allocationEnable: null },
  fleet: w.fleet.map((g) => (g.role === 'data' ? { ...g, volumesOutliveInstances: true } : g)),
});
const copy = (index: string, shard: number, node: string, primary: boolean, bytes: number): ShardCopy => ({
  ...started(index, shard, node, primary),
  bytes,
});
const only = (steps: ReturnType<typeof planOf>, action: string) => steps.filter((x) => x.action === action);

/**
 * 4 data nodes, maxSurge 2, holding (in instance order) 4000, 2000, 3000, 2000 B: the batches are the two smallest
 * nodes, then the two largest, each batch as long as its largest node.
 */
async function unevenBatches() {
  const s = spec({ options: { ...spec().options, maxSurge: 2 } });
  const base = await snapshot(new FakeWorld({ data: 4, shards: 4 }), 0, s);
  const w = withShards(base, [
    copy('big', 0, id(1), true, 1000),
    copy('big', 0, id(3), false, 1000),
    copy('big', 1, id(1), true, 1000),
  ]);
  return { s, w };
}

describe('roll status: the estimate and the draining percentage', () => {
  test('a maxSurge batch takes as long as its largest node, the smallest nodes batched first', async () => {
    const { s, w } = await unevenBatches();
    const p = progressOf(w, s);
    expect(p.nodes.filter((n) => n.role === 'data').map((n) => n.bytes)).toEqual([4000, 2000, 3000, 2000]);
    const perNode = (bytes: number) => bytes / 100 + 60 + 3 * 10;
    // Batches [2000, 2000] and [3000, 4000]; masters 3 × (60 + 30). Not [4000, 2000] + [3000, 2000] (instance
    // order), nor each batch as long as its smallest node.
    expect(p.etaSeconds).toBe(perNode(2000) + perNode(4000) + 3 * 90);
  });

  test('counts nodes with data tier roles (data_hot, data_content) beside other roles as data nodes', async () => {
    // Half of i-1's data has moved to i-7: 1000 of the average 2000 B left (6000 B over the 3 data nodes not excluded).
    let w = withEs(withOwnedExclusions((await stage('exclude')).world, [id(1)]), (es) => ({
      ...es,
      shards: es.shards.map((s) => (s.shard === 0 && s.primary ? { ...s, node: id(7) } : s)),
    }));
    for (const n of [1, 2, 3, 7]) w = withNode(w, id(n), { roles: ['data_content', 'data_hot', 'ingest'] });
    expect(progressOf(w).nodes.find((x) => x.instanceId === id(1))).toMatchObject({ drainingPercent: 50 });
  });

  test('does not show a draining percentage while no data node holds any byte', async () => {
    const w = withEs(withOwnedExclusions((await stage('exclude')).world, [id(1)]), (es) => ({ ...es, shards: [] }));
    const n = progressOf(w).nodes.find((x) => x.instanceId === id(1))!;
    expect(n.excluded).toBe(true);
    expect('drainingPercent' in n).toBe(false);
  });
});

describe('roll plan: maxSurge batches', () => {
  test('the plan waits for one batch of 2 at a time and says so', async () => {
    const { s, w } = await unevenBatches();
    const steps = planOf(w, s);
    expect(only(steps, 'surge').map((x) => x.detail)).toEqual([
      'desired capacity + 2 (drain instead of handoff: the data volumes of data-asg die with their instances)',
      'desired capacity + 2 (drain instead of handoff: the data volumes of data-asg die with their instances)',
      'desired capacity + 1',
      'desired capacity + 1',
      'desired capacity + 1',
    ]);
    expect(only(steps, 'wait-for-join').map((x) => x.detail)).toEqual([
      '2 new nodes join with the target version',
      '2 new nodes join with the target version',
      'new master-eligible node joins',
      'new master-eligible node joins',
      'new master-eligible node joins',
    ]);
    // i-2 and i-4 (2000 B each) side by side, then i-3 (3000 B) beside i-1 (4000 B), which times the batch.
    expect(only(steps, 'wait-for-drain').map((x) => [x.node, x.seconds])).toEqual([
      [id(2), 0],
      [id(4), 20],
      [id(3), 0],
      [id(1), 40],
    ]);
  });
});

describe('roll plan: the order of the data nodes and the steps of a handoff', () => {
  /** Handoff for every data node; in instance order they hold 3500, 2500, 3000 B. */
  async function handoffWorld() {
    return ownVolumes(
      withShards((await stage('dataSurge')).world, [
        copy('big', 0, id(1), true, 1000),
        copy('big', 0, id(3), false, 1000),
        copy('big', 1, id(1), true, 500),
        copy('big', 1, id(2), false, 500),
      ]),
    );
  }

  test('hands off the smallest data node first, each in four steps with their times', async () => {
    const w = await handoffWorld();
    const p = progressOf(w);
    expect(p.nodes.filter((n) => n.role === 'data').map((n) => [n.bytes, n.method])).toEqual([
      [3500, 'handoff'],
      [2500, 'handoff'],
      [3000, 'handoff'],
    ]);
    const steps = planOf(w);
    const why = 'its volume moves to the replacement, which replays only what changed';
    const handoff = (n: number) => [
      { action: 'handoff-begin', node: id(n), detail: `${why}; allocation: primaries`, seconds: 0 },
      {
        action: 'handoff-stop',
        node: id(n),
        detail: 'stop Elasticsearch, detach the volume, terminate without decrement',
        seconds: 0,
      },
      {
        action: 'wait-for-join',
        detail: 'the replacement attaches the volume and joins with the target version',
        seconds: 60,
      },
      {
        action: 'handoff-rejoined',
        node: id(n),
        detail: 'allocation enabled; replicas replay what changed',
        seconds: 40,
      },
    ];
    expect(steps.slice(1, 13)).toEqual([...handoff(2), ...handoff(3), ...handoff(1)]);
  });

  test('drains the node already excluded before handing off the others', async () => {
    const w = withOwnedExclusions(await handoffWorld(), [id(3)]);
    const nodes = planOf(w)
      .filter((x) => ['wait-for-drain', 'handoff-begin'].includes(x.action))
      .map((x) => `${x.action} ${x.node}`);
    expect(nodes).toEqual([`wait-for-drain ${id(3)}`, `handoff-begin ${id(2)}`, `handoff-begin ${id(1)}`]);
  });

  test('a drain says how many GiB at how many MiB/s, and how long', async () => {
    // Each copy 1 GiB: every data node holds 2 GiB, 20.48 s at 100 MiB/s.
    const steps = planOf(scaled((await stage('dataSurge')).world, GiB / 1000), spec(), fast);
    expect(steps.filter((x) => x.action === 'wait-for-drain').map((x) => [x.detail, x.seconds])).toEqual([
      ['2.0 GiB at 100 MiB/s', 20],
      ['2.0 GiB at 100 MiB/s', 20],
      ['2.0 GiB at 100 MiB/s', 20],
    ]);
  });

  test('with rollout.method drain, the surge gives no drain-instead reason and one new node joins', async () => {
    const s = spec({ options: { ...spec().options, method: 'drain' } });
    const steps = planOf((await stage('dataSurge', s)).world, s);
    expect(only(steps, 'surge').map((x) => x.detail)).toEqual(Array(6).fill('desired capacity + 1'));
    expect(
      only(steps, 'wait-for-join')
        .slice(0, 3)
        .map((x) => x.detail),
    ).toEqual(Array(3).fill('new node joins with the target version'));
  });
});

describe('roll plan: a planned scale-in, step by step', () => {
  /** 4 data nodes and 5 masters at the target version, counts 3 and 3; each copy 3 GiB (6 GiB per data node). */
  async function scaleIn() {
    const s = spec({ counts: { data: 3, master: 3 } });
    const w = scaled(
      await snapshot(new FakeWorld({ data: 4, masters: 5, lt: '2', shards: 4 }), 0, s),
      (3 * GiB) / 1000,
    );
    return { s, w };
  }

  test('each node that leaves: the count it goes from and to, the drain of an average data node, the terminate', async () => {
    const { s, w } = await scaleIn();
    const steps = planOf(w, s, fast);
    const scale = (from: number, count = 3) =>
      `planned scale-in ${from} → ${from - 1} (count ${count}): one node leaves through the drain`;
    const voting = { action: 'voting-exclusion', detail: 'a master other than the elected one', seconds: 0 };
    const terminate = { action: 'terminate', detail: 'with ShouldDecrementDesiredCapacity', seconds: 10 };
    expect(steps.slice(1)).toEqual([
      { action: 'scale-in', node: 'data-asg', detail: scale(4), seconds: 0 },
      // 6 GiB at 100 MiB/s: 61.44 s.
      { action: 'wait-for-drain', detail: 'about 6.0 GiB (an average data node)', seconds: 61 },
      terminate,
      { action: 'scale-in', node: 'master-asg', detail: scale(5), seconds: 0 },
      voting,
      terminate,
      { action: 'scale-in', node: 'master-asg', detail: scale(4), seconds: 0 },
      voting,
      terminate,
      {
        action: 'cleanup',
        detail: 'restore cluster.routing.rebalance.enable, resume suspended processes, release the lock',
        seconds: 0,
      },
    ]);
  });

  test('does not count the copies of a master-eligible node in the average data node', async () => {
    const { s, w } = await scaleIn();
    const master = w.fleet.find((g) => g.role === 'master')!.instances[1]!.instanceId;
    const withMasterCopy = withShards(withNode(w, master, { roles: ['master', 'data'] }), [
      copy('meta', 0, master, true, 8 * GiB),
    ]);
    const drain = planOf(withMasterCopy, s, fast).find((x) => x.action === 'wait-for-drain')!;
    expect([drain.detail, drain.seconds]).toEqual(['about 6.0 GiB (an average data node)', 61]);
  });
});
