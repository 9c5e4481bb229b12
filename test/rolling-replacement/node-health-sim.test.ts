/**
 * Issue 12, finding 7, end to end in the simulator: Elasticsearch stops on an instance that EC2 still reports
 * InService and Healthy (`es-process-down` without a restart). Auto Scaling's EC2 health check cannot see it.
 * - Inside a roll: before, the roll waited for ever for the node ("has not joined the cluster"); now the roll marks
 *   the instance Unhealthy after rollout.nodeDownMinutes, Auto Scaling replaces it like a killed node, and the roll
 *   completes.
 * - Outside a roll: the periodic node health check (the real nodeHealthCheck, adapter and client over the simulator)
 *   marks it, and the cluster is back to its full size; nothing is lost.
 */
import { ElasticsearchAdapter } from '../../lambda/rolling-replacement/adapters/elasticsearch';
import { nodeHealthCheck } from '../../lambda/rolling-replacement/node-health';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { parseScenario, runScenario } from '../../sim';
import { instanceIdOf } from '../../sim/fault-schema';
import { createSimulation } from '../../sim/runner';
import { clientFor, orchestratorWith } from '../../sim/strategies/orchestrator';

const GiB = 1024 ** 3;

function scenario(
  faults: unknown[],
  change: Record<string, unknown> = { version: '8.19.3' },
  version = '8.18.2',
  maxSimulatedSeconds = 40000,
) {
  return parseScenario(
    {
      name: 'node-down',
      seed: 7,
      model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
      cluster: {
        version,
        masters: 3,
        dataNodes: 3,
        diskBytesPerDataNode: 200 * GiB,
        indices: [{ name: 'logs-2026.11.19', shards: 3, replicas: 1, docs: 3_000_000, bytes: 24 * GiB }],
      },
      change,
      limits: { maxSimulatedSeconds },
      faults,
    },
    'node-down',
  );
}

describe('inside a roll', () => {
  test.each([
    ['a surge node that had joined', { kind: 'es-process-down', at: 900, role: 'data' }],
    ['an outdated master', { kind: 'es-process-down', at: 600, node: instanceIdOf(2) }],
  ])('Elasticsearch stops for good on %s: marked Unhealthy, replaced, and the roll completes', async (_n, fault) => {
    const r = await runScenario(scenario([fault]), { http: false });
    expect({ outcome: r.outcome, documentsLost: r.documentsLost, secondsRed: r.secondsRed }).toEqual({
      outcome: 'completed',
      documentsLost: 0,
      secondsRed: 0,
    });
    expect(r.finalVersions).toEqual({ '8.19.3': 6 });
    const down = r.steps.find((s) => s.action === 'sim:es-process-down')!;
    const marks = r.steps.filter((s) => s.action.startsWith('mark-unhealthy'));
    expect(marks).toHaveLength(1);
    expect(marks[0]!.node).toBe(down.node);
    expect(marks[0]!.action).toBe('mark-unhealthy (node-down)');
    // Not before the bound (900 s by default), counted from when the roll first saw it missing.
    expect(marks[0]!.t - down.t).toBeGreaterThanOrEqual(900);
    expect(r.steps.some((s) => s.action === 'sim:asg-replace-unhealthy' && s.node === down.node)).toBe(true);
  });

  test('with rollout.nodeDownMinutes 0 (off) the roll waits for the node instead, as before', async () => {
    const r = await runScenario(
      scenario([{ kind: 'es-process-down', at: 900, role: 'data' }], undefined, undefined, 6000),
      {
        http: false,
        strategy: orchestratorWith({ nodeDownSeconds: 0 }),
      },
    );
    expect(r.outcome).toBe('timed-out');
    expect(r.steps.some((s) => s.action.startsWith('mark-unhealthy'))).toBe(false);
  });
});

