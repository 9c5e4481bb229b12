/**
 * in-flight-tasks end to end in the simulator (issue #23): the real orchestrator (adapter, client, decide) and the
 * simulator's `task` fault. A reindex on a data node holds that node's termination until the task ends (the bound
 * and the tasks Elasticsearch resumes by itself are tested on the core, in-flight-tasks.test.ts: the adapter does not
 * list persistent tasks).
 */
import { parseScenario, runScenario } from '../../sim';
import type { Report } from '../../sim';
import { orchestratorWith } from '../../sim/strategies/orchestrator';
import { instanceIdOf } from '../../sim/fault-schema';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { rollStatus, simTarget } from '../../lib/rolling-replacement/rollctl';

const GiB = 1024 ** 3;
/** The first data node (3 masters come first). */
const DATA1 = instanceIdOf(4);

function scenario(name: string, faults: unknown[]) {
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
      },
      change: { version: '8.19.3' },
      faults,
      limits: { maxSimulatedSeconds: 172800 },
    },
    name,
  );
}

const terminatedAt = (r: Report, node: string) =>
  r.steps.find((s) => s.action === 'terminate' && s.node === node)?.t ?? Number.NaN;
const waits = (r: Report) => r.steps.filter((s) => s.action === 'wait-for-tasks (in-flight-tasks)');

describe('in-flight-tasks in the simulator', () => {
  const reindex = { kind: 'task', at: 0, node: DATA1, action: 'indices:data/write/reindex', seconds: 5 * 3600 };

  test('a reindex on a data node: the roll waits for it and terminates the node only after it ends', async () => {
    const r = await runScenario(scenario('reindex', [reindex]), {
      strategy: orchestratorWith({ inFlightTaskTimeoutSeconds: 3600 }),
    });
    expect(r.outcome).toBe('completed');
    expect(r.tasksKilled).toBe(0);
    expect(r.documentsLost).toBe(0);
    expect(r.secondsRed).toBe(0);
    expect(r.terminatedInstances).toContain(DATA1);
    // The bound (1 h) passed long before the task's end (5 h), but Elasticsearch does not resume a reindex.
    expect(terminatedAt(r, DATA1)).toBeGreaterThanOrEqual(5 * 3600);
    const w = waits(r).filter((s) => s.node === DATA1);
    expect(w.length).toBeGreaterThan(0);
    expect(w[0]!.reason).toMatch(/indices:data\/write\/reindex .*waiting for them to finish/);
    // The node with the task goes last: the other data nodes were not held by it.
    expect(terminatedAt(r, instanceIdOf(5))).toBeLessThan(3600);
    expect(terminatedAt(r, instanceIdOf(6))).toBeLessThan(3600);
  });

  test('without the wait (terminate and wait for green) the same reindex is killed', async () => {
    const r = await runScenario(scenario('reindex-naive', [reindex]), { strategy: 'terminate-and-wait-green' });
    expect(r.tasksKilled).toBe(1);
  });

  test('with the volume handoff too: the node with the reindex is stopped only after the task ended', async () => {
    const sc = parseScenario(
      {
        name: 'handoff-task',
        seed: 7,
        model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
        cluster: {
          version: '8.18.2',
          masters: 3,
          dataNodes: 3,
          diskBytesPerDataNode: 200 * GiB,
          dataVolumes: 'own',
          indices: [{ name: 'logs-a', shards: 3, replicas: 1, docs: 3_000_000, bytes: 24 * GiB }],
        },
        change: { version: '8.19.3' },
        rollout: { method: 'handoff' },
        faults: [{ ...reindex, seconds: 2 * 3600 }],
        limits: { maxSimulatedSeconds: 172800 },
      },
      'handoff-task',
    );
    const r = await runScenario(sc, { http: false });
    expect(r.outcome).toBe('completed');
    expect(r.tasksKilled).toBe(0);
    const stop = r.steps.find((s) => s.action === 'handoff-stop' && s.node === DATA1);
    expect(stop).toBeDefined();
    expect(stop!.t).toBeGreaterThanOrEqual(2 * 3600);
  });
});

describe('snapshot shards in progress in the simulator (issue #23)', () => {
  const GiBps = (gib: number, seconds: number) => (gib * GiB) / seconds;
  const handoffScenario = (name: string) =>
    parseScenario(
      {
        name,
        seed: 7,
        model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
        cluster: {
          version: '8.18.2',
          masters: 3,
          dataNodes: 3,
          diskBytesPerDataNode: 200 * GiB,
          dataVolumes: 'own',
          indices: [{ name: 'logs-a', shards: 3, replicas: 1, docs: 3_000_000, bytes: 24 * GiB }],
        },
        change: { version: '8.19.3' },
        rollout: { method: 'handoff' },
        // Each 8 GiB primary takes 2 h to snapshot.
        faults: [{ kind: 'snapshot', at: 0, repository: 'backups', name: 'nightly', bytesPerSecond: GiBps(8, 7200) }],
        limits: { maxSimulatedSeconds: 172800 },
      },
      name,
    );

  test('a handoff stops a node only once the shard snapshots on it are done: the snapshot succeeds', async () => {
    const r = await runScenario(handoffScenario('handoff-snapshot'), { http: false });
    expect(r.outcome).toBe('completed');
    expect(r.steps.filter((s) => s.action === 'sim:snapshot-shard-failed')).toEqual([]);
    const stops = r.steps.filter((s) => s.action === 'handoff-stop');
    expect(stops.length).toBe(3);
    expect(Math.min(...stops.map((s) => s.t))).toBeGreaterThanOrEqual(7200);
    const w = waits(r);
    expect(w.length).toBeGreaterThan(0);
    expect(w[0]!.reason).toMatch(/snapshot shard \(backups:nightly\[logs-a\]\[\d\] STARTED/);
  });

  test('a strategy that does not look (terminate and wait for green) fails the shard snapshots', async () => {
    const r = await runScenario(handoffScenario('naive-snapshot'), { strategy: 'terminate-and-wait-green' });
    expect(r.steps.filter((s) => s.action === 'sim:snapshot-shard-failed').length).toBeGreaterThan(0);
  });

  test('roll status says the roll waits for the shard snapshots on the node (blocked by in-flight-tasks)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-snap-'));
    const file = path.join(dir, 'handoff-snapshot.json');
    fs.writeFileSync(file, JSON.stringify(handoffScenario('status-snapshot')));
    const t = await simTarget(file, 900);
    const out = await rollStatus(t);
    await t.close();
    fs.rmSync(dir, { recursive: true });
    expect(out).toMatch(/next: wait-for-tasks i-0+\d .*snapshot shard \(backups:nightly\[logs-a\]\[\d\] STARTED/);
    expect(out).toContain('blocked by: in-flight-tasks');
  });
});
