/**
 * A data surge into zones the orchestrator chooses (core/zone-launch.ts, `rollout.surgePlacement: orchestrator`):
 * which zones a batch launches into, when the surge stays Auto Scaling's, the retry of a launch not yet attached, and
 * the instances launched and never attached (terminated, never left running). Worlds are built directly.
 */
import { ATTACH_WITHIN_SECONDS, batchSize, zoneLaunches } from '../../lambda/rolling-replacement/core/zone-launch';
import { cleanup } from '../../lambda/rolling-replacement/core/cleanup';
import type { UnattachedInstance } from '../../lambda/rolling-replacement/core/fleet-port';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { DEFAULT_OPTIONS, type Decision, type RolloutSpec } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld } from './fake-world';
import { type World, ctxIn, decideIn, snapshot, withEs, withGroup, withHealth } from './gate-worlds';
import { spec } from './helpers';

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const opts = (o: Partial<RolloutSpec['options']>): RolloutSpec => spec({ options: { ...DEFAULT_OPTIONS, ...o } });
const chosen = opts({ maxSurge: 4, surgePlacement: 'orchestrator' });

/** 3 masters + `data` data nodes over three zones, the lock held, every data node outdated (target "2"). */
async function locked(data = 12, placement?: string[]): Promise<World> {
  const w = new FakeWorld({ data, zones: ZONES, ...(placement ? { placement: { data: placement } } : {}) });
  for (const g of w.groups) {
    g.tags = {
      [TAG.rollout]: 'r1',
      [TAG.capacity]: String(g.desired),
      [TAG.suspended]: 'AZRebalance',
      ...(g.role === 'data' ? { [TAG.rebalance]: '-', [TAG.excluded]: '-' } : { [TAG.voting]: '-' }),
    };
    g.suspended = ['AZRebalance'];
  }
  w.rebalance = 'none';
  return launchable(await snapshot(w));
}

const launchable = (w: World, unattached?: readonly UnattachedInstance[]): World =>
  withGroup(w, 'data-asg', (g) => ({ ...g, canLaunchIntoZones: true, ...(unattached ? { unattached } : {}) }));

/** The launches of a surge decision (an error when it is not one). */
const launchesOf = (d: Decision): readonly { zone: string; key: string }[] => {
  if (d.action.type !== 'surge' || !d.action.launches) throw new Error(`not a surge into zones: ${d.action.type}`);
  return d.action.launches;
};

const zonesOf = (launches: readonly { zone: string }[] | undefined) =>
  (launches ?? []).reduce<Record<string, number>>((m, l) => ({ ...m, [l.zone]: (m[l.zone] ?? 0) + 1 }), {});

