/**
 * End to end in the simulator: the real orchestrator (ES adapter + client, fleet port, decide) against the simulated
 * cluster, as `elkctl sim run --strategy orchestrator` runs it.
 */
import * as path from 'node:path';
import { loadScenario, parseScenario, runScenario } from '../../sim';
import type { Report } from '../../sim';
import type { World } from '../../sim/model/world';
import { orchestratorStrategy, orchestratorTransport } from '../../sim/strategies/orchestrator';
import type { StrategyFactory } from '../../sim/strategy';

const GiB = 1024 ** 3;

function scenario(name: string, extra: Record<string, unknown> = {}, cluster: Record<string, unknown> = {}) {
  return parseScenario(
    {
      name,
      seed: 3,
      model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
      cluster: {
        version: '8.18.2',
        masters: 3,
        dataNodes: 3,
        diskBytesPerDataNode: 200 * GiB,
        indices: [{ name: 'logs-2026.11.19', shards: 3, replicas: 1, docs: 3_000_000, bytes: 24 * GiB }],
        hourlyIndex: { prefix: 'logs-hourly-', shards: 1, replicas: 1, docs: 10_000, bytes: 256 * 1024 ** 2 },
        ...cluster,
      },
      change: { version: '8.19.3' },
      limits: { maxSimulatedSeconds: 172800 },
      ...extra,
    },
    name,
  );
}

function expectSafe(r: Report, opts: { nodeKilled?: boolean } = {}) {
  expect({
    documentsLost: r.documentsLost,
    secondsRed: r.secondsRed,
    secondsWithoutMaster: r.secondsWithoutMaster,
  }).toEqual({
    documentsLost: 0,
    secondsRed: 0,
    secondsWithoutMaster: 0,
  });
  if (!opts.nodeKilled) expect(r.secondsUnderReplicated).toBe(0);
}

const actions = (r: Report) => r.steps.filter((s) => !s.action.startsWith('sim:')).map((s) => s.action);
const rebalanceSurges = (r: Report) =>
  r.steps.filter((s) => s.action === 'surge' && s.reason.startsWith('zone-rebalance:')).length;

type ZoneCounts = Record<string, Record<string, number>>;

/** The orchestrator, recording each group's live instances per zone when it finishes (through the fleet port). */
function zoneRecorder(): { factory: StrategyFactory; zones: ZoneCounts } {
  const zones: ZoneCounts = {};
  const factory: StrategyFactory = {
    ...orchestratorStrategy,
    create: (options) => {
      const inner = orchestratorStrategy.create(options);
      return {
        step: async (world) => {
          const r = await inner.step(world);
          if (r.done) {
            for (const g of await world.fleet.describeGroups([world.groups.data, world.groups.master])) {
              const counts: Record<string, number> = Object.fromEntries((g.availabilityZones ?? []).map((z) => [z, 0]));
              for (const i of g.instances) {
                if (['Terminating', 'Terminated'].includes(i.lifecycleState)) continue;
                counts[i.availabilityZone] = (counts[i.availabilityZone] ?? 0) + 1;
              }
              zones[g.role] = counts;
            }
          }
          return r;
        },
      };
    },
  };
  return { factory, zones };
}

const spread = (counts: Record<string, number>) =>
  Math.max(...Object.values(counts)) - Math.min(...Object.values(counts));

