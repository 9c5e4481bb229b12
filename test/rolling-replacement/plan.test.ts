/**
 * What `elkctl roll status` and `roll plan` print, from one observation: per-node progress, the estimate, and the
 * steps left in order (data nodes first, the draining one first, then the smallest; masters last, the elected one at
 * the very end).
 */
import { type EstimateModel, plan, progress } from '../../lambda/rolling-replacement/core/plan';
import type { Observed } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';
import { type Stage, type World, snapshot, stage, withEs, withInstance, withOwnedExclusions } from './gate-worlds';
import { spec } from './helpers';

const model: EstimateModel = { recoveryBytesPerSecond: 100, joinSeconds: 60, pollSeconds: 10 };
const observed = (w: World): Observed => ({ es: w.es, fleet: w.fleet, now: w.now });
const at = async (s: Stage) => (await stage(s)).world;

function progressOf(w: World) {
  const p = progress(observed(w), spec(), model);
  if ('unknown' in p) throw new Error(p.unknown);
  return p;
}
function planOf(w: World) {
  const p = plan(observed(w), spec(), model);
  if ('unknown' in p) throw new Error(p.unknown);
  return p;
}

describe('progress', () => {
  test('is unknown while Elasticsearch, Auto Scaling or a group is unknown', async () => {
    const w = await at('dataSurge');
    expect(progress({ es: { unknown: 'timeout' }, fleet: w.fleet, now: 0 }, spec(), model)).toEqual({
      unknown: 'Elasticsearch: timeout',
    });
    expect(progress({ es: w.es, fleet: { unknown: 'throttled' }, now: 0 }, spec(), model)).toEqual({
      unknown: 'Auto Scaling: throttled',
    });
    expect(progress({ es: w.es, fleet: w.fleet.slice(1), now: 0 }, spec(), model)).toEqual({
      unknown: 'Auto Scaling group data-asg not found',
    });
    expect(plan({ es: { unknown: 'timeout' }, fleet: w.fleet, now: 0 }, spec(), model)).toEqual({
      unknown: 'Elasticsearch: timeout',
    });
  });

  test('before any replacement: every node outdated, the next step, and the estimate', async () => {
    const p = progressOf(await at('dataSurge'));
    expect({ replaced: p.replaced, total: p.total }).toEqual({ replaced: 0, total: 6 });
    expect(p.next.action.type).toBe('surge');
    // Data: 3 × (2000 B / 100 B/s + 60 s join + 3 × 10 s polls); masters: 3 × (60 + 30).
    expect(p.etaSeconds).toBe(3 * 110 + 3 * 90);
    expect(p.nodes.map((n) => [n.instanceId, n.role, n.outdated, n.shards, n.bytes])).toEqual([
      ['i-00000001', 'data', true, 2, 2000],
      ['i-00000002', 'data', true, 2, 2000],
      ['i-00000003', 'data', true, 2, 2000],
      ['i-00000004', 'master', true, 0, 0],
      ['i-00000005', 'master', true, 0, 0],
      ['i-00000006', 'master', true, 0, 0],
    ]);
    expect(p.nodes.map((n) => n.electedMaster)).toEqual([false, false, false, true, false, false]);
    expect(p.nodes.every((n) => n.version === '8.18.2' && !n.excluded && !n.votingExcluded)).toBe(true);
    expect(p.nodes.some((n) => 'drainingPercent' in n)).toBe(false);
  });

  test('a surge instance that has not joined shows no version', async () => {
    const p = progressOf(await at('waitJoin'));
    const n = p.nodes.find((x) => x.instanceId === 'i-00000007')!;
    expect(n).toMatchObject({ version: '-', outdated: false, lifecycleState: 'Pending', group: 'data-asg' });
  });

  test('a draining node: its percentage against the average data node, and a shorter estimate', async () => {
    // Half of i-1's data has moved: it holds 1000 bytes; the average over the 3 data nodes not excluded is 2000.
    const w = withEs(withOwnedExclusions(await at('exclude'), ['i-00000001']), (es) => ({
      ...es,
      shards: es.shards.map((s) =>
        s.index === 'logs' && s.shard === 0 && s.primary ? { ...s, node: 'i-00000007' } : s,
      ),
    }));
    const p = progressOf(w);
    const n = p.nodes.find((x) => x.instanceId === 'i-00000001')!;
    expect(n).toMatchObject({ excluded: true, shards: 1, bytes: 1000, drainingPercent: 50 });
    expect(p.nodes.filter((x) => 'drainingPercent' in x)).toHaveLength(1);
    // i-1: 1000 B / 100 + one poll; i-2, i-3: 110 each; masters 3 × 90.
    expect(p.etaSeconds).toBe(20 + 2 * 110 + 3 * 90);
  });

  test('the draining percentage stays within 0..100', async () => {
    const w = withEs(withOwnedExclusions(await at('exclude'), ['i-00000001']), (es) => ({
      ...es,
      shards: [
        ...es.shards,
        { index: 'big', shard: 0, primary: true, state: 'STARTED', node: 'i-00000001', bytes: 9000 },
      ],
    }));
    expect(progressOf(w).nodes.find((x) => x.instanceId === 'i-00000001')!.drainingPercent).toBe(0);
  });

  test('counts replaced nodes and marks voting exclusions', async () => {
    const p = progressOf(await at('masterTerminate'));
    expect({ replaced: p.replaced, total: p.total }).toEqual({ replaced: 3, total: 6 });
    expect(p.nodes.filter((n) => n.votingExcluded).map((n) => n.instanceId)).toEqual(['i-00000005']);
    expect(p.etaSeconds).toBe(3 * 90);
  });
});