describe('which zones a batch launches into', () => {
  test('maxSurge 4 over 3 balanced zones: 4 instances, two into one zone, one into each other', async () => {
    const d = decideIn(await locked(), chosen);
    expect(d.action).toMatchObject({
      type: 'surge',
      group: 'data-asg',
      desiredCapacity: 16,
      launchTemplateVersion: '2',
    });
    expect(zonesOf(launchesOf(d))).toEqual({ 'eu-west-1a': 2, 'eu-west-1b': 1, 'eu-west-1c': 1 });
    expect(launchesOf(d).map((l) => l.key)).toEqual([
      'r1/data-asg/b12/eu-west-1a/0',
      'r1/data-asg/b12/eu-west-1b/0',
      'r1/data-asg/b12/eu-west-1c/0',
      'r1/data-asg/b12/eu-west-1a/1',
    ]);
    expect(d.reason).toBe(
      '12 outdated in data-asg: launching 4 replacements into the zones their drains come from (eu-west-1a ×2, ' +
        'eu-west-1b, eu-west-1c), then attaching them (maxSurge 4, rollout.surgePlacement orchestrator; desired ' +
        '12 → 16)',
    );
  });

  test('ties go by zone name, whatever order the instances are listed in', async () => {
    const reversed = Array.from({ length: 12 }, (_, n) => ZONES[2 - (n % 3)]!);
    const c = ctxIn(await locked(12, reversed), chosen);
    expect(zoneLaunches(c, c.data)?.map((l) => l.zone)).toEqual([
      'eu-west-1a',
      'eu-west-1b',
      'eu-west-1c',
      'eu-west-1a',
    ]);
  });

  test('the zones with the most outdated nodes get the slots (4, 2 and none outdated: 3 and 1)', async () => {
    // 4 data nodes per zone; 2 of zone b and all of zone c already run the target.
    let w = await locked();
    w = withGroup(w, 'data-asg', (g) => {
      let b = 0;
      return {
        ...g,
        instances: g.instances.map((i) => {
          if (i.availabilityZone === 'eu-west-1c') return { ...i, launchTemplateVersion: '2' };
          if (i.availabilityZone === 'eu-west-1b' && b++ < 2) return { ...i, launchTemplateVersion: '2' };
          return i;
        }),
      };
    });
    // Zone a: 4 outdated, b: 2: a, a, then a tie at 2 (equal live counts: the first zone), then b.
    const c = ctxIn(w, chosen);
    expect(zonesOf(zoneLaunches(c, c.data))).toEqual({ 'eu-west-1a': 3, 'eu-west-1b': 1 });
  });

  test('a tie on outdated nodes goes to the zone with fewer live instances', async () => {
    // 5/4/4 live (zone a has one more), each zone 1 outdated left... all outdated here: a 5, b 4, c 4, maxSurge 2.
    const w = await locked(13);
    const c = ctxIn(w, opts({ maxSurge: 2, surgePlacement: 'orchestrator' }));
    // a has the most outdated (5): first slot a; then a 4, b 4, c 4 tie: b (fewer live than a, name before c).
    expect(zoneLaunches(c, c.data)?.map((l) => l.zone)).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  test("stays Auto Scaling's where it drains as many at once: maxSurge 3 or 6 over 3 balanced zones", async () => {
    const w = await locked();
    for (const maxSurge of [3, 6]) {
      const s = opts({ maxSurge, surgePlacement: 'orchestrator' });
      const d = decideIn(w, s);
      expect(d.action).toEqual(expect.objectContaining({ type: 'surge', desiredCapacity: 12 + maxSurge }));
      expect(d.action).not.toHaveProperty('launches');
      expect(batchSize(ctxIn(w, s), ctxIn(w, s).data)).toBe(maxSurge);
    }
  });

  test("stays Auto Scaling's with surgePlacement auto-scaling, a fleet that cannot launch, or maxSurge 1", async () => {
    const w = await locked();
    const cannot = withGroup(w, 'data-asg', (g) => ({ ...g, canLaunchIntoZones: false }));
    for (const [world, s] of [
      [w, opts({ maxSurge: 4, surgePlacement: 'auto-scaling' })],
      [cannot, chosen],
      [w, opts({ maxSurge: 1, surgePlacement: 'orchestrator' })],
    ] as const) {
      const d = decideIn(world, s);
      expect(d.action.type).toBe('surge');
      expect(d.action).not.toHaveProperty('launches');
    }
    // With Auto Scaling placing, maxSurge 4 over 3 zones surges 3 (a multiple of the zone count).
    expect(decideIn(w, opts({ maxSurge: 4, surgePlacement: 'auto-scaling' })).action).toMatchObject({
      desiredCapacity: 15,
    });
  });

  test('never more than MaxSize allows above the baseline, nor more than the outdated nodes', async () => {
    const w = withGroup(await locked(), 'data-asg', (g) => ({ ...g, maxSize: 14 }));
    // Room for 2 only: 2 at once (Auto Scaling's placement would give 1: 2 is below the zone count).
    expect(zoneLaunches(ctxIn(w, chosen), ctxIn(w, chosen).data)?.length).toBe(2);
    const few = await locked(2);
    expect(zoneLaunches(ctxIn(few, chosen), ctxIn(few, chosen).data)?.length).toBe(2);
  });

  test('the masters never launch into chosen zones', async () => {
    const w = withGroup(await locked(), 'master-asg', (g) => ({ ...g, canLaunchIntoZones: true }));
    const c = ctxIn(w, chosen);
    expect(zoneLaunches(c, c.master)).toBeUndefined();
  });
});

describe('a launch not yet attached', () => {
  const unattached = (keys: readonly string[]): UnattachedInstance[] =>
    keys.map((k, n) => ({
      instanceId: `i-launched${n}`,
      availabilityZone: k.split('/')[3]!,
      state: 'pending',
      launchKey: k,
    }));
  const KEYS = [
    'r1/data-asg/b12/eu-west-1a/0',
    'r1/data-asg/b12/eu-west-1b/0',
    'r1/data-asg/b12/eu-west-1c/0',
    'r1/data-asg/b12/eu-west-1a/1',
  ];

  test('the next step decides the same surge, with the first launch as its join clock', async () => {
    let w = launchable(await locked(), unattached(KEYS));
    w = withGroup(w, 'data-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.joinWait]: '100' } }));
    const d = decideIn({ ...w, now: 400 }, chosen);
    expect(d.action).toMatchObject({ type: 'surge', surgeAt: 100 });
    expect(launchesOf(d).map((l) => l.key)).toEqual(KEYS);
    expect(d.reason).toMatch(/4 of 4 replacements launched; attaching them once all run/);
  });

  test('not attached 600 s after the first launch, the roll fails (each boot waits 900 s for its group)', async () => {
    let w = launchable(await locked(), unattached(KEYS));
    w = withGroup(w, 'data-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.joinWait]: '100' } }));
    const d = decideIn({ ...w, now: 100 + ATTACH_WITHIN_SECONDS + 1 }, chosen);
    expect(d.action.type).toBe('mark-failed');
    expect(d.blockedBy).toBe('replacement-joins-in-time');
    expect(d.reason).toMatch(/were not all running and attached within 600 s/);
    // At the bound, not yet; a shorter join timeout bounds it too.
    expect(decideIn({ ...w, now: 100 + ATTACH_WITHIN_SECONDS }, chosen).action.type).toBe('surge');
    const short = opts({ maxSurge: 4, surgePlacement: 'orchestrator', joinTimeoutSeconds: 300 });
    expect(decideIn({ ...w, now: 401 }, short).action.type).toBe('mark-failed');
    expect(decideIn({ ...w, now: 400 }, short).action.type).toBe('surge');
  });

  test('a surge gate that closes after the launch: the launches wait, and past 600 s they are ended', async () => {
    let w = launchable(await locked(), unattached(KEYS));
    w = withGroup(w, 'data-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.joinWait]: '100' } }));
    w = withHealth(w, { status: 'red' });
    const early = decideIn({ ...w, now: 100 + ATTACH_WITHIN_SECONDS }, chosen);
    expect(early.action.type).toBe('wait');
    expect(early.blockedBy).toBe('cluster-green-or-version-yellow');
    const late = decideIn({ ...w, now: 100 + ATTACH_WITHIN_SECONDS + 1 }, chosen);
    expect(late.action).toEqual({
      type: 'terminate-unattached',
      group: 'data-asg',
      instanceIds: ['i-launched0', 'i-launched1', 'i-launched2', 'i-launched3'],
    });
    expect(late.reason).toMatch(/while the surge waits \(cluster-green-or-version-yellow\); new ones are launched/);
    // Once they are gone and the gate opens, a fresh surge with the same keys and a new join clock.
    const fresh = withHealth(launchable(await locked(), []), { status: 'green' });
    const d = decideIn({ ...fresh, now: 900 }, chosen);
    expect(d.action).toMatchObject({ type: 'surge', surgeAt: 900 });
    expect(launchesOf(d).map((l) => l.key)).toEqual(KEYS);
  });

  test('an instance of another batch or zone is terminated before the surge', async () => {
    const old = unattached(['r1/data-asg/b13/eu-west-1a/0', KEYS[0]!]);
    const d = decideIn(launchable(await locked(), old), chosen);
    expect(d.action).toEqual({ type: 'terminate-unattached', group: 'data-asg', instanceIds: ['i-launched0'] });
  });

  test('once a batch is attached, any instance still unattached is terminated', async () => {
    // The capacity is above the baseline: a batch was attached; a launched instance left over is no one's.
    let w = launchable(await locked(), unattached([KEYS[0]!]));
    w = withGroup(w, 'data-asg', (g) => ({ ...g, desiredCapacity: 16 }));
    expect(decideIn(w, chosen).action).toEqual({
      type: 'terminate-unattached',
      group: 'data-asg',
      instanceIds: ['i-launched0'],
    });
  });

  test('a handoff next: the launched instances are terminated first', async () => {
    let w = launchable(await locked(), unattached([KEYS[0]!]));
    w = withGroup(w, 'data-asg', (g) => ({ ...g, volumesOutliveInstances: true }));
    w = withEs(w, (es) => ({ ...es, allocationEnable: null }));
    const d = decideIn(w, opts({ maxSurge: 4, surgePlacement: 'orchestrator', method: 'handoff' }));
    expect(d.action).toEqual({ type: 'terminate-unattached', group: 'data-asg', instanceIds: ['i-launched0'] });
    expect(d.reason).toMatch(/is handed off, not drained/);
  });

  test('an attached instance without scale-in protection is protected before anything else', async () => {
    // Auto Scaling's guide does not say it applies NewInstancesProtectedFromScaleIn to attached instances: the roll's
    // setup check, which every step runs, protects it before any drain into it (scale-in-protected).
    let w = await locked();
    w = withGroup(w, 'data-asg', (g) => ({
      ...g,
      desiredCapacity: 13,
      instances: [
        ...g.instances,
        {
          instanceId: 'i-attached',
          lifecycleState: 'InService',
          healthStatus: 'Healthy',
          launchTemplateVersion: '2',
          availabilityZone: 'eu-west-1a',
          protectedFromScaleIn: false,
        },
      ],
    }));
    expect(decideIn(w, chosen).action).toEqual({ type: 'protect', group: 'data-asg', instanceIds: ['i-attached'] });
  });

  test('the cleanup terminates every instance launched and never attached, first', async () => {
    const w = launchable(await locked(), unattached(KEYS.slice(0, 2)));
    const d = cleanup(ctxIn(w, chosen), 'failed', 'join timeout');
    expect(d.action).toEqual({
      type: 'terminate-unattached',
      group: 'data-asg',
      instanceIds: ['i-launched0', 'i-launched1'],
    });
    expect(d.reason).toMatch(/^stopping \(join timeout\): terminating i-launched0, i-launched1/);
    // A completed roll says so.
    expect(cleanup(ctxIn(w, chosen), 'completed', '').reason).toMatch(/^finishing: terminating i-launched0/);
  });
});
