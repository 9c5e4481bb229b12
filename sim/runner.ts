import { EsApi } from './es/api';
import { contractProblems } from './es/contract/check';
import { startEsServer } from './es/server';
import { SimFleet } from './fleet-adapter';
import { round3, World } from './model/world';
import { applyStackSnapshotSetup } from './stack-setup';
import type { RolloutChoice, Scenario } from './scenario';
import type { InProcessEs, StrategyFactory, StrategyWorld } from './strategy';
import { DEFAULT_STRATEGY, strategyByName } from './strategies';

/** The report of one run (`elkctl sim run --json`). */
export interface Report {
  readonly scenario: string;
  readonly strategy: string;
  readonly outcome: 'completed' | 'failed' | 'timed-out';
  readonly reason: string;
  readonly simulatedSeconds: number;
  readonly documentsLost: number;
  readonly primariesLost: number;
  /** write-load: documents acknowledged, and writes refused because their shard had no active primary. */
  readonly documentsIndexed: number;
  readonly writesRejected: number;
  /** Long-running tasks (`task` faults) killed because their node went away. */
  readonly tasksKilled: number;
  readonly secondsRed: number;
  readonly secondsWithoutMaster: number;
  readonly secondsUnderReplicated: number;
  readonly bytesRecovered: number;
  readonly nodesReplaced: { readonly master: number; readonly data: number };
  readonly terminatedInstances: readonly string[];
  /**
   * Per replaced node (instance id): the method it got, `drain` or `handoff` for the orchestrator, the strategy's
   * name for the others.
   */
  readonly method: Readonly<Record<string, string>>;
  /** Data volumes left detached at the end with no instance to take them (none may be orphaned silently). */
  readonly volumesOrphaned: number;
  /** Instances the orchestrator launched (surgePlacement orchestrator), never attached and not terminated at the end. */
  readonly unattachedLeft: number;
  readonly finalVersions: Readonly<Record<string, number>>;
  /** Cluster health at the end, as `GET _cluster/health` would answer it then. */
  readonly finalHealth: 'green' | 'yellow' | 'red';
  readonly steps: readonly {
    readonly t: number;
    readonly action: string;
    readonly node?: string;
    readonly reason: string;
  }[];
}

