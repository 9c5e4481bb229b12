/**
 * End to end in the simulator (issue 12, finding 8): a recovery that cannot happen (an index's allocation disabled for
 * replicas, then a node lost) is reported as drain-stalled with the decider named, the roll keeps waiting and removes
 * nothing; once the operator sets the index back, it completes.
 */
import { parseScenario, runScenario } from '../../sim';
import type { Report } from '../../sim';
import { orchestratorWith } from '../../sim/strategies/orchestrator';

const GiB = 1024 ** 3;
const INDEX = 'logs-2026.11.19';
const ENABLE = { kind: 'index-setting', index: INDEX, key: 'index.routing.allocation.enable' };
/** Between the first and the second data replacement: someone disables replica allocation and terminates a node. */
const FAULTS = [
  { ...ENABLE, at: 700, value: 'primaries' },
  { kind: 'terminate', at: 700, node: 'i-00000000000000004' },
];

function run(faults: Record<string, unknown>[], seconds: number) {
  const scenario = parseScenario(
    {
      name: 'recovery-stall',
      seed: 3,
      model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
      cluster: {
        version: '8.18.2',
        masters: 3,
        dataNodes: 3,
        diskBytesPerDataNode: 200 * GiB,
        indices: [{ name: INDEX, shards: 3, replicas: 1, docs: 3_000_000, bytes: 24 * GiB }],
      },
      change: { version: '8.19.3' },
      limits: { maxSimulatedSeconds: seconds },
      faults,
    },
    'recovery-stall',
  );
  return runScenario(scenario, { http: false, strategy: orchestratorWith({ stallSeconds: 1200 }) });
}

const stalled = (r: Report) => r.steps.filter((s) => s.action === 'wait (drain-stalled)');

describe('a stalled recovery in the simulator', () => {
  test('replica allocation disabled on the index, a node lost: drain-stalled names enable and the fix; nothing more removed', async () => {
    const r = await run(FAULTS, 3500);
    expect({ outcome: r.outcome, documentsLost: r.documentsLost, secondsRed: r.secondsRed }).toEqual({
      outcome: 'timed-out',
      documentsLost: 0,
      secondsRed: 0,
    });
    const s = stalled(r);
    expect(s.length).toBeGreaterThan(0);
    expect(s[0]!.reason).toMatch(
      new RegExp(
        `the recovery of \\[${INDEX}\\]\\[\\d\\] replica .*made no progress for \\d+ s .*enable: allocation is ` +
          `disabled \\(cluster.routing.allocation.enable, or index.routing.allocation.enable of ${INDEX}\\); what to do`,
      ),
    );
    // Named once the wait for the recovery passed stallSeconds, not before.
    const firstWait = r.steps.find((x) => x.action === 'wait (cluster-green-or-version-yellow)')!;
    expect(firstWait.reason).toMatch(/yellow and allocation is refused/);
    expect(s[0]!.t - firstWait.t).toBeGreaterThanOrEqual(1200);
    // Still waiting at the end; only the first drained node and the one someone terminated are gone.
    expect(r.steps.filter((x) => !x.action.startsWith('sim:')).at(-1)!.action).toBe('wait (drain-stalled)');
    expect(r.terminatedInstances).toEqual(['i-00000000000000005', 'i-00000000000000004']);
  });

  test('the operator enables allocation again: the replicas recover and the roll completes', async () => {
    const r = await run([...FAULTS, { ...ENABLE, at: 3500, value: null }], 40_000);
    expect({ outcome: r.outcome, documentsLost: r.documentsLost, secondsRed: r.secondsRed }).toEqual({
      outcome: 'completed',
      documentsLost: 0,
      secondsRed: 0,
    });
    expect(stalled(r).length).toBeGreaterThan(0);
    expect(r.finalVersions).toEqual({ '8.19.3': 6 });
  });
});
