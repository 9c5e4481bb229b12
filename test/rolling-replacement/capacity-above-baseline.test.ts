/**
 * Capacity left above the baseline, by an aborted roll or by anyone (issue 12, finding 6): the start gates account
 * for the surge, a roll never takes the lock, turns rebalancing off and then waits forever.
 */
import { parseScenario, runScenario } from '../../sim';
import type { Report } from '../../sim';
import { strandedCopy } from '../../lambda/rolling-replacement/core/destination';
import { ctxIn, decideIn, dataNodes, stage, started, withGroup, withShards } from './gate-worlds';
import { spec } from './helpers';

const GiB = 1024 ** 3;

function scenario(extra: Record<string, unknown>) {
  return parseScenario(
    {
      name: 'capacity-above-baseline',
      seed: 3,
      model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
      cluster: {
        version: '8.18.2',
        masters: 3,
        dataNodes: 3,
        diskBytesPerDataNode: 200 * GiB,
        indices: [{ name: 'logs-2026.11.19', shards: 3, replicas: 1, docs: 3_000_000, bytes: 24 * GiB }],
      },
      change: { version: '8.19.3', counts: { masters: 3, dataNodes: 3 } },
      limits: { maxSimulatedSeconds: 30_000 },
      ...extra,
    },
    'capacity-above-baseline',
  );
}

const summary = (r: Report) => ({
  outcome: r.outcome,
  documentsLost: r.documentsLost,
  secondsRed: r.secondsRed,
  finalVersions: r.finalVersions,
});

describe('end to end in the simulator', () => {
  test('a surge instance left running before the roll (it took a primary): the roll drains around it and ends at the count', async () => {
    // Before this fix: the planned scale-in excluded the old node holding the replica of that primary, which no
    // other node could take (node_version, same_shard): the drain waited until the run's limit.
    const r = await runScenario(scenario({ faults: [{ kind: 'scale-out', at: 0, role: 'data', count: 1 }] }), {
      http: false,
    });
    expect(summary(r)).toEqual({
      outcome: 'completed',
      documentsLost: 0,
      secondsRed: 0,
      finalVersions: { '8.19.3': 6 },
    });
    expect(r.steps.filter((s) => s.action === 'scale-in')).toHaveLength(1);
  });

  test('someone raises the data group mid-roll: the roll adopts it as its baseline and drains it back to the count', async () => {
    const r = await runScenario(scenario({ faults: [{ kind: 'scale-out', at: 900, role: 'data', count: 1 }] }), {
      http: false,
    });
    expect(summary(r)).toEqual({
      outcome: 'completed',
      documentsLost: 0,
      secondsRed: 0,
      finalVersions: { '8.19.3': 6 },
    });
    expect(r.steps.some((s) => s.action.startsWith('raise-baseline'))).toBe(true);
    expect(r.steps.some((s) => s.action === 'scale-in')).toBe(true);
  });

  test('a group at its MaxSize with nothing known to scale in: refused before the lock, nothing changed', async () => {
    // No counts (a template from before them): the 3 extra instances are the baseline, and MaxSize (6) leaves no
    // room for a surge. Before this fix: lock, balancer off, then a wait for surge room until the run's limit.
    const r = await runScenario(
      scenario({
        change: { version: '8.19.3' },
        faults: [{ kind: 'scale-out', at: 0, role: 'data', count: 3 }],
      }),
      { http: false },
    );
    expect({ outcome: r.outcome, reason: r.reason }).toEqual({
      outcome: 'failed',
      reason: expect.stringMatching(/^refusing to begin: elk-data MaxSize 6 leaves no room for a surge instance/),
    });
    const acted = r.steps.filter((s) => !s.action.startsWith('sim:') && !s.action.startsWith('wait'));
    expect(acted.map((s) => s.action)).toEqual(['done (surge-capacity-available)']);
  });
});