export interface RunOptions {
  /** Strategy name (see sim/strategies) or a factory; default "orchestrator". */
  readonly strategy?: string | StrategyFactory;
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Serve the HTTP face during the run (default true; the strategy's esUrl). */
  readonly http?: boolean;
  /**
   * Check every in-process answer the strategy reads against the schemas generated from the official client's
   * response types (sim/es/contract), in process and over the HTTP face; the run rejects with the violations.
   * Default: on under jest (NODE_ENV=test).
   */
  readonly checkResponses?: boolean;
  /** Called with every Elasticsearch answer the strategy reads (in process or over HTTP): method, URL, status. */
  readonly onAnswer?: (method: string, url: string, status: number) => void;
  /** Overrides the scenario's `rollout` (sim run --method / --max-surge / --surge-placement). */
  readonly rollout?: Partial<RolloutChoice>;
  /** Called with the world at the start and after every strategy step (sim/timeline.ts records the roll report). */
  readonly onStep?: (world: World) => void;
}

/** A world with its two faces, for tests that step the model themselves (no socket unless `startHttp`). */
export interface Simulation {
  readonly world: World;
  readonly api: EsApi;
  readonly fleet: SimFleet;
  /** A StrategyWorld over this simulation (esUrl is empty unless an HTTP face was started). */
  strategyWorld(esUrl?: string): StrategyWorld;
}

/** `rollout`: the run's rollout choice when it overrides the scenario's (the fleet's surge placement). */
export function createSimulation(scenario: Scenario, seed?: number, rollout?: Partial<RolloutChoice>): Simulation {
  const world = new World(scenario, seed ?? scenario.seed);
  const api = new EsApi(world);
  const fleet = new SimFleet(world, {
    surgePlacement: rollout?.surgePlacement ?? scenario.rollout.surgePlacement,
  });
  return {
    world,
    api,
    fleet,
    strategyWorld: (esUrl = '') => ({
      esUrl,
      fleet,
      groups: world.groupNames,
      targetVersion: world.targetVersion,
      ...(world.counts ? { counts: world.counts } : {}),
      now: () => world.now,
      es: { request: (method, url, body) => api.request(method, url, body), handle: (req) => api.handle(req) },
    }),
  };
}

/** Thrown into a strategy's step when a crash-orchestrator fault falls between two of its calls. */
export class OrchestratorCrashed extends Error {
  constructor(at: number) {
    super(`crash-orchestrator at ${at}: the process is gone`);
    this.name = 'OrchestratorCrashed';
  }
}

/**
 * The strategy's view of the world with time passing: each Elasticsearch call takes `requestSeconds` and each fleet
 * call `fleetCallSeconds` of virtual time (so the world moves between an observation and an action), and once the
 * next crash time has passed every further call throws OrchestratorCrashed (a crash between two calls of one
 * multi-call action leaves it half done).
 */
export function timedStrategyWorld(
  sw: StrategyWorld,
  world: World,
  seconds: { request: number; fleetCall: number },
  crashAt: () => number = () => Infinity,
  onAnswer?: (method: string, url: string, status: number, body: unknown) => void,
): StrategyWorld {
  const gate = () => {
    const at = crashAt();
    if (world.now >= at) throw new OrchestratorCrashed(at);
  };
  const pass = (s: number) => {
    if (s > 0) world.advanceTo(world.now + s);
  };
  const inner = sw.es;
  const handle = inner?.handle;
  const es: InProcessEs | undefined = inner && {
    request: (method, url, body) => {
      gate();
      const r = inner.request(method, url, body);
      onAnswer?.(method, url, r.status, r.body);
      pass(seconds.request);
      return r;
    },
    ...(handle
      ? {
          handle: (req: Parameters<NonNullable<InProcessEs['handle']>>[0]) => {
            gate();
            const r = handle(req);
            if (onAnswer && (r.body === '' || r.headers['content-type']?.includes('json'))) {
              onAnswer(req.method, req.url, r.status, r.body === '' ? undefined : (JSON.parse(r.body) as unknown));
            }
            pass(seconds.request);
            return r;
          },
        }
      : {}),
  };
  const fleet = new Proxy(sw.fleet, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        gate();
        const r: unknown = await (v as (...a: unknown[]) => unknown).apply(target, args);
        pass(seconds.fleetCall);
        return r;
      };
    },
  });
  return { ...sw, fleet, ...(es ? { es } : {}) };
}

