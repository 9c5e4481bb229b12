/**
 * End to end in the simulator: the orchestrator among other actors (issue 12), with the simulator's fault kinds.
 */
import { parseScenario, runScenario } from '../../sim';
import type { Report } from '../../sim';

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
        ...cluster,
      },
      change: { version: '8.19.3' },
      limits: { maxSimulatedSeconds: 172800 },
      ...extra,
    },
    name,
  );
}

const sim = (r: Report, kind: string) => r.steps.filter((s) => s.action === `sim:${kind}`);

describe('Auto Scaling never picks a node by itself (finding 1)', () => {
  test.each([300, 900])(
    'someone lowers the data group by one at %i s: every instance is protected, nothing holding data is scaled in, the roll completes',
    async (at) => {
      // Without replicas a node picked by Auto Scaling takes its documents with it.
      const r = await runScenario(
        scenario(
          'scale-in',
          { faults: [{ kind: 'scale-in', at, role: 'data', count: 1 }] },
          {
            indices: [{ name: 'logs-2026.11.19', shards: 3, replicas: 0, docs: 3_000_000, bytes: 24 * GiB }],
          },
        ),
        { http: false },
      );
      expect({ outcome: r.outcome, documentsLost: r.documentsLost, secondsRed: r.secondsRed }).toEqual({
        outcome: 'completed',
        documentsLost: 0,
        secondsRed: 0,
      });
      // The only instance Auto Scaling may pick is one still booting (protection starts once InService): never an
      // initial node, which holds data.
      const initial = new Set(['i-00000000000000004', 'i-00000000000000005', 'i-00000000000000006']);
      for (const s of sim(r, 'asg-scale-in')) expect(initial.has(s.node!)).toBe(false);
      expect(r.finalVersions).toEqual({ '8.19.3': 6 });
      expect(r.steps.some((s) => s.action === 'protect')).toBe(true);
    },
  );
});

describe('a lowered count is a planned scale-in through the drain (finding 1)', () => {
  test('4 data nodes and 5 masters lowered to 3 + 3 during a version upgrade: drained, voting-excluded, nothing lost', async () => {
    const r = await runScenario(
      scenario(
        'planned-scale-in',
        { change: { version: '8.19.3', counts: { masters: 3, dataNodes: 3 } } },
        { masters: 5, dataNodes: 4 },
      ),
      { http: false },
    );
    expect({ outcome: r.outcome, documentsLost: r.documentsLost, secondsRed: r.secondsRed }).toEqual({
      outcome: 'completed',
      documentsLost: 0,
      secondsRed: 0,
    });
    expect(r.secondsWithoutMaster).toBeLessThanOrEqual(3 * 5); // at most one election per master replaced
    expect(r.finalVersions).toEqual({ '8.19.3': 6 });
    expect(r.steps.filter((s) => s.action === 'scale-in')).toHaveLength(3);
    expect(sim(r, 'asg-scale-in')).toEqual([]);
  });
});

describe('a voting exclusion that times out never leads to a terminate (finding 10)', () => {
  test('the voting configuration cannot change until 5000 s: no master is terminated before, the roll then completes', async () => {
    const until = 5000;
    const r = await runScenario(
      scenario('voting-exclusion-timeout', { faults: [{ kind: 'voting-exclusion-timeout', from: 0, to: until }] }),
      { http: false },
    );
    expect({ outcome: r.outcome, documentsLost: r.documentsLost, secondsRed: r.secondsRed }).toEqual({
      outcome: 'completed',
      documentsLost: 0,
      secondsRed: 0,
    });
    const masters = new Set(['i-00000000000000001', 'i-00000000000000002', 'i-00000000000000003']);
    const excluded = r.steps.find((s) => s.action === 'voting-exclusion')!;
    expect(excluded.t).toBeLessThan(until);
    // Excluded while the configuration could not change: it waits on the gate, and no master is terminated before.
    expect(r.steps.some((s) => s.action === 'wait (out-of-voting-configuration)' && s.t < until)).toBe(true);
    const masterTerminations = r.steps.filter((s) => s.action === 'terminate' && masters.has(s.node!));
    expect(masterTerminations).toHaveLength(3);
    for (const s of masterTerminations) expect(s.t).toBeGreaterThanOrEqual(until);
    expect(r.finalVersions).toEqual({ '8.19.3': 6 });
  });
});
