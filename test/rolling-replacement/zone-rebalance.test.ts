/**
 * Zone rebalance at the end of a roll: when every node runs the target but a group's Availability Zones differ by more
 * than one instance, decide() runs one more gated cycle (surge into the emptiest zone, remove a node of the fullest
 * zone) until the group is balanced, and stops when Auto Scaling does not launch into an emptiest zone.
 */
import { decide } from '../../lambda/rolling-replacement/core/decide';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import type { Decision } from '../../lambda/rolling-replacement/core/types';
import { reconcile } from '../../lambda/rolling-replacement/reconcile';
import { FakeWorld } from './fake-world';
import { drive, spec } from './helpers';

const A = 'eu-west-1a';
const B = 'eu-west-1b';
const C = 'eu-west-1c';
const ZONES = [A, B, C];

/** The world right after the last replacement: every node at the target, rollout lock and setup still in place. */
function endOfRoll(placement: { data: string[]; master: string[] }): FakeWorld {
  const w = new FakeWorld({
    zones: ZONES,
    placement,
    lt: '2',
    data: placement.data.length,
    masters: placement.master.length,
  });
  for (const g of w.groups) {
    g.suspended = ['AZRebalance'];
    g.tags = { [TAG.rollout]: 'r1', [TAG.capacity]: String(g.desired), [TAG.suspended]: 'AZRebalance' };
  }
  w.group('data-asg').tags[TAG.rebalance] = '-';
  w.rebalance = 'none';
  return w;
}

async function next(w: FakeWorld, now = 0): Promise<Decision> {
  const es = await w.observe();
  const fleet = await w.describeGroups(['data-asg', 'master-asg']);
  return decide({ es, fleet, now }, spec());
}

const zoneOf = (w: FakeWorld, id: string) => w.groups.flatMap((g) => g.instances).find((i) => i.id === id)?.az;
const spread = (counts: Record<string, number>) =>
  Math.max(...Object.values(counts)) - Math.min(...Object.values(counts));

describe('zone rebalance: unbalanced at the end of the roll', () => {
  test.each([
    { name: 'data a:2 b:1 c:0', data: [A, A, B], master: [A, B, C], group: 'data-asg', removal: 'exclude' },
    {
      name: 'masters a:2 b:0 c:1',
      data: [A, B, C],
      master: [A, A, C],
      group: 'master-asg',
      removal: 'voting-exclusion',
    },
    { name: 'data a:3 b:1 c:0', data: [A, A, A, B], master: [A, B, C], group: 'data-asg', removal: 'exclude' },
  ])(
    '$name: a zone-rebalance surge, then a node of the fullest zone leaves',
    async ({ data, master, group, removal }) => {
      const w = endOfRoll({ data, master });
      const before = w.zoneCounts(group);
      const initial = new Set(w.group(group).instances.map((i) => i.id));
      const first = await next(w);
      expect(first.action).toMatchObject({ type: 'surge', group, desiredCapacity: w.group(group).desired + 1 });
      expect(first.reason).toMatch(/^zone-rebalance: /);
      const tag = `1:${ZONES.map((z) => `${z}=${before[z]}`).join(',')}`;
      expect(first.action).toMatchObject({ tags: { [TAG.zoneRebalance]: tag } });

      // Run the cycle up to the removal: the node comes from the fullest zone (a), and the surge landed in an emptiest.
      let chosen: Decision | undefined;
      for (let step = 0; step < 20 && !chosen; step++) {
        const r = await reconcile({ es: w, fleet: w, spec: spec(), now: step * 30, log: () => undefined });
        if (r.decision.action.type === removal) chosen = r.decision;
        w.tick();
      }
      expect(chosen).toBeDefined();
      expect(chosen!.reason).toMatch(/^zone-rebalance: /);
      const node = (chosen!.action as { node: string }).node;
      expect(zoneOf(w, node)).toBe(A);
      const surged = w.group(group).instances.filter((i) => !initial.has(i.id));
      expect(surged).toHaveLength(1);
      const min = Math.min(...Object.values(before));
      expect(ZONES.filter((z) => before[z] === min)).toContain(surged[0]!.az);
    },
  );

  test.each([
    { name: 'data a:2 b:1 c:0', data: [A, A, B], master: [A, B, C] },
    { name: 'masters a:2 b:0 c:1', data: [A, B, C], master: [A, A, C] },
    { name: 'both unbalanced', data: [A, A, A, B], master: [A, A, C] },
    { name: 'data a:4 b:0 c:1', data: [A, A, A, A, C], master: [A, B, C] },
  ])('$name: repeats until balanced, then resumes AZRebalance and completes', async ({ data, master }) => {
    const w = endOfRoll({ data, master });
    const r = await drive(w, spec(), { duplicate: true });
    expect(r.outcome).toBe('completed');
    for (const g of ['data-asg', 'master-asg']) expect(spread(w.zoneCounts(g))).toBeLessThanOrEqual(1);
    const release = r.decisions.at(-1)!;
    expect(release.action.type).toBe('release');
    expect(release.reason).not.toMatch(/unbalanced/);
    for (const g of w.groups) {
      expect(g.suspended).toEqual([]);
      expect(g.desired).toBe(g.name === 'data-asg' ? data.length : master.length);
      expect(g.tags).toEqual({ [TAG.result]: 'completed:r1' });
    }
    expect(w.lostCopies).toBe(0);
    expect(w.maxOut).toBeLessThanOrEqual(1);
    // Each cycle surges once and terminates once; nothing was done twice despite the duplicate invocations.
    const surges = w.writes.filter((x) => x.startsWith('desired')).length;
    expect(surges).toBeGreaterThan(0);
    expect(w.terminations).toHaveLength(surges);
    expect(new Set(w.terminations).size).toBe(surges);
  });
});

