/**
 * rollout.snapshotBeforeRoll end to end in the simulator: the stack's setup registers the repository and SLM policy
 * (sim/stack-setup.ts), the real orchestrator (adapter, client, decide) snapshots the cluster before it begins, waits
 * for it, and a crash of the orchestrator while the snapshot runs takes no second snapshot.
 */
import { Client } from '@elastic/elasticsearch';
import { createSnapshot, listPreRollSnapshots } from '../../lambda/rolling-replacement/adapters/snapshots';
import { createSimulation, parseScenario, runScenario } from '../../sim';
import type { Report } from '../../sim';
import type { World } from '../../sim/model/world';
import { Snapshots } from '../../sim/model/snapshots';
import { applyStackSnapshotSetup } from '../../sim/stack-setup';
import { clientFor } from '../../sim/strategies/orchestrator';
import { startEsServer } from '../../sim/es/server';
import { contractProblems } from '../../sim/es/contract/check';

const GiB = 1024 ** 3;
const SNAPSHOT = 'pre-roll-sim';

function scenario(faults: unknown[] = [], snapshotBeforeRoll = true) {
  return parseScenario(
    {
      name: 'pre-roll snapshot',
      seed: 3,
      model: { bootJitterSeconds: 0 },
      cluster: {
        version: '8.18.2',
        masters: 3,
        dataNodes: 3,
        diskBytesPerDataNode: 200 * GiB,
        // 3 primaries of 8 GiB, one per node: the snapshot takes 8 GiB / 40 MiB/s = 204.8 s.
        indices: [{ name: 'logs-2026.11.19', shards: 3, replicas: 1, docs: 3_000_000, bytes: 24 * GiB }],
      },
      change: { version: '8.19.3' },
      rollout: { snapshotBeforeRoll },
      faults,
    },
    'pre-roll snapshot',
  );
}

async function run(faults: unknown[] = [], snapshotBeforeRoll = true) {
  let world: World | undefined;
  const puts: string[] = [];
  const report = await runScenario(scenario(faults, snapshotBeforeRoll), {
    strategy: 'orchestrator',
    http: false,
    onStep: (w) => (world = w),
    onAnswer: (method, url, status) => {
      if (method === 'PUT' && url.startsWith('/_snapshot/')) puts.push(`${url.split('?')[0]} ${status}`);
    },
  });
  return { report, world: world!, puts };
}

const firstAt = (r: Report, action: string) => r.steps.find((s) => s.action === action)?.t;

