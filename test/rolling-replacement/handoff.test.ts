/**
 * Volume handoff (rollout.method handoff / auto) end to end in the simulator: the real orchestrator (adapter, client,
 * fleet port, decide) against simulated data volumes that outlive their instances.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseScenario, runScenario } from '../../sim';
import type { Report } from '../../sim';

const GiB = 1024 ** 3;

function scenario(o: { rollout?: Record<string, unknown>; dataVolumes?: string; indices?: unknown[] } = {}) {
  return parseScenario(
    {
      name: 'handoff',
      seed: 7,
      model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
      cluster: {
        version: '8.18.2',
        masters: 3,
        dataNodes: 3,
        diskBytesPerDataNode: 400 * GiB,
        dataVolumes: o.dataVolumes ?? 'own',
        indices: o.indices ?? [{ name: 'logs-a', shards: 3, replicas: 1, docs: 30_000_000, bytes: 150 * GiB }],
      },
      change: { version: '8.19.3' },
      rollout: o.rollout ?? { method: 'handoff' },
      faults: [{ kind: 'write-load', from: 0, to: 36000, docsPerSecond: 500, index: 'logs-a' }],
      limits: { maxSimulatedSeconds: 172800 },
    },
    'handoff',
  );
}

const stored = 150 * GiB * 2;
const methods = (r: Report) => Object.values(r.method).sort();
const safe = (r: Report) => ({
  outcome: r.outcome,
  documentsLost: r.documentsLost,
  secondsRed: r.secondsRed,
  secondsWithoutMaster: r.secondsWithoutMaster,
  volumesOrphaned: r.volumesOrphaned,
});
const SAFE = { outcome: 'completed', documentsLost: 0, secondsRed: 0, secondsWithoutMaster: 0, volumesOrphaned: 0 };

describe('volume handoff', () => {
  test('data nodes keep their volumes and replay only what changed; masters surge as before', async () => {
    const r = await runScenario(scenario(), { http: false });
    expect(safe(r)).toEqual(SAFE);
    expect(r.finalVersions).toEqual({ '8.19.3': 6 });
    expect(methods(r)).toEqual(['drain', 'drain', 'drain', 'handoff', 'handoff', 'handoff']);
    // Each replacement attached the volume of the node it replaces, in the same zone.
    expect(r.steps.filter((s) => s.action === 'sim:volume-attached')).toHaveLength(3);
    // Only the writes made while a node was away are copied, not the 300 GiB the nodes hold.
    expect(r.bytesRecovered).toBeGreaterThan(0);
    expect(r.bytesRecovered / stored).toBeLessThan(0.02);
    // Allocation is limited to primaries while a node is away and enabled again after: the order of the steps.
    const order = r.steps
      .filter((s) => s.action.startsWith('handoff-'))
      .slice(0, 4)
      .map((s) => s.action);
    expect(order).toEqual(['handoff-begin', 'handoff-stop', 'handoff-rejoined', 'handoff-done']);
  });

  test('is many times faster than drain on the same cluster', async () => {
    const handoff = await runScenario(scenario(), { http: false });
    const drain = await runScenario(scenario({ rollout: { method: 'drain' } }), { http: false });
    expect(safe(drain)).toEqual(SAFE);
    expect(methods(drain)).toEqual(Array(6).fill('drain'));
    expect(drain.bytesRecovered / stored).toBeGreaterThan(0.95);
    expect(handoff.simulatedSeconds).toBeLessThan(drain.simulatedSeconds / 3);
  });

  test('auto drains a node holding a shard without a replica, and hands off the others', async () => {
    const r = await runScenario(
      scenario({
        rollout: { method: 'auto' },
        indices: [
          { name: 'logs-a', shards: 3, replicas: 1, docs: 30_000_000, bytes: 150 * GiB },
          { name: 'scratch', shards: 1, replicas: 0, docs: 1000, bytes: GiB },
        ],
      }),
      { http: false },
    );
    expect(safe(r)).toEqual(SAFE);
    expect(methods(r)).toEqual(['drain', 'drain', 'drain', 'drain', 'handoff', 'handoff']);
    const surge = r.steps.find((s) => s.action === 'surge' && s.node === 'elk-data');
    expect(surge).toBeDefined();
    expect(r.steps.some((s) => s.action === 'exclude')).toBe(true);
  });

  test('with launch-template volumes (the stack today) auto drains every node', async () => {
    const r = await runScenario(scenario({ rollout: { method: 'auto' }, dataVolumes: 'launch-template' }), {
      http: false,
    });
    expect(safe(r)).toEqual(SAFE);
    expect(methods(r)).toEqual(Array(6).fill('drain'));
    expect(r.steps.some((s) => s.action.startsWith('handoff'))).toBe(false);
  });

  test('survives a replacement that fails to boot on the volume, an orchestrator crash and ES timeouts', async () => {
    // upgrade-6-data-nodes: crash-orchestrator at 5400 s, fail-boot of the first replacement, es-timeouts 3000-3300 s.
    const file = path.join(__dirname, '..', '..', 'sim', 'scenarios', 'upgrade-6-data-nodes.json');
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { cluster: object; faults: object[] };
    const r = await runScenario(
      parseScenario(
        {
          ...raw,
          cluster: { ...raw.cluster, dataVolumes: 'own' },
          faults: raw.faults.filter((f) => (f as { kind: string }).kind !== 'kill-node'),
          rollout: { method: 'handoff' },
        },
        'faults',
      ),
      { http: false },
    );
    expect(safe(r)).toEqual(SAFE);
    expect(methods(r).filter((m) => m === 'handoff')).toHaveLength(6);
    // The failed replacement attached the volume; its successor attached it again once it was free.
    const attached = r.steps.filter((s) => s.action === 'sim:volume-attached').map((s) => s.reason.split(' ')[0]);
    expect(attached.length).toBe(7);
    expect(new Set(attached).size).toBe(6);
    // Nothing was copied in full: 600 GiB primaries, 1.2 TiB stored.
    expect(r.bytesRecovered).toBeLessThan(0.02 * 1.2 * 1024 ** 4);
  });
});