/** Plays a scenario with a strategy until it finishes, fails or runs out of simulated time. */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<Report> {
  const factory =
    typeof options.strategy === 'object' ? options.strategy : strategyByName(options.strategy ?? DEFAULT_STRATEGY);
  const sim = createSimulation(scenario, options.seed, options.rollout);
  const { world } = sim;
  options.onStep?.(world);
  const check = options.checkResponses ?? process.env.NODE_ENV === 'test';
  const violations: string[] = [];
  const onAnswer =
    check || options.onAnswer
      ? (method: string, url: string, status: number, body: unknown) => {
          options.onAnswer?.(method, url, status);
          if (check && violations.length < 20) violations.push(...contractProblems(method, url, status, body));
        }
      : undefined;
  const server =
    options.http === false
      ? undefined
      : await startEsServer(sim.api, {
          afterRequest: (req, res) => {
            // Over the socket too: every JSON (or empty) answer the strategy reads is checked like an in-process one.
            if (onAnswer && (res.body === '' || res.headers['content-type']?.includes('json'))) {
              onAnswer(
                req.method,
                req.url,
                res.status,
                res.body === '' ? undefined : (JSON.parse(res.body) as unknown),
              );
            }
            world.advanceTo(world.now + scenario.model.requestSeconds);
          },
        });
  const strategyOptions = {
    pollSeconds: scenario.model.pollSeconds,
    pauseSeconds: scenario.model.pauseSeconds,
    greenTimeoutSeconds: scenario.model.greenTimeoutSeconds,
    nodeTimeoutSeconds: scenario.model.nodeTimeoutSeconds,
    rollout: { ...scenario.rollout, ...options.rollout },
  };
  if (strategyOptions.rollout.snapshotBeforeRoll) applyStackSnapshotSetup(sim.api, scenario.cluster.clusterName);
  const steps: { t: number; action: string; node?: string; reason: string; seq: number }[] = [];
  let seq = 0;
  const limit = scenario.limits.maxSimulatedSeconds;
  const crashes = scenario.faults
    .filter((f) => f.kind === 'crash-orchestrator')
    .map((f) => (f as { at: number }).at)
    .sort((a, b) => a - b);
  let outcome: Report['outcome'] = 'timed-out';
  let reason = `still running after ${limit} simulated seconds`;
  try {
    const sw = timedStrategyWorld(
      sim.strategyWorld(server?.url ?? ''),
      world,
      { request: scenario.model.requestSeconds, fleetCall: scenario.model.fleetCallSeconds },
      () => crashes[0] ?? Infinity,
      onAnswer,
    );
    let strategy = factory.create(strategyOptions);
    let t = 0;
    for (;;) {
      while (crashes.length > 0 && crashes[0] <= Math.min(t, limit)) {
        world.advanceTo(crashes.shift()!);
        strategy = factory.create(strategyOptions);
        world.note('crash-orchestrator', undefined, 'fault: the strategy process crashed; its in-memory state is gone');
      }
      if (t > limit) {
        world.advanceTo(limit);
        break;
      }
      world.advanceTo(t);
      let r;
      try {
        r = await strategy.step(sw);
      } catch (e) {
        if (e instanceof OrchestratorCrashed) {
          // The step was cut between two calls: its actions are lost; the loop above builds a new strategy.
          t = world.now;
          continue;
        }
        outcome = 'failed';
        reason = `strategy error: ${e instanceof Error ? e.message : String(e)}`;
        break;
      }
      if (crashes.length > 0 && world.now >= crashes[0]) {
        // The crash fell inside the step (the strategy swallowed the refused calls): its result never happened.
        t = world.now;
        continue;
      }
      for (const a of r.actions ?? []) steps.push({ t: round3(world.now), ...a, seq: seq++ });
      options.onStep?.(world);
      if (r.done) {
        outcome = r.done.outcome;
        reason = r.done.reason;
        break;
      }
      t = world.now + Math.max(1, r.wakeAfterSeconds);
    }
  } finally {
    await server?.close();
  }
  if (violations.length > 0) {
    throw new Error(`simulator answers the client's types do not allow:\n  ${violations.join('\n  ')}`);
  }
  const worldSteps = world.notes.map((n) => ({ ...n, action: `sim:${n.action}`, seq: seq++ }));
  const allSteps = [...steps, ...worldSteps].sort((a, b) => a.t - b.t || a.seq - b.seq).map(({ seq: _seq, ...s }) => s);
  const c = world.cluster;
  return {
    scenario: scenario.name,
    strategy: factory.name,
    outcome,
    reason,
    simulatedSeconds: round3(world.now),
    documentsLost: c.documentsLost,
    primariesLost: c.primariesLost,
    documentsIndexed: world.documentsIndexed,
    writesRejected: world.writesRejected,
    tasksKilled: world.tasksKilled,
    secondsRed: round3(world.secondsRed),
    secondsWithoutMaster: round3(world.secondsWithoutMaster),
    secondsUnderReplicated: round3(world.secondsUnderReplicated),
    bytesRecovered: Math.round(c.bytesRecovered),
    nodesReplaced: world.replaced(),
    terminatedInstances: [...world.terminated],
    method: methodsOf(world, factory.name, allSteps),
    volumesOrphaned: world.volumesOrphaned(),
    unattachedLeft: world.unattachedLeft(),
    finalVersions: world.versions(),
    finalHealth: c.status(),
    steps: allSteps,
  };
}

/** The method each replaced initial node got: from the orchestrator's actions on it, else the strategy's name. */
function methodsOf(
  world: World,
  strategy: string,
  steps: readonly { action: string; node?: string }[],
): Record<string, string> {
  const replaced = [...world.instances.values()].filter((i) => i.initial && world.terminated.includes(i.id));
  const out: Record<string, string> = {};
  for (const i of replaced.sort((a, b) => a.id.localeCompare(b.id))) {
    if (!strategy.startsWith('orchestrator')) {
      out[i.id] = strategy;
      continue;
    }
    const mine = steps.filter((s) => s.node === i.id).map((s) => s.action);
    out[i.id] = mine.some((a) => a.startsWith('handoff')) ? 'handoff' : 'drain';
  }
  return out;
}