describe('decide(): the start gates account for the surge', () => {
  test('refuses to begin when a group with outdated instances has no room for a surge, naming the gate', async () => {
    const { world } = await stage('idle');
    const full = withGroup(world, 'data-asg', (g) => ({ ...g, maxSize: g.desiredCapacity }));
    expect(decideIn(full)).toMatchObject({
      action: { type: 'done', outcome: 'failed' },
      blockedBy: 'surge-capacity-available',
    });
    const fullMasters = withGroup(world, 'master-asg', (g) => ({ ...g, maxSize: g.desiredCapacity }));
    expect(decideIn(fullMasters).blockedBy).toBe('surge-capacity-available');
    // One instance of room is enough.
    expect(decideIn(withGroup(world, 'data-asg', (g) => ({ ...g, maxSize: g.desiredCapacity + 1 }))).action.type).toBe(
      'begin',
    );
  });

  test('a group at its MaxSize above its count begins: the planned scale-in comes before any surge', async () => {
    const { world } = await stage('idle');
    const full = withGroup(world, 'data-asg', (g) => ({ ...g, maxSize: g.desiredCapacity }));
    const s = spec({ counts: { data: 2, master: 3 } });
    expect(decideIn(full, s).action.type).toBe('begin');
  });

  test('a group without outdated instances is not held by its MaxSize', async () => {
    const { world } = await stage('idle');
    const s = spec({ counts: { data: 2, master: 3 } });
    const current = withGroup(world, 'data-asg', (g) => ({
      ...g,
      maxSize: g.desiredCapacity,
      instances: g.instances.map((i) => ({ ...i, launchTemplateVersion: g.targetLaunchTemplateVersion })),
    }));
    expect(decideIn(current, s).blockedBy).not.toBe('surge-capacity-available');
  });
});

describe('which node drains next: one whose copies have a place to go', () => {
  test('skips the old node holding the replica of a primary on the only new node', async () => {
    const { world, decision } = await stage('exclude');
    expect(decision.action.type).toBe('exclude');
    const first = 'node' in decision.action ? decision.action.node : '';
    const fresh = dataNodes(world).find((n) => world.es.nodes.find((x) => x.name === n)?.version === '8.19.3')!;
    const edited = withShards(world, [started('fresh', 0, fresh, true), started('fresh', 0, first)]);
    const d = decideIn(edited);
    expect(d.action.type).toBe('exclude');
    expect('node' in d.action && d.action.node).not.toBe(first);
    expect(strandedCopy(ctxIn(edited).es, first, new Set())?.why).toMatch(/node_version/);
  });

  test('a primary may go to a node of its own version; a replica only to one at least as new as its primary', async () => {
    const { world } = await stage('exclude');
    const fresh = dataNodes(world).find((n) => world.es.nodes.find((x) => x.name === n)?.version === '8.19.3')!;
    const [a] = dataNodes(world).filter((n) => n !== fresh);
    // A primary of an old node, its replica on the new node: the other old nodes can take the primary.
    const primaryOld = withShards(world, [started('p', 0, a!, true), started('p', 0, fresh)]);
    expect(strandedCopy(primaryOld.es, a!, new Set())).toBeUndefined();
    // Every other node holds a copy: same_shard.
    const everywhere = withShards(
      world,
      dataNodes(world).map((n) => started('wide', 0, n, n === a)),
    );
    expect(strandedCopy(everywhere.es, a!, new Set())?.why).toMatch(/same_shard/);
    // The only free node is leaving.
    const others = dataNodes(world).filter((n) => n !== a && n !== fresh);
    const onlyFresh = withShards(world, [started('q', 0, a!, true), ...others.map((n) => started('q', 0, n))]);
    expect(strandedCopy(onlyFresh.es, a!, new Set())).toBeUndefined();
    expect(strandedCopy(onlyFresh.es, a!, new Set([fresh]))?.why).toMatch(/same_shard/);
  });
});
