/**
 * Faster rolls (issue 17) side by side in one run: volume handoff, drain with maxSurge 4 (the surge's zones chosen by
 * the roll, and placed by Auto Scaling), drain one at a time (as
 * before), terminate-and-wait-green and cfn-rolling-update, on the 3 + 12 node, 2 TiB cluster (8.18 → 8.19) with a
 * write-load during the roll, and on a 3 + 30 node AMI change. Prints simulated duration, bytes copied ÷ data held by
 * the replaced nodes (including the bytes written during the roll), documents lost, time red, under-replicated time
 * (total over the roll) and the methods the nodes got. Nothing is asserted.
 * Goals (issue 17): handoff ≤ 90 min and ≤ 0.02 bytes; drain maxSurge 4 ≤ 1.25 × (⌈12/4⌉ × one node's drain +
 * masters) and ≤ 1.05 bytes; 0 lost and 0 s red everywhere.
 */
import * as path from 'path';
import { parseScenario, runScenario } from '../sim';
import type { Report, Scenario } from '../sim';
import type { ScenarioInput } from '../sim/scenario';

const GiB = 1024 ** 3;

function base2tib(): ScenarioInput {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const raw = require(path.join(__dirname, '..', 'sim', 'scenarios', '3-masters-12-data-2tib.json')) as ScenarioInput;
  return {
    ...raw,
    cluster: { ...raw.cluster, dataVolumes: 'own' },
    faults: [{ kind: 'write-load', from: 0, to: 7 * 86400, docsPerSecond: 2000, index: 'logs-2026.11.19' }],
  };
}

function ami30(): ScenarioInput {
  return {
    name: '3 + 30 nodes, AMI change',
    seed: 13,
    cluster: {
      version: '8.19.3',
      masters: 3,
      dataNodes: 30,
      diskBytesPerDataNode: 1024 * GiB,
      dataVolumes: 'own',
      indices: Array.from({ length: 10 }, (_, d) => ({
        name: `logs-2026.11.${10 + d}`,
        shards: 30,
        replicas: 1,
        docs: 100_000_000,
        bytes: 256 * GiB,
      })),
    },
    change: { ami: 'ami-patched' },
    faults: [{ kind: 'write-load', from: 0, to: 14 * 86400, docsPerSecond: 2000, index: 'logs-2026.11.19' }],
    limits: { maxSimulatedSeconds: 14 * 86400 },
  };
}

type Placement = 'orchestrator' | 'auto-scaling';
const RUNS: ReadonlyArray<{
  label: string;
  strategy?: string;
  method?: 'drain' | 'handoff';
  maxSurge?: number;
  surgePlacement?: Placement;
}> = [
  { label: 'handoff', method: 'handoff', maxSurge: 1 },
  { label: 'drain, maxSurge 4, zones chosen', method: 'drain', maxSurge: 4, surgePlacement: 'orchestrator' },
  { label: 'drain, maxSurge 4, Auto Scaling zones', method: 'drain', maxSurge: 4, surgePlacement: 'auto-scaling' },
  { label: 'drain, maxSurge 1 (before)', method: 'drain', maxSurge: 1 },
  { label: 'terminate-and-wait-green', strategy: 'terminate-and-wait-green' },
  { label: 'cfn-rolling-update', strategy: 'cfn-rolling-update' },
];

/** Bytes the replaced data nodes held: every stored copy, plus the copies of what the write-load added. */
function dataHeld(s: Scenario, r: Report): number {
  const stored = s.cluster.indices.reduce((a, ix) => a + ix.bytes * (1 + ix.replicas), 0);
  const target = s.cluster.indices.find((ix) => ix.name === 'logs-2026.11.19') ?? s.cluster.indices[0]!;
  return stored + (r.documentsIndexed * target.bytes * (1 + target.replicas)) / Math.max(1, target.docs);
}

function summary(m: Readonly<Record<string, string>>): string {
  const c = new Map<string, number>();
  for (const v of Object.values(m)) c.set(v, (c.get(v) ?? 0) + 1);
  return [...c.entries()].map(([k, n]) => `${k}×${n}`).join(' ');
}

async function main(): Promise<void> {
  for (const input of [base2tib(), ami30()]) {
    const s = parseScenario(input, String(input.name));
    process.stdout.write(`\n${s.name}: ${s.cluster.masters} masters + ${s.cluster.dataNodes} data nodes\n`);
    const rows: string[][] = [
      ['run', 'outcome', 'sim h', 'bytes ÷ held', 'docs lost', 's red', 'h under-repl', 'methods', 'wall s'],
    ];
    let oneDrain: number | undefined;
    const drain4 = new Map<Placement, number>();
    for (const run of RUNS) {
      const t0 = performance.now();
      const r = await runScenario(s, {
        http: false,
        strategy: run.strategy ?? 'orchestrator',
        rollout: run.method
          ? { method: run.method, maxSurge: run.maxSurge, surgePlacement: run.surgePlacement ?? 'orchestrator' }
          : undefined,
      });
      if (run.method === 'drain' && run.maxSurge === 1) oneDrain = r.simulatedSeconds;
      if (run.method === 'drain' && run.maxSurge === 4)
        drain4.set(run.surgePlacement ?? 'orchestrator', r.simulatedSeconds);
      rows.push([
        run.label,
        r.outcome,
        (r.simulatedSeconds / 3600).toFixed(2),
        (r.bytesRecovered / dataHeld(s, r)).toFixed(4),
        String(r.documentsLost),
        r.secondsRed.toFixed(0),
        (r.secondsUnderReplicated / 3600).toFixed(2),
        summary(r.method),
        ((performance.now() - t0) / 1000).toFixed(1),
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ') + '\n');
    if (oneDrain !== undefined) {
      // A master: boot, join and a few polls; one data node's drain: the rest of the one-at-a-time roll per node.
      const m = s.model;
      const masters = s.cluster.masters * (m.bootSeconds + m.joinSeconds + 3 * m.pollSeconds);
      const perData = (oneDrain - masters) / s.cluster.dataNodes;
      const bound = 1.25 * (Math.ceil(s.cluster.dataNodes / 4) * perData + masters);
      for (const [placement, t] of drain4) {
        process.stdout.write(
          `drain maxSurge 4 (${placement}): ${(t / 3600).toFixed(2)} h ÷ goal 1.25 × (⌈${s.cluster.dataNodes}/4⌉ × ` +
            `one drain ${(perData / 3600).toFixed(2)} h + masters) = ${(t / bound).toFixed(2)} (≤ 1 meets it` +
            `${placement === 'auto-scaling' ? '; Auto Scaling placing, maxSurge 4 over 3 zones drains 3 at a time' : ''})\n`,
        );
      }
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
