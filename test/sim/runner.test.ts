import { createSimulation, runScenario } from '../../sim/runner';
import { scenario } from './builders';

describe('runScenario', () => {
  it('gives a byte-identical report for the same scenario and seed', async () => {
    const s = scenario({
      model: { bootJitterSeconds: 20, nodeTimeoutSeconds: 7200 },
      faults: [{ kind: 'kill-node', at: 4000, role: 'data' }],
    });
    const a = await runScenario(s, { strategy: 'terminate-and-wait-green', seed: 5, http: false });
    const b = await runScenario(s, { strategy: 'terminate-and-wait-green', seed: 5, http: false });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('gives a different run for a different seed when randomness is involved', async () => {
    const s = scenario({ model: { bootJitterSeconds: 20 } });
    const a = await runScenario(s, { strategy: 'cfn-rolling-update', seed: 1, http: false });
    const b = await runScenario(s, { strategy: 'cfn-rolling-update', seed: 2, http: false });
    expect(a.simulatedSeconds).not.toBe(b.simulatedSeconds);
  });

  it('cfn-rolling-update loses documents on replicas:1 and the report shows which primaries were lost', async () => {
    const s = scenario({
      cluster: {
        dataNodes: 4,
        indices: [{ name: 'logs', shards: 8, replicas: 1, docs: 8_000_000, bytes: 400 * 1024 ** 3 }],
      },
    });
    const r = await runScenario(s, { strategy: 'cfn-rolling-update', http: false });
    expect(r.outcome).toBe('completed');
    expect(r.documentsLost).toBeGreaterThan(0);
    expect(r.primariesLost).toBeGreaterThan(0);
    expect(r.documentsLost).toBe(r.primariesLost * 1_000_000);
    expect(r.secondsRed).toBeGreaterThan(0);
    expect(r.steps.filter((st) => st.action === 'sim:primary-lost')).toHaveLength(r.primariesLost);
  });

  it('terminate-and-wait-green replaces every node without losing documents, at the price of time under-replicated', async () => {
    const s = scenario({ cluster: { dataNodes: 4 } });
    const r = await runScenario(s, { strategy: 'terminate-and-wait-green', http: false });
    expect(r).toMatchObject({
      outcome: 'completed',
      documentsLost: 0,
      primariesLost: 0,
      nodesReplaced: { master: 3, data: 4 },
    });
    expect(r.finalVersions).toEqual({ '8.19.3': 7 });
    expect(r.secondsUnderReplicated).toBeGreaterThan(0);
    expect(r.terminatedInstances).toHaveLength(7);
  });

  it('uses the orchestrator strategy by default', async () => {
    const r = await runScenario(scenario({ limits: { maxSimulatedSeconds: 120 } }), { http: false });
    expect(r.strategy).toBe('orchestrator');
  });

  it('times out when the strategy never finishes within maxSimulatedSeconds', async () => {
    const never = {
      name: 'never',
      description: 'waits forever',
      create: () => ({ step: async () => ({ wakeAfterSeconds: 600 }) }),
    };
    const r = await runScenario(scenario({ limits: { maxSimulatedSeconds: 3000 } }), { strategy: never, http: false });
    expect(r).toMatchObject({ outcome: 'timed-out', simulatedSeconds: 3000 });
  });

  it('recreates the strategy at a crash-orchestrator fault, losing its in-memory state', async () => {
    let created = 0;
    const counting = {
      name: 'counting',
      description: 'counts instances',
      create: () => {
        created++;
        let steps = 0;
        return {
          step: async () =>
            ++steps > 100
              ? { wakeAfterSeconds: 1, done: { outcome: 'completed' as const, reason: 'x' } }
              : { wakeAfterSeconds: 60 },
        };
      },
    };
    const r = await runScenario(
      scenario({
        faults: [
          { kind: 'crash-orchestrator', at: 1800 },
          { kind: 'crash-orchestrator', at: 3000 },
        ],
      }),
      {
        strategy: counting,
        http: false,
      },
    );
    expect(created).toBe(3);
    expect(r.steps.filter((s) => s.action === 'sim:crash-orchestrator').map((s) => s.t)).toEqual([1800, 3000]);
    // 100 steps after the last restart at 3000 s, 60 s apart.
    expect(r.simulatedSeconds).toBeGreaterThanOrEqual(3000 + 100 * 60 - 60);
  });

  it('offers the same Elasticsearch answers in process as over HTTP, compatibility rule included', () => {
    const sw = createSimulation(scenario()).strategyWorld();
    const ok = sw.es!.handle!({ method: 'GET', url: '/_cluster/health' });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-elastic-product']).toBe('Elasticsearch');
    expect(JSON.parse(ok.body).status).toBe('green');
    const refused = sw.es!.handle!({
      method: 'GET',
      url: '/',
      headers: { accept: 'application/vnd.elasticsearch+json; compatible-with=9' },
    });
    expect(refused.status).toBe(400);
    expect(sw.es!.request('GET', '/_count').body).toMatchObject({ count: 6_000_000 });
  });
});