describe('zone rebalance: balanced at the end of the roll', () => {
  test.each([
    { name: 'one per zone', data: [A, B, C], master: [A, B, C] },
    { name: 'a:2 b:2 c:1', data: [A, A, B, B, C], master: [A, B, C] },
    { name: 'a:2 b:1 c:1', data: [A, A, B, C], master: [A, B, C] },
  ])('$name: no rebalance cycle, the roll completes and AZRebalance is resumed', async ({ data, master }) => {
    const w = endOfRoll({ data, master });
    const first = await next(w);
    expect(first.action.type).not.toBe('surge');
    const r = await drive(w, spec());
    expect(r.outcome).toBe('completed');
    expect(r.decisions.some((d) => /zone-rebalance/.test(d.reason))).toBe(false);
    expect(w.terminations).toEqual([]);
    for (const g of w.groups) expect(g.suspended).toEqual([]);
  });
});

describe('zone rebalance: Auto Scaling does not launch into an emptiest zone', () => {
  test.each([
    { name: 'data surge lands in the fullest zone', data: [A, A, B], master: [A, B, C], group: 'data-asg', zone: A },
    { name: 'data surge lands in a middle zone', data: [A, A, A, B], master: [A, B, C], group: 'data-asg', zone: B },
    {
      name: 'master surge lands in the fullest zone',
      data: [A, B, C],
      master: [A, A, C],
      group: 'master-asg',
      zone: A,
    },
  ])(
    '$name: stops rebalancing, removes the surge capacity, completes with the report',
    async ({ data, master, group, zone }) => {
      const w = endOfRoll({ data, master });
      w.launchZone = (g) => (g.name === group ? zone : undefined);
      const before = w.zoneCounts(group);
      const r = await drive(w, spec());
      expect(r.outcome).toBe('completed');
      const stops = r.decisions.filter((d) => d.action.type === 'stop-zone-rebalance');
      expect(stops).toHaveLength(1);
      expect(stops[0]!.reason).toMatch(new RegExp(`^zone-rebalance: the surge instance of ${group} landed in ${zone}`));
      // One cycle only: one surge, one termination, capacity back at the baseline.
      expect(r.decisions.filter((d) => d.action.type === 'surge')).toHaveLength(1);
      expect(w.terminations).toHaveLength(1);
      expect(w.group(group).desired).toBe(group === 'data-asg' ? data.length : master.length);
      const release = r.decisions.at(-1)!;
      expect(release.action.type).toBe('release');
      expect(release.reason).toMatch(
        new RegExp(
          `AZRebalance left suspended on ${group}: zones are unbalanced .*zone rebalancing stopped: the surge`,
        ),
      );
      expect(w.group(group).suspended).toEqual(['AZRebalance']);
      expect(spread(w.zoneCounts(group))).toBeGreaterThan(1);
      expect(spread(w.zoneCounts(group))).toBeLessThanOrEqual(spread(before));
      expect(w.lostCopies).toBe(0);
    },
  );
});

describe('zone rebalance: resumable from the world', () => {
  test('a crash between the cycle tag and the capacity write surges the same cycle again', async () => {
    const w = endOfRoll({ data: [A, A, B], master: [A, B, C] });
    const first = await next(w);
    // The tag of the surge was written, the capacity was not.
    w.group('data-asg').tags[TAG.zoneRebalance] = `1:${A}=2,${B}=1,${C}=0`;
    const retry = await next(w);
    expect(retry).toEqual(first);
  });

  test('the bound: no cycle beyond the group size; the result says so', async () => {
    const w = endOfRoll({ data: [A, A, B], master: [A, B, C] });
    // Three cycles already ran (the counts differ from those before the third surge) and the group is unbalanced.
    w.group('data-asg').tags[TAG.zoneRebalance] = `3:${A}=1,${B}=1,${C}=1`;
    const r = await drive(w, spec());
    expect(r.outcome).toBe('completed');
    expect(r.decisions.some((d) => d.action.type === 'surge')).toBe(false);
    expect(r.decisions.at(-1)!.reason).toMatch(/AZRebalance left suspended on data-asg: .*after 3 cycle\(s\)/);
  });

  test('the node chosen for removal is recognisable after a restart: its exclusion is in the world', async () => {
    const w = endOfRoll({ data: [A, A, B], master: [A, B, C] });
    let excluded: string | undefined;
    for (let step = 0; step < 20 && !excluded; step++) {
      const r = await reconcile({ es: w, fleet: w, spec: spec(), now: step * 30, log: () => undefined });
      if (r.decision.action.type === 'exclude') excluded = r.decision.action.node;
      w.tick();
    }
    // A fresh decide (a restarted orchestrator) continues with the same node.
    const d = await next(w, 600);
    expect(['wait-for-drain', 'terminate']).toContain(d.action.type);
    expect(
      (d.action as { node?: string; instanceId?: string }).node ?? (d.action as { instanceId: string }).instanceId,
    ).toBe(excluded);
  });
});