describe('orchestrator end to end in the simulator', () => {
  afterEach(() => {
    orchestratorTransport.mode = 'in-process';
  });

  test('a version upgrade with hourly index creation, over the HTTP face: every node replaced, nothing lost', async () => {
    orchestratorTransport.mode = 'http';
    const r = await runScenario(scenario('upgrade-hourly'));
    expect(r.outcome).toBe('completed');
    expect(r.nodesReplaced).toEqual({ master: 3, data: 3 });
    expect(r.finalVersions).toEqual({ '8.19.3': 6 });
    expectSafe(r);
  });

  test('an AMI-only change replaces every node at the same version', async () => {
    const r = await runScenario(scenario('ami-only', { change: { ami: 'ami-new' } }));
    expect(r.outcome).toBe('completed');
    expect(r.nodesReplaced).toEqual({ master: 3, data: 3 });
    expect(r.finalVersions).toEqual({ '8.18.2': 6 });
    expectSafe(r);
  });

  test('a CA rotation phase (a new CA generation, same version and image) replaces every node, the masters last', async () => {
    let world: World | undefined;
    const r = await runScenario(scenario('ca-phase', { change: { caGeneration: 'rotation-1-trust-new' } }), {
      onStep: (w) => (world ??= w),
    });
    expect(r.outcome).toBe('completed');
    expect(r.nodesReplaced).toEqual({ master: 3, data: 3 });
    expect(r.finalVersions).toEqual({ '8.18.2': 6 });
    expectSafe(r);
    const roles = r.terminatedInstances.map((id) => world!.instances.get(id)!.group.role);
    expect(roles).toEqual(['data', 'data', 'data', 'master', 'master', 'master']);
  });

  test('a data node killed mid-roll: the roll waits for the cluster, then finishes without loss', async () => {
    const r = await runScenario(scenario('kill-data', { faults: [{ kind: 'kill-node', at: 900, role: 'data' }] }));
    expect(r.outcome).toBe('completed');
    expect(r.finalVersions).toEqual({ '8.19.3': 6 });
    expectSafe(r, { nodeKilled: true });
  });

  test('replacements that never boot: stops, reports, leaves the cluster green with its original capacity', async () => {
    const r = await runScenario(scenario('fail-boot', { faults: [{ kind: 'fail-boot', count: 100, role: 'data' }] }));
    expect(r.outcome).toBe('failed');
    expect(r.reason).toMatch(/did not join within 1800 s/);
    expect(r.nodesReplaced).toEqual({ master: 0, data: 0 });
    expect(r.finalVersions).toEqual({ '8.18.2': 6 });
    expectSafe(r);
    const last = actions(r).slice(-4);
    expect(last).toEqual(expect.arrayContaining(['set-rebalance', 'resume-processes', 'release']));
  });

  test('the orchestrator crashing every few minutes changes nothing: same result, nothing done twice', async () => {
    const crashes = Array.from({ length: 40 }, (_, i) => ({ kind: 'crash-orchestrator', at: 95 + i * 97 }));
    const calm = await runScenario(scenario('calm'));
    const r = await runScenario(scenario('crashy', { faults: crashes }));
    expect(r.outcome).toBe('completed');
    // Six replacements, then the zone-rebalance cycles (one surge and one termination each), as in the calm run.
    expect(r.nodesReplaced).toEqual({ master: 3, data: 3 });
    expect(r.terminatedInstances).toHaveLength(6 + rebalanceSurges(calm));
    expect(r.terminatedInstances).toEqual(calm.terminatedInstances);
    expect(actions(r).filter((a) => a === 'surge')).toHaveLength(6 + rebalanceSurges(calm));
    expect(rebalanceSurges(r)).toBe(rebalanceSurges(calm));
    expectSafe(r);
  });

  test('Elasticsearch timeouts mean wait, not fail', async () => {
    const r = await runScenario(scenario('timeouts', { faults: [{ kind: 'es-timeouts', from: 300, to: 1500 }] }));
    expect(r.outcome).toBe('completed');
    expect(actions(r)).toContain('wait (observed-state-known)');
    expectSafe(r);
  });

  test('a cluster that is not green at the start: nothing is touched until it is', async () => {
    const r = await runScenario(
      scenario(
        'not-green',
        {},
        {
          indices: [
            {
              name: 'logs-2026.11.19',
              shards: 3,
              replicas: 1,
              docs: 3_000_000,
              bytes: 24 * GiB,
              unassignedReplicas: 2,
            },
          ],
        },
      ),
    );
    const first = r.steps.find((s) => !s.action.startsWith('sim:'))!;
    expect(first.action).toMatch(/^wait \((cluster-green-or-version-yellow|no-shard-activity)\)$/);
    expect(first.reason).toMatch(/before starting/);
    expect(r.outcome).toBe('completed');
    expect(r.documentsLost).toBe(0);
    expect(r.secondsRed).toBe(0);
  });

  test('a master failover and a killed master mid-roll: no loss; the only masterless seconds are the election', async () => {
    const r = await runScenario(
      scenario('master-faults', {
        faults: [
          { kind: 'master-failover', at: 600 },
          { kind: 'kill-node', at: 2100, role: 'master' },
        ],
      }),
    );
    expect(r.outcome).toBe('completed');
    expect(r.finalVersions).toEqual({ '8.19.3': 6 });
    expect(r.documentsLost).toBe(0);
    expect(r.secondsRed).toBe(0);
    expect(r.secondsWithoutMaster).toBeLessThanOrEqual(2 * 3); // two elections of electionSeconds (3) caused by the faults
  });

  test.each([
    {
      name: 'sim/scenarios/ami-only.json',
      load: () => loadScenario(path.join(__dirname, '../../sim/scenarios/ami-only.json')),
    },
    { name: 'a version upgrade 8.18.2 → 8.19.3', load: () => scenario('upgrade-zones') },
    {
      name: 'sim/scenarios/upgrade-6-data-nodes.json',
      load: () => loadScenario(path.join(__dirname, '../../sim/scenarios/upgrade-6-data-nodes.json')),
    },
    {
      name: 'sim/scenarios/3-masters-12-data-2tib.json',
      load: () => loadScenario(path.join(__dirname, '../../sim/scenarios/3-masters-12-data-2tib.json')),
    },
  ])('$name: every group ends balanced across zones (max − min ≤ 1), nothing lost', async ({ load }) => {
    const rec = zoneRecorder();
    const r = await runScenario(load(), { strategy: rec.factory, http: false });
    expect(r.outcome).toBe('completed');
    expect(r.reason).not.toMatch(/unbalanced/);
    expect(Object.keys(rec.zones).sort()).toEqual(['data', 'master']);
    for (const counts of Object.values(rec.zones)) {
      expect(Object.keys(counts).length).toBeGreaterThan(1);
      expect(spread(counts)).toBeLessThanOrEqual(1);
    }
    // The order of replacement keeps the zones balanced: no zone-rebalance cycle (one extra drain each) was needed.
    expect(rebalanceSurges(r)).toBe(0);
    expect({
      documentsLost: r.documentsLost,
      secondsRed: r.secondsRed,
      secondsWithoutMaster: r.secondsWithoutMaster,
    }).toEqual({ documentsLost: 0, secondsRed: 0, secondsWithoutMaster: 0 });
    // AZRebalance was resumed on both groups once they were balanced.
    expect(actions(r).filter((a) => a === 'resume-processes')).toHaveLength(2);
  });
});