describe('plan', () => {
  test('data nodes by bytes (the draining one first), then masters with the elected one last, then cleanup', async () => {
    let w = await at('dataTerminate');
    // i-3 holds less than i-2, i-1 is excluded (draining, already empty).
    w = withEs(w, (es) => ({ ...es, shards: es.shards.filter((s) => !(s.node === 'i-00000003' && s.shard === 2)) }));
    const steps = planOf(w);
    expect(steps.map((s) => `${s.action} ${s.node ?? ''}`.trim())).toEqual([
      'now: terminate',
      'wait-for-drain i-00000001',
      'terminate i-00000001',
      'clear-exclusion i-00000001',
      'surge data-asg',
      'wait-for-join',
      'exclude i-00000003',
      'wait-for-drain i-00000003',
      'terminate i-00000003',
      'clear-exclusion i-00000003',
      'surge data-asg',
      'wait-for-join',
      'exclude i-00000002',
      'wait-for-drain i-00000002',
      'terminate i-00000002',
      'clear-exclusion i-00000002',
      'surge master-asg',
      'wait-for-join',
      'voting-exclusion i-00000005',
      'terminate i-00000005',
      'clear-voting-exclusions',
      'surge master-asg',
      'wait-for-join',
      'voting-exclusion i-00000006',
      'terminate i-00000006',
      'clear-voting-exclusions',
      'surge master-asg',
      'wait-for-join',
      'voting-exclusion i-00000004',
      'terminate i-00000004',
      'clear-voting-exclusions',
      'cleanup',
    ]);
    expect(steps.map((s) => s.seconds)).toEqual([
      0, 0, 0, 10, 0, 60, 0, 10, 0, 10, 0, 60, 0, 20, 0, 10, 0, 60, 0, 0, 10, 0, 60, 0, 0, 10, 0, 60, 0, 0, 10, 0,
    ]);
    expect(steps.find((s) => s.node === 'i-00000004' && s.action === 'voting-exclusion')!.detail).toMatch(/elected/);
    expect(steps.find((s) => s.node === 'i-00000005' && s.action === 'voting-exclusion')!.detail).toBe('');
    expect(steps.find((s) => s.node === 'i-00000003' && s.action === 'exclude')!.detail).toBe('1 shard copies');
  });

  test('a voting-excluded master goes straight to its termination', async () => {
    const steps = planOf(await at('masterTerminate'));
    const first = steps.findIndex((s) => s.node === 'i-00000005');
    expect(steps.slice(first, first + 2).map((s) => s.action)).toEqual(['terminate', 'clear-voting-exclusions']);
    expect(steps.filter((s) => s.action === 'surge')).toHaveLength(2);
  });

  test('the first step names the gate that blocks it', async () => {
    const w = withEs(await at('dataSurge'), (es) => ({ ...es, health: { ...es.health, relocatingShards: 1 } }));
    const first = planOf(w)[0]!;
    expect(first.action).toBe('now: wait');
    expect(first.detail).toMatch(/^blocked by no-shard-activity: /);
    expect(planOf(await at('dataSurge'))[0]!.detail).not.toMatch(/blocked by/);
  });

  test('terminating instances are no longer planned', async () => {
    const w = withInstance(await at('dataSurge'), 'i-00000002', { lifecycleState: 'Terminating' });
    expect(planOf(w).some((s) => s.node === 'i-00000002')).toBe(false);
    const t = withInstance(await at('dataSurge'), 'i-00000002', { lifecycleState: 'Terminated' });
    expect(planOf(t).some((s) => s.node === 'i-00000002')).toBe(false);
  });

  test('a node running a long task: the plan waits for it before the terminate, and every terminate says it would', async () => {
    const w = withEs(await at('dataSurge'), (es) => ({
      ...es,
      tasks: [{ id: 'x:1', node: 'i-00000002', action: 'indices:data/write/reindex', runningSeconds: 60 }],
    }));
    const steps = planOf(w);
    const i = steps.findIndex((s) => s.action === 'wait-for-tasks');
    expect(steps[i]).toMatchObject({ node: 'i-00000002', seconds: 3600 });
    expect(steps[i]!.detail).toMatch(/indices:data\/write\/reindex running: .*at most 3600 s \(in-flight-tasks\)/);
    expect(steps[i + 1]).toMatchObject({ action: 'terminate', node: 'i-00000002' });
    expect(steps.filter((s) => s.action === 'wait-for-tasks')).toHaveLength(1);
    for (const t of steps.filter((s) => s.action === 'terminate'))
      expect(t.detail).toMatch(/force merge or shard snapshot runs on it/);
  });
});

