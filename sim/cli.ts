import { EsApi } from './es/api';
import { startEsServer } from './es/server';
import * as fs from 'fs';
import { renderReportHtml } from '../lib/report/html';
import { simReportData } from '../lib/report/from-sim';
import { createSimulation, Report, runScenario } from './runner';
import { instanceLives, TimelineRecorder } from './timeline';
import type { World } from './model/world';
import { loadScenario, type RolloutChoice, ScenarioError } from './scenario';

const ROLLOUT_METHODS = ['drain', 'handoff', 'auto'] as const;
const SURGE_PLACEMENTS = ['orchestrator', 'auto-scaling'] as const;
import { DEFAULT_STRATEGY, STRATEGIES } from './strategies';

/**
 * The work behind `elkctl sim run` and `elkctl sim serve`, without commander and without the process, so that tests
 * call it directly (lib/cli/sim.ts wires it to the command line).
 */

/** `sim run` without the process: returns the exit code. */
export async function simRun(
  opts: {
    scenario: string;
    strategy?: string;
    seed?: number;
    json?: boolean;
    method?: string;
    maxSurge?: number;
    surgePlacement?: string;
    /** Also write the roll as one self-contained HTML page (lib/report). */
    report?: string;
  },
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  let report: Report;
  const recorder = new TimelineRecorder();
  let lastWorld: World | undefined;
  try {
    const scenario = loadScenario(opts.scenario);
    const name = opts.strategy ?? DEFAULT_STRATEGY;
    if (!STRATEGIES[name]) {
      err(`elkctl sim run: unknown strategy "${name}": allowed ${Object.keys(STRATEGIES).join(', ')}\n`);
      return 2;
    }
    if (opts.method !== undefined && !(ROLLOUT_METHODS as readonly string[]).includes(opts.method)) {
      err(`elkctl sim run: --method ${opts.method}: allowed ${ROLLOUT_METHODS.join(', ')}\n`);
      return 2;
    }
    if (opts.maxSurge !== undefined && (opts.maxSurge < 1 || opts.maxSurge > scenario.cluster.dataNodes)) {
      err(
        `elkctl sim run: --max-surge ${opts.maxSurge}: allowed 1..${scenario.cluster.dataNodes} (cluster.dataNodes)\n`,
      );
      return 2;
    }
    if (opts.surgePlacement !== undefined && !(SURGE_PLACEMENTS as readonly string[]).includes(opts.surgePlacement)) {
      err(`elkctl sim run: --surge-placement ${opts.surgePlacement}: allowed ${SURGE_PLACEMENTS.join(', ')}\n`);
      return 2;
    }
    const rollout = {
      ...(opts.method !== undefined ? { method: opts.method as RolloutChoice['method'] } : {}),
      ...(opts.maxSurge !== undefined ? { maxSurge: opts.maxSurge } : {}),
      ...(opts.surgePlacement !== undefined
        ? { surgePlacement: opts.surgePlacement as RolloutChoice['surgePlacement'] }
        : {}),
    };
    report = await runScenario(scenario, {
      strategy: name,
      seed: opts.seed,
      rollout,
      ...(opts.report
        ? {
            onStep: (w: World) => {
              recorder.sample(w);
              lastWorld = w;
            },
          }
        : {}),
    });
  } catch (e) {
    if (e instanceof ScenarioError) {
      err(`elkctl sim run: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  out(opts.json ? JSON.stringify(report) + '\n' : formatReport(report));
  if (opts.report && lastWorld) {
    const source = `elkctl sim run --scenario ${opts.scenario} --strategy ${report.strategy}`;
    const data = simReportData(report, recorder.samples, instanceLives(lastWorld), source);
    try {
      fs.writeFileSync(opts.report, renderReportHtml(data));
    } catch (e) {
      err(`elkctl sim run: --report ${opts.report}: ${(e as Error).message}\n`);
      return 2;
    }
    if (!opts.json) out(`report: ${opts.report}\n`);
  }
  return report.outcome === 'completed' ? 0 : 1;
}

/** Human-readable report. */
export function formatReport(r: Report): string {
  const h = (s: number) => `${(s / 3600).toFixed(2)} h`;
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;
  const rows: [string, string][] = [
    ['scenario', r.scenario],
    ['strategy', r.strategy],
    ['outcome', `${r.outcome}: ${r.reason}`],
    ['simulated time', `${h(r.simulatedSeconds)} (${r.simulatedSeconds} s)`],
    ['documents lost', `${r.documentsLost} (${r.primariesLost} primaries lost)`],
    ['red', h(r.secondsRed)],
    ['without master', `${r.secondsWithoutMaster} s`],
    ['under-replicated', h(r.secondsUnderReplicated)],
    ['bytes recovered', gib(r.bytesRecovered)],
    ['nodes replaced', `${r.nodesReplaced.master} master, ${r.nodesReplaced.data} data`],
    ['methods', methodSummary(r.method)],
    ['volumes orphaned', String(r.volumesOrphaned)],
    ['unattached left', String(r.unattachedLeft)],
    [
      'final versions',
      Object.entries(r.finalVersions)
        .map(([v, n]) => `${v} × ${n}`)
        .join(', '),
    ],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  let s = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n\nsteps:\n';
  for (const st of r.steps) {
    if (st.action.startsWith('sim:asg-') || st.action === 'sim:master-elected') continue;
    s += `  ${String(Math.round(st.t)).padStart(7)} s  ${st.action.padEnd(22)} ${(st.node ?? '').padEnd(19)} ${st.reason}\n`;
  }
  if (r.documentsLost > 0) s += `\nWARNING: ${r.documentsLost} documents lost.\n`;
  return s;
}

/** "drain × 14, handoff × 1" */
function methodSummary(m: Readonly<Record<string, string>>): string {
  const counts = new Map<string, number>();
  for (const v of Object.values(m)) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${k} × ${n}`).join(', ') || '-';
}

/** `sim serve` without the process: returns a function that stops the server. */
export async function simServe(
  opts: { scenario: string; port: number; speed: number; strategy?: string; seed?: number },
  out: (s: string) => void,
  wallClock: () => number = () => performance.now() / 1000,
): Promise<() => Promise<void>> {
  const scenario = loadScenario(opts.scenario);
  const sim = createSimulation(scenario, opts.seed);
  const t0 = wallClock();
  const virtualNow = () => (wallClock() - t0) * opts.speed;
  const api = new EsApi(sim.world);
  const server = await startEsServer(api, { port: opts.port, beforeRequest: () => sim.world.advanceTo(virtualNow()) });
  out(`simulated cluster "${scenario.cluster.clusterName}" on ${server.url} (clock at ${opts.speed}x); Ctrl-C stops\n`);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  if (opts.strategy) {
    const factory = STRATEGIES[opts.strategy];
    if (!factory) throw new ScenarioError(`unknown strategy "${opts.strategy}"`, []);
    const strategy = factory.create({
      pollSeconds: scenario.model.pollSeconds,
      pauseSeconds: scenario.model.pauseSeconds,
      greenTimeoutSeconds: scenario.model.greenTimeoutSeconds,
      nodeTimeoutSeconds: scenario.model.nodeTimeoutSeconds,
      rollout: scenario.rollout,
    });
    const sw = sim.strategyWorld(server.url);
    const tick = async () => {
      if (stopped) return;
      sim.world.advanceTo(virtualNow());
      const r = await strategy.step(sw);
      for (const a of r.actions ?? []) out(`t=${Math.round(sim.world.now)}s ${a.action} ${a.node ?? ''} ${a.reason}\n`);
      if (r.done) {
        out(`strategy ${factory.name}: ${r.done.outcome}: ${r.done.reason}\n`);
        return;
      }
      timer = setTimeout(() => void tick(), (Math.max(1, r.wakeAfterSeconds) * 1000) / opts.speed);
    };
    void tick();
  }
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await server.close();
  };
}
