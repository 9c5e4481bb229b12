/**
 * Simulator benchmark: a 3 master + 12 data node cluster with 2 TiB stored (sim/scenarios/3-masters-12-data-2tib.json),
 * rolled by each strategy. Prints the wall time to simulate the roll (goal: under 10 s on 2 cores) and, side by side,
 * simulated hours, bytes copied relative to the bytes that had to move (every stored byte lives on a node that is
 * replaced, so it must be copied at least once), and documents lost. Nothing is asserted.
 */
import * as path from 'path';
import { runScenario } from '../sim/runner';
import { loadScenario } from '../sim/scenario';
import { STRATEGIES } from '../sim/strategies';

async function main(): Promise<void> {
  const scenario = loadScenario(path.join(__dirname, '..', 'sim', 'scenarios', '3-masters-12-data-2tib.json'));
  const mustMove = scenario.cluster.indices.reduce((n, ix) => n + ix.bytes * (1 + ix.replicas), 0);
  const TiB = 1024 ** 4;
  process.stdout.write(
    `scenario ${scenario.name}: ${scenario.cluster.masters} masters + ${scenario.cluster.dataNodes} data nodes, ` +
      `${(mustMove / TiB).toFixed(2)} TiB stored\n\n`,
  );
  const rows: string[][] = [
    [
      'strategy',
      'outcome',
      'wall s',
      'cpu s',
      'simulated h',
      'copied / must move',
      'docs lost',
      'h under-replicated',
      'steps',
    ],
  ];
  for (const name of Object.keys(STRATEGIES)) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await runScenario(scenario, { strategy: name });
    const wall = (performance.now() - t0) / 1000;
    // CPU time of this process (user + system): what the wall time would be on an idle machine, near enough.
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    rows.push([
      name,
      r.outcome === 'completed' ? r.outcome : `${r.outcome} (${r.reason.slice(0, 40)})`,
      wall.toFixed(2),
      cpu.toFixed(2),
      (r.simulatedSeconds / 3600).toFixed(2),
      (r.bytesRecovered / mustMove).toFixed(2),
      String(r.documentsLost),
      (r.secondsUnderReplicated / 3600).toFixed(2),
      String(r.steps.length),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) process.stdout.write(r.map((c, i) => c.padEnd(widths[i])).join('  ') + '\n');
  process.stdout.write('\nwall s: time to simulate the whole roll in this process (goal < 10 s on 2 cores).\n');
  process.stdout.write('cpu s: CPU time it used; on a shared, loaded machine wall s is several times cpu s.\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
