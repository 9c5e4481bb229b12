/**
 * Issue #16 end to end in the simulator: someone else terminates an Elasticsearch instance (`terminate`, `scale-in`
 * faults). Without the termination hook the node's copies go with it: a zero-replica index loses documents. With the
 * hook, the drain workflow (real drainStep, adapter and client, one execution per instance) drains first: nothing
 * lost, never red, never without a master, and the instance terminates only after its drain.
 */
import { parseScenario } from '../../sim';
import { instanceIdOf } from '../../sim/fault-schema';
import { playWithHook } from '../../sim/hook-drain';
import { createSimulation } from '../../sim/runner';

const GiB = 1024 ** 3;
const DATA1 = instanceIdOf(4);

function sim(faults: unknown[]) {
  return createSimulation(
    parseScenario(
      {
        name: 'hook',
        seed: 5,
        model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
        cluster: {
          version: '8.19.3',
          masters: 3,
          dataNodes: 3,
          diskBytesPerDataNode: 200 * GiB,
          indices: [
            { name: 'logs-replicated', shards: 3, replicas: 1, docs: 600_000, bytes: 6 * GiB },
            { name: 'scratch-no-replica', shards: 3, replicas: 0, docs: 90_000, bytes: 3 * GiB },
          ],
        },
        change: { ami: 'ami-same' },
        faults,
      },
      'hook',
    ),
  );
}

const outcome = (s: ReturnType<typeof sim>) => ({
  documentsLost: s.world.cluster.documentsLost,
  secondsRed: s.world.secondsRed,
  secondsWithoutMaster: s.world.secondsWithoutMaster,
});

const FAULTS: Record<string, unknown[]> = {
  'terminate (an operator, no decrement)': [{ kind: 'terminate', at: 300, node: DATA1 }],
  'scale-in (a capacity change outside the app)': [{ kind: 'scale-in', at: 300, role: 'data', count: 1 }],
};

describe.each(Object.entries(FAULTS))('%s', (_name, faults) => {
  test('without the hook, the zero-replica index loses documents', async () => {
    const s = sim(faults);
    await playWithHook(s, 3600, { hook: false });
    expect(s.world.terminated).toHaveLength(1);
    expect(s.world.cluster.documentsLost).toBeGreaterThan(0);
    expect(s.world.secondsRed).toBeGreaterThan(0);
  });

  test('with the hook: 0 lost, 0 s red, 0 s without master; the instance terminates after its drain', async () => {
    const s = sim(faults);
    const drain = (await playWithHook(s, 3 * 3600, { hook: true, pollSeconds: 30 }))!;
    expect(outcome(s)).toEqual({ documentsLost: 0, secondsRed: 0, secondsWithoutMaster: 0 });
    const [victim] = s.world.terminated;
    expect(s.world.instances.get(victim!)!.lifecycle).toBe('Terminated');
    expect(s.world.cluster.nodes.get(victim!)?.state ?? 'gone').toBe('gone');
    const executions = [...drain.executions.values()];
    expect(executions.map((x) => x.state.instanceId)).toEqual([victim]);
    const x = executions[0]!;
    const kinds = x.decisions.map((d) => d.kind);
    expect(kinds[0]).toBe('exclude');
    expect(kinds).toContain('complete');
    expect(x.state.drained).toBe(true);
    expect(x.done).toBe(true);
    // Its exclusion was removed once it had left.
    expect(kinds.at(-2)).toBe('cleanup');
    expect(drain.metrics).toEqual(['DrainedTerminations']);
    // The node left the cluster only after the drain completed.
    const left = s.world.notes.find((n) => n.node === victim && /terminated|shutdown|left/.test(n.action));
    const completedAt = x.decisions.find((d) => d.kind === 'complete')!.t;
    if (left) expect(left.t).toBeGreaterThanOrEqual(completedAt);
  });
});

describe('one drain per node', () => {
  test('a repeated lifecycle event starts nothing: one execution per instance and lifecycle action', async () => {
    const s = sim([{ kind: 'terminate', at: 300, node: DATA1 }]);
    const drain = (await playWithHook(s, 400, { hook: true }))!;
    drain.start(DATA1);
    drain.start(DATA1);
    expect(drain.executions.size).toBe(1);
    expect(drain.duplicateStarts).toBeGreaterThanOrEqual(2);
  });

  test('a long drain is kept alive by heartbeats past the heartbeat timeout', async () => {
    // A 60 s heartbeat timeout (a heartbeat due at every step): the drain takes longer, yet it completes, drained.
    const s = sim([{ kind: 'terminate', at: 300, node: DATA1 }]);
    const drain = (await playWithHook(s, 3 * 3600, { hook: true, heartbeatTimeoutSeconds: 60, pollSeconds: 15 }))!;
    const x = [...drain.executions.values()][0]!;
    const kinds = x.decisions.map((d) => d.kind);
    expect(kinds).toContain('heartbeat');
    expect(x.decisions.find((d) => d.kind === 'complete')!.t - x.state.startedAt).toBeGreaterThan(60);
    expect(x.state.drained).toBe(true);
    expect(s.world.notes.some((n) => n.action === 'hook-timeout')).toBe(false);
    expect(s.world.cluster.documentsLost).toBe(0);
  });
});