describe('plan with rollout.method auto (issue 17)', () => {
  const ownVolumes = (w: World): World => ({
    ...w,
    es: { ...w.es, allocationEnable: null },
    fleet: w.fleet.map((g) => (g.role === 'data' ? { ...g, volumesOutliveInstances: true } : g)),
  });

  test('data nodes with volumes that outlive them get a handoff, masters a surge, each with its reason', async () => {
    const w = ownVolumes(await at('dataSurge'));
    const p = progressOf(w);
    expect(p.nodes.map((n) => [n.role, n.method])).toEqual([
      ['data', 'handoff'],
      ['data', 'handoff'],
      ['data', 'handoff'],
      ['master', 'drain'],
      ['master', 'drain'],
      ['master', 'drain'],
    ]);
    expect(p.nodes[3]!.methodWhy).toMatch(/a master is replaced with a surge/);
    expect(p.next.action.type).toBe('handoff-begin');
    const steps = planOf(w).map((s) => s.action);
    expect(steps.filter((a) => a === 'handoff-stop')).toHaveLength(3);
    expect(steps.filter((a) => a === 'surge')).toHaveLength(3);
    // A handoff is estimated at boot + join and a few polls, not at the node's bytes.
    expect(p.etaSeconds).toBe(3 * (60 + 40) + 3 * 90);
  });

  test('without volumes that outlive their instances every data node is drained, and the plan says why', async () => {
    const w = await at('dataSurge');
    const p = progressOf(w);
    expect(p.nodes.filter((n) => n.role === 'data').map((n) => n.method)).toEqual(['drain', 'drain', 'drain']);
    const surge = planOf(w).find((s) => s.action === 'surge');
    expect(surge!.detail).toMatch(/drain instead of handoff: the data volumes of data-asg die with their instances/);
  });

  test('a node holding a shard without another started copy is drained', async () => {
    const base = ownVolumes(await at('dataSurge'));
    const holder = base.es.shards[0]!.node!;
    const w = withEs(base, (es) => ({
      ...es,
      shards: [...es.shards, { index: 'solo', shard: 0, primary: true, state: 'STARTED', node: holder, bytes: 5 }],
    }));
    const n = progressOf(w).nodes.find((x) => x.instanceId === holder)!;
    expect([n.method, n.methodWhy]).toEqual([
      'drain',
      expect.stringMatching(/\[solo\]\[0\] has no other started copy/),
    ]);
  });
});