describe('outside a roll: the periodic node health check', () => {
  async function play(faults: unknown[], seconds: number, downSeconds = 900) {
    const sim = createSimulation(scenario(faults, { ami: 'ami-same' }, '8.19.3'));
    const es = new ElasticsearchAdapter(clientFor(sim.strategyWorld()));
    const groups = sim.world.groupNames;
    const log: Record<string, unknown>[] = [];
    // Each line also says how many nodes were cluster members when it was decided.
    const members = () => sim.world.cluster.joinedNodes().length;
    for (let t = 0; t <= seconds; t += 300) {
      sim.world.advanceTo(t);
      await nodeHealthCheck({
        es,
        fleet: sim.fleet,
        groups,
        downSeconds,
        now: sim.world.now,
        log: (l) => log.push({ ...l, members: members() }),
      });
    }
    return { sim, log };
  }

  test('a data node whose Elasticsearch stopped is replaced after the bound; nothing lost, back to full size', async () => {
    const victim = instanceIdOf(5);
    const { sim, log } = await play([{ kind: 'es-process-down', at: 600, node: victim }], 4 * 3600);
    const marked = log.filter((l) => l.nodeHealth === 'mark');
    expect(marked).toHaveLength(1);
    expect(marked[0]!.node).toBe(victim);
    expect(sim.world.terminated).toEqual([victim]);
    expect(sim.world.cluster.documentsLost).toBe(0);
    expect(sim.world.secondsRed).toBe(0);
    expect(sim.world.cluster.joinedNodes()).toHaveLength(6);
    const [data] = await sim.fleet.describeGroups([sim.world.groupNames.data]);
    expect(data!.tags[TAG.nodeMissing] ?? '-').toBe('-');
  });

  test('a node back before the bound (a restart) is never marked', async () => {
    const { sim, log } = await play([{ kind: 'es-process-down', at: 600, node: instanceIdOf(5), for: 400 }], 3 * 3600);
    expect(log.some((l) => l.nodeHealth === 'mark')).toBe(false);
    expect(sim.world.terminated).toEqual([]);
  });

  test('two nodes down: one replacement at a time, the second only once the first replacement joined', async () => {
    const { sim, log } = await play(
      [
        { kind: 'es-process-down', at: 600, node: instanceIdOf(4) },
        { kind: 'es-process-down', at: 700, node: instanceIdOf(1) },
      ],
      4 * 3600,
    );
    const marks = log.filter((l) => l.nodeHealth === 'mark');
    expect(marks.map((l) => l.node)).toEqual([instanceIdOf(4), instanceIdOf(1)]);
    // The first while both were out (4 of 6 members); the second once the first replacement had joined (5 of 6).
    expect(marks.map((l) => l.members)).toEqual([4, 5]);
    expect(sim.world.cluster.joinedNodes()).toHaveLength(6);
    expect(log.some((l) => /one replacement at a time/.test(String(l.reason)))).toBe(true);
    expect(sim.world.cluster.documentsLost).toBe(0);
  });

  test('a zero-replica index on the stopped node (red): never marked, its only copy stays on the volume', async () => {
    const sim = createSimulation(
      parseScenario(
        {
          name: 'red',
          seed: 7,
          model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
          cluster: {
            version: '8.19.3',
            masters: 3,
            dataNodes: 3,
            diskBytesPerDataNode: 200 * GiB,
            indices: [{ name: 'scratch', shards: 3, replicas: 0, docs: 30_000, bytes: 3 * GiB }],
          },
          change: { ami: 'ami-same' },
          faults: [{ kind: 'es-process-down', at: 600, node: instanceIdOf(5) }],
        },
        'red',
      ),
    );
    const es = new ElasticsearchAdapter(clientFor(sim.strategyWorld()));
    const log: Record<string, unknown>[] = [];
    for (let t = 0; t <= 3 * 3600; t += 300) {
      sim.world.advanceTo(t);
      await nodeHealthCheck({
        es,
        fleet: sim.fleet,
        groups: sim.world.groupNames,
        downSeconds: 900,
        now: t,
        log: (l) => log.push(l),
      });
    }
    expect(sim.world.terminated).toEqual([]);
    expect(sim.world.cluster.documentsLost).toBe(0);
    expect(log.at(-1)!.reason).toMatch(/the cluster is red/);
  });
});
