/**
 * Parallel drains (rollout.maxSurge) end to end in the simulator: the real orchestrator against the simulated cluster,
 * with an observer that checks the invariants after every step through the same adapter the orchestrator uses.
 */
import { ElasticsearchAdapter } from '../../lambda/rolling-replacement/adapters/elasticsearch';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { isUnknown } from '../../lambda/rolling-replacement/core/types';
import { parseScenario, runScenario } from '../../sim';
import type { Report } from '../../sim';
import { clientFor, orchestratorStrategy } from '../../sim/strategies/orchestrator';
import type { StrategyFactory } from '../../sim/strategy';

const GiB = 1024 ** 3;

function scenario(rollout: Record<string, unknown>, dataNodes = 6) {
  return parseScenario(
    {
      name: `parallel-${JSON.stringify(rollout)}`,
      seed: 5,
      model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
      cluster: {
        version: '8.18.2',
        masters: 3,
        dataNodes,
        diskBytesPerDataNode: 400 * GiB,
        indices: [
          { name: 'logs-a', shards: 6, replicas: 1, docs: 6_000_000, bytes: 120 * GiB },
          { name: 'logs-b', shards: 3, replicas: 1, docs: 3_000_000, bytes: 30 * GiB },
        ],
      },
      change: { version: '8.19.3' },
      rollout,
      limits: { maxSimulatedSeconds: 172800 },
    },
    'parallel',
  );
}

interface Seen {
  /** Most data nodes excluded by the rollout at once. */
  maxDraining: number;
  /** Shards seen with two copies on draining nodes, as "[index][n]". */
  sharedShards: Set<string>;
  maxDataDesired: number;
  maxMasterDesired: number;
  dataZonesAtEnd: Record<string, number>;
}

/** The orchestrator with an observer after each of its steps. */
function observed(): { factory: StrategyFactory; seen: Seen } {
  const seen: Seen = {
    maxDraining: 0,
    sharedShards: new Set(),
    maxDataDesired: 0,
    maxMasterDesired: 0,
    dataZonesAtEnd: {},
  };
  const factory: StrategyFactory = {
    ...orchestratorStrategy,
    create: (options) => {
      const inner = orchestratorStrategy.create(options);
      let adapter: ElasticsearchAdapter | undefined;
      return {
        step: async (world) => {
          const r = await inner.step(world);
          adapter ??= new ElasticsearchAdapter(clientFor(world));
          const es = await adapter.observe();
          const groups = await world.fleet.describeGroups([world.groups.data, world.groups.master]);
          const data = groups.find((g) => g.role === 'data')!;
          const master = groups.find((g) => g.role === 'master')!;
          seen.maxDataDesired = Math.max(seen.maxDataDesired, data.desiredCapacity);
          seen.maxMasterDesired = Math.max(seen.maxMasterDesired, master.desiredCapacity);
          if (!isUnknown(es)) {
            const ours = (data.tags[TAG.excluded] ?? '').split(',').filter((n) => n.startsWith('i-'));
            const draining = new Set(es.allocationExcludeNames.filter((n) => ours.includes(n)));
            seen.maxDraining = Math.max(seen.maxDraining, draining.size);
            const onDraining = new Map<string, number>();
            for (const s of es.shards) {
              if (s.node === undefined || !draining.has(s.node)) continue;
              const key = `[${s.index}][${s.shard}]`;
              onDraining.set(key, (onDraining.get(key) ?? 0) + 1);
            }
            for (const [k, n] of onDraining) if (n > 1) seen.sharedShards.add(k);
          }
          if (r.done) {
            seen.dataZonesAtEnd = {};
            for (const i of data.instances) {
              if (['Terminating', 'Terminated'].includes(i.lifecycleState)) continue;
              seen.dataZonesAtEnd[i.availabilityZone] = (seen.dataZonesAtEnd[i.availabilityZone] ?? 0) + 1;
            }
          }
          return r;
        },
      };
    },
  };
  return { factory, seen };
}

const safe = (r: Report) => ({
  outcome: r.outcome,
  documentsLost: r.documentsLost,
  secondsRed: r.secondsRed,
  secondsWithoutMaster: r.secondsWithoutMaster,
});
const SAFE = { outcome: 'completed', documentsLost: 0, secondsRed: 0, secondsWithoutMaster: 0 };

describe('parallel drains (rollout.maxSurge)', () => {
  test('maxSurge 3 over 3 zones drains 3 data nodes at once, never two copies of a shard, masters one at a time', async () => {
    const one = await runScenario(scenario({ method: 'drain', maxSurge: 1 }), { http: false });
    const { factory, seen } = observed();
    const three = await runScenario(scenario({ method: 'drain', maxSurge: 3 }), { http: false, strategy: factory });
    expect(safe(one)).toEqual(SAFE);
    expect(safe(three)).toEqual(SAFE);
    expect(three.finalVersions).toEqual({ '8.19.3': 9 });
    expect(seen.maxDraining).toBe(3);
    expect([...seen.sharedShards]).toEqual([]);
    expect({ data: seen.maxDataDesired, master: seen.maxMasterDesired }).toEqual({ data: 9, master: 4 });
    expect(seen.dataZonesAtEnd).toEqual({ 'eu-west-1a': 2, 'eu-west-1b': 2, 'eu-west-1c': 2 });
    // Every replaced node was drained; two batches of three instead of six drains one by one.
    expect(Object.values(three.method)).toEqual(Array(9).fill('drain'));
    expect(three.steps.filter((s) => s.action === 'surge' && s.node === 'elk-data')).toHaveLength(2);
    expect(three.simulatedSeconds).toBeLessThan(0.6 * one.simulatedSeconds);
    // The same bytes move: each copy once.
    expect(three.bytesRecovered / one.bytesRecovered).toBeLessThan(1.05);
  });

  test('with Auto Scaling placing the surge, a maxSurge below the zone count surges one at a time (a batch could not keep the zones balanced)', async () => {
    const r = await runScenario(scenario({ method: 'drain', maxSurge: 2, surgePlacement: 'auto-scaling' }), {
      http: false,
    });
    expect(safe(r)).toEqual(SAFE);
    const surges = r.steps.filter((s) => s.action === 'surge' && s.node === 'elk-data');
    expect(surges).toHaveLength(6);
    for (const s of surges) expect(s.reason).toMatch(/launching one replacement/);
  });

  test('the scenario refuses a maxSurge above the data node count, naming the key', () => {
    expect(() => scenario({ maxSurge: 7 })).toThrow(/rollout\.maxSurge: is 7: at most cluster\.dataNodes \(6\)/);
    expect(() => scenario({ method: 'fast' })).toThrow(/rollout\.method/);
  });
});