describe('rollout.snapshotBeforeRoll in the simulator', () => {
  it('takes one snapshot of the whole cluster and begins only once it is SUCCESS', async () => {
    const { report, world, puts } = await run();
    expect(report.outcome).toBe('completed');
    expect(puts).toEqual([`/_snapshot/elk-cdk/${SNAPSHOT} 200`]);
    const [snap, ...others] = world.snapshots.list;
    expect(others).toEqual([]);
    expect(snap).toMatchObject({ repository: 'elk-cdk', name: SNAPSHOT, includeGlobalState: true });
    expect(snap!.indices).toEqual(['logs-2026.11.19']);
    expect(Snapshots.state(snap!, world.now)).toBe('SUCCESS');
    // The roll's first change (surge) comes after the snapshot's end, and the snapshot took its 204.8 s.
    const end = Snapshots.endedAt(snap!);
    expect(end - snap!.startedAt).toBeCloseTo(204.8, 0);
    expect(firstAt(report, 'surge')).toBeGreaterThanOrEqual(end);
    expect(report.steps.some((s) => s.action === 'wait (snapshot-before-roll)')).toBe(true);
    expect(report.nodesReplaced).toEqual({ master: 3, data: 3 });
  });

  it('over the HTTP face, the adapter with the official client: lists, creates once, every answer conforming', async () => {
    const sim = createSimulation(scenario());
    applyStackSnapshotSetup(sim.api, 'elk');
    const problems: string[] = [];
    const server = await startEsServer(sim.api, {
      afterRequest: (req, res) =>
        problems.push(
          ...contractProblems(req.method, req.url, res.status, res.body ? JSON.parse(res.body) : undefined),
        ),
    });
    const client = new Client({ node: server.url, maxRetries: 0 });
    try {
      expect(await listPreRollSnapshots(client, 'elk-cdk')).toEqual([]);
      await createSnapshot(client, 'elk-cdk', SNAPSHOT);
      await createSnapshot(client, 'elk-cdk', SNAPSHOT);
      expect(await listPreRollSnapshots(client, 'elk-cdk')).toEqual([
        { name: SNAPSHOT, state: 'IN_PROGRESS', totalShards: 3, successfulShards: 0, failedShards: 0 },
      ]);
      sim.world.advanceTo(1000);
      expect(await listPreRollSnapshots(client, 'elk-cdk')).toEqual([
        { name: SNAPSHOT, state: 'SUCCESS', totalShards: 3, successfulShards: 3, failedShards: 0 },
      ]);
      expect(sim.world.snapshots.list).toHaveLength(1);
      expect(problems).toEqual([]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('without the option takes none and begins at once', async () => {
    const { report, world, puts } = await run([], false);
    expect(report.outcome).toBe('completed');
    expect(puts).toEqual([]);
    expect(world.snapshots.list).toEqual([]);
    expect(world.snapshots.repositories.size).toBe(0);
    expect(firstAt(report, 'surge')).toBeLessThan(60);
  });

  it('an orchestrator crash right after the PUT and another while it runs: still one snapshot, one PUT', async () => {
    const { report, world, puts } = await run([
      { kind: 'crash-orchestrator', at: 1 },
      { kind: 'crash-orchestrator', at: 100 },
    ]);
    expect(report.outcome).toBe('completed');
    expect(report.steps.filter((s) => s.action === 'sim:crash-orchestrator')).toHaveLength(2);
    // The first crash falls after the PUT was answered, before the orchestrator looked again.
    expect(firstAt(report, 'create-snapshot (snapshot-before-roll)')).toBeLessThan(1);
    expect(puts).toEqual([`/_snapshot/elk-cdk/${SNAPSHOT} 200`]);
    expect(world.snapshots.list).toHaveLength(1);
    expect(firstAt(report, 'surge')).toBeGreaterThanOrEqual(Snapshots.endedAt(world.snapshots.list[0]!));
  });

  it('a data node lost while the snapshot runs makes it PARTIAL: the roll refuses to begin, nothing replaced', async () => {
    const { report, world } = await run([{ kind: 'kill-node', at: 60, role: 'data' }]);
    expect(report.outcome).toBe('failed');
    expect(report.reason).toMatch(/refusing to begin: snapshot elk-cdk\/pre-roll-sim is PARTIAL/);
    expect(world.snapshots.list).toHaveLength(1);
    // The orchestrator only snapshotted, waited and stopped (Auto Scaling replaced the lost node on its own).
    const own = new Set(report.steps.filter((s) => !s.action.startsWith('sim:')).map((s) => s.action.split(' ')[0]));
    expect([...own].sort()).toEqual(['create-snapshot', 'done', 'wait']);
  });

  it('a second PUT of the same name (a retry whose listing missed it) is accepted by the adapter, no new snapshot', async () => {
    const sim = createSimulation(scenario());
    applyStackSnapshotSetup(sim.api, 'elk');
    const client = clientFor(sim.strategyWorld());
    await createSnapshot(client, 'elk-cdk', SNAPSHOT);
    // Running: "already in-progress"; done: "already exists". Both are a retry, not an error.
    await expect(createSnapshot(client, 'elk-cdk', SNAPSHOT)).resolves.toBeUndefined();
    sim.world.advanceTo(1000);
    await expect(createSnapshot(client, 'elk-cdk', SNAPSHOT)).resolves.toBeUndefined();
    expect(sim.world.snapshots.list).toHaveLength(1);
    // A repository the setup did not register is an error the caller reports.
    await expect(createSnapshot(client, 'other', SNAPSHOT)).rejects.toThrow(/repository_missing_exception/);
  });
});
