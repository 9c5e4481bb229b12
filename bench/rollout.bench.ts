/**
 * Rolling replacement side by side: orchestrator (with and without balancer control), terminate-and-wait-green and
 * cfn-rolling-update on the same simulated scenarios. Prints simulated duration, documents lost, bytes moved relative
 * to the bytes that had to move, duration relative to the one-node-at-a-time lower bound, and for the orchestrator
 * reconcile steps (= Lambda invocations) and Elasticsearch requests per replaced node. Nothing is asserted.
 * Goals for the orchestrator: 0 lost, bytes ratio ≤ 1.05, duration ratio ≤ 1.25.
 */
import { parseScenario, runScenario } from '../sim';
import type { Scenario } from '../sim';
import { STRATEGIES } from '../sim/strategies';
import { orchestratorStats, orchestratorWith } from '../sim/strategies/orchestrator';
import type { StrategyFactory } from '../sim/strategy';

const GiB = 1024 ** 3;

function scenario(name: string, change: Record<string, string>, dataNodes: number, gibPerNode: number): Scenario {
  // One index holding gibPerNode per data node with its replica (primaries = half of it), plus hourly indices.
  const bytes = Math.round((gibPerNode * dataNodes * GiB) / 2);
  return parseScenario(
    {
      name,
      seed: 11,
      model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
      cluster: {
        version: '8.18.2',
        masters: 3,
        dataNodes,
        diskBytesPerDataNode: 1024 * GiB,
        indices: [{ name: 'logs-2026.11.19', shards: dataNodes * 2, replicas: 1, docs: 50_000_000, bytes }],
        hourlyIndex: { prefix: 'logs-hourly-', shards: 2, replicas: 1, docs: 200_000, bytes: GiB },
      },
      change,
      limits: { maxSimulatedSeconds: 7 * 86400 },
    },
    name,
  );
}

const SCENARIOS = [
  scenario('version 8.18.2→8.19.3, 6 data × 100 GiB', { version: '8.19.3' }, 6, 100),
  scenario('AMI only, 6 data × 100 GiB', { ami: 'ami-new' }, 6, 100),
  scenario('version 8.18.2→8.19.3, 12 data × 50 GiB', { version: '8.19.3' }, 12, 50),
];

const strategies: StrategyFactory[] = [
  STRATEGIES.orchestrator!,
  orchestratorWith({ controlRebalance: false }, 'orchestrator, balancer not controlled'),
  STRATEGIES['terminate-and-wait-green']!,
  STRATEGIES['cfn-rolling-update']!,
];

function lowerBoundSeconds(s: Scenario): number {
  const perNodeBytes = s.cluster.indices.reduce((a, ix) => a + ix.bytes * (1 + ix.replicas), 0) / s.cluster.dataNodes;
  const join = s.model.bootSeconds + s.model.joinSeconds;
  return s.cluster.dataNodes * (perNodeBytes / s.model.recoveryBytesPerSecond + join) + s.cluster.masters * join;
}

function bytesToMove(s: Scenario): number {
  return s.cluster.indices.reduce((a, ix) => a + ix.bytes * (1 + ix.replicas), 0);
}

async function main(): Promise<void> {
  for (const sc of SCENARIOS) {
    const bound = lowerBoundSeconds(sc);
    const toMove = bytesToMove(sc);
    console.log(
      `\n${sc.name}: lower bound ${(bound / 3600).toFixed(2)} h, bytes to move ${(toMove / GiB).toFixed(0)} GiB`,
    );
    console.log(
      [
        'strategy'.padEnd(40),
        'outcome'.padEnd(10),
        'sim h'.padStart(7),
        'lost docs'.padStart(11),
        'bytes ratio'.padStart(12),
        'time ratio'.padStart(11),
        'under-repl s'.padStart(13),
        'steps/node'.padStart(11),
        'ES req/node'.padStart(12),
        'wall s'.padStart(7),
      ].join(' '),
    );
    for (const st of strategies) {
      orchestratorStats.steps = 0;
      orchestratorStats.esRequests = 0;
      const t0 = process.hrtime.bigint();
      const r = await runScenario(sc, { strategy: st });
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const replaced = r.nodesReplaced.master + r.nodesReplaced.data;
      const isOrch = st.name.startsWith('orchestrator');
      console.log(
        [
          st.name.padEnd(40),
          r.outcome.padEnd(10),
          (r.simulatedSeconds / 3600).toFixed(2).padStart(7),
          String(r.documentsLost).padStart(11),
          (r.bytesRecovered / toMove).toFixed(3).padStart(12),
          (r.simulatedSeconds / bound).toFixed(3).padStart(11),
          r.secondsUnderReplicated.toFixed(0).padStart(13),
          (isOrch && replaced ? (orchestratorStats.steps / replaced).toFixed(1) : '-').padStart(11),
          (isOrch && replaced ? (orchestratorStats.esRequests / replaced).toFixed(1) : '-').padStart(12),
          wall.toFixed(1).padStart(7),
        ].join(' '),
      );
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