describe('maxSurge: batches in the estimate and the plan', () => {
  test('6 data nodes over 3 zones with maxSurge 3: two batches of 3, each as long as its largest node', async () => {
    const s = spec({ options: { ...spec().options, maxSurge: 3 } });
    const w = await snapshot(new FakeWorld({ zones: ['a', 'b', 'c'], data: 6, masters: 3, shards: 6 }), 0, s);
    const p = progress(observed(w), s, model);
    if ('unknown' in p) throw new Error(p.unknown);
    // Each data node holds 2 copies of 1000 B: a batch drains 2000 B / 100 B/s side by side, then boot, join, polls.
    const perNode = 2000 / 100 + 60 + 3 * 10;
    expect(p.etaSeconds).toBe(2 * perNode + 3 * (60 + 30));
    const steps = plan(observed(w), s, model);
    if ('unknown' in steps) throw new Error(steps.unknown);
    const surges = steps.filter((x) => x.action === 'surge' && x.node === 'data-asg');
    expect(surges.map((x) => x.detail)).toEqual([
      'desired capacity + 3 (drain instead of handoff: the data volumes of data-asg die with their instances)',
      'desired capacity + 3 (drain instead of handoff: the data volumes of data-asg die with their instances)',
    ]);
    const drains = steps.filter((x) => x.action === 'wait-for-drain');
    expect(drains.map((x) => x.seconds)).toEqual([0, 0, 20, 0, 0, 20]);
    expect(drains[0]!.detail).toMatch(/side by side with i-/);
    // One at a time (maxSurge 1): six surges and six timed drains, as before.
    const one = plan(observed(w), spec(), model);
    if ('unknown' in one) throw new Error(one.unknown);
    expect(one.filter((x) => x.action === 'surge' && x.node === 'data-asg')).toHaveLength(6);
  });

  test('maxSurge 4 over 3 zones: batches of 4 with the zones chosen by the roll, of 3 with Auto Scaling placing', async () => {
    const base = spec({ options: { ...spec().options, maxSurge: 4 } });
    const chosen = spec({ options: { ...base.options, surgePlacement: 'orchestrator' } });
    const fake = new FakeWorld({ zones: ['a', 'b', 'c'], data: 12, masters: 3, shards: 12 });
    const raw = await snapshot(fake, 0, chosen);
    const w = { ...raw, fleet: raw.fleet.map((g) => (g.role === 'data' ? { ...g, canLaunchIntoZones: true } : g)) };
    const surges = (s: typeof base) => {
      const steps = plan(observed(w), s, model);
      if ('unknown' in steps) throw new Error(steps.unknown);
      return steps.filter((x) => x.action === 'surge' && x.node === 'data-asg').map((x) => x.detail);
    };
    expect(surges(chosen)).toEqual(
      Array(3).fill(
        'desired capacity + 4, launched into the zones its drains come from and attached (drain instead of handoff: ' +
          'the data volumes of data-asg die with their instances)',
      ),
    );
    expect(surges(base)).toHaveLength(4);
    expect(surges(base)[0]).toMatch(/^desired capacity \+ 3 \(/);
    // 13 nodes: the last batch is a single node, which Auto Scaling places (nothing is launched into a zone for it).
    const fake13 = new FakeWorld({ zones: ['a', 'b', 'c'], data: 13, masters: 3, shards: 13 });
    const raw13 = await snapshot(fake13, 0, chosen);
    const w13 = {
      ...raw13,
      fleet: raw13.fleet.map((g) => (g.role === 'data' ? { ...g, canLaunchIntoZones: true } : g)),
    };
    const steps13 = plan(observed(w13), chosen, model);
    if ('unknown' in steps13) throw new Error(steps13.unknown);
    const last = steps13.filter((x) => x.action === 'surge' && x.node === 'data-asg').map((x) => x.detail);
    expect(last).toHaveLength(4);
    expect(last[3]).toMatch(/^desired capacity \+ 1 \(/);
    // The estimate: 3 batches instead of 4.
    const eta = (s: typeof base) => {
      const p = progress(observed(w), s, model);
      if ('unknown' in p) throw new Error(p.unknown);
      return p.etaSeconds;
    };
    const perNode = 2000 / 100 + 60 + 3 * 10;
    expect(eta(chosen)).toBe(3 * perNode + 3 * (60 + 30));
    expect(eta(base)).toBe(4 * perNode + 3 * (60 + 30));
  });
});
