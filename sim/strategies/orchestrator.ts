import {
  BaseConnection,
  Client,
  type ConnectionRequestParams,
  type ConnectionRequestResponse,
} from '@elastic/elasticsearch';
import { SNAPSHOT_REPOSITORY } from '../../lambda/index-management/cluster';
import { ElasticsearchAdapter } from '../../lambda/rolling-replacement/adapters/elasticsearch';
import { DEFAULT_OPTIONS, type RolloutOptions, type RolloutSpec } from '../../lambda/rolling-replacement/core/types';
import { nextWaitSeconds, reconcile } from '../../lambda/rolling-replacement/reconcile';
import type { InProcessEs, StepResult, Strategy, StrategyFactory, StrategyOptions, StrategyWorld } from '../strategy';

/**
 * How the orchestrator's Elasticsearch client reaches the simulator: "http" (the loopback face, a real socket) or
 * "in-process" (the same client and adapter, with a client Connection that hands the request to the simulator's
 * API without a socket; several times faster, used by default when the world offers it).
 */
export const orchestratorTransport: { mode: 'http' | 'in-process' } = { mode: 'in-process' };

function inProcessConnection(es: InProcessEs): typeof BaseConnection {
  class InProcessConnection extends BaseConnection {
    // The stream overload is never used by the adapter.
    // @ts-expect-error narrower than BaseConnection's overloads
    async request(params: ConnectionRequestParams): Promise<ConnectionRequestResponse> {
      const url = params.path + (params.querystring ? `?${params.querystring}` : '');
      const raw = params.body === undefined || params.body === null ? undefined : String(params.body);
      const r = es.request(params.method, url, raw ? (JSON.parse(raw) as unknown) : undefined);
      return {
        statusCode: r.status,
        headers: { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' },
        body: r.body === undefined ? '' : JSON.stringify(r.body),
      };
    }

    async close(): Promise<void> {
      // No socket to close.
    }
  }
  return InProcessConnection as unknown as typeof BaseConnection;
}

/** An Elasticsearch client for a simulated world (in process when possible, else its HTTP face). */
export function clientFor(world: StrategyWorld): Client {
  if (orchestratorTransport.mode === 'in-process' && world.es) {
    return new Client({ node: 'http://127.0.0.1:9200', Connection: inProcessConnection(world.es), maxRetries: 0 });
  }
  if (!world.esUrl) throw new Error('the orchestrator strategy needs the HTTP face (esUrl) or in-process access');
  return new Client({ node: world.esUrl, maxRetries: 0, requestTimeout: 10_000 });
}

/** Counters of the last runs, for the benchmark (reconcile steps and Elasticsearch requests). */
export const orchestratorStats = { steps: 0, esRequests: 0, fleetCalls: 0 };

/** Orchestrator settings of a simulated run: rollout options, the configured counts (planned scale-in), bandwidth. */
export type OrchestratorTuning = Partial<RolloutOptions> & {
  recoveryBytesPerSecond?: number;
  counts?: RolloutSpec['counts'];
};

export function simSpec(world: StrategyWorld, tuning: OrchestratorTuning = {}): RolloutSpec {
  const { counts = world.counts, recoveryBytesPerSecond: _bandwidth, ...options } = tuning;
  return {
    rolloutId: 'sim',
    groups: world.groups,
    targetVersion: world.targetVersion,
    ...(counts ? { counts } : {}),
    mode: 'roll',
    options: { ...DEFAULT_OPTIONS, ...options },
  };
}

/**
 * The project's orchestrator in the simulator: the real Elasticsearch adapter over HTTP (a real 8.19 client to the
 * simulator's face on 127.0.0.1), the simulator's fleet port, the same decide(). One reconcile per step; after an
 * executed action it looks again soon (5 s), otherwise it waits pollSeconds. It keeps nothing in memory but the
 * client: a crash-orchestrator fault loses nothing, progress lives in the world (tags, settings).
 */
class Orchestrator implements Strategy {
  private adapter?: ElasticsearchAdapter;
  private lastLogged = '';

  constructor(
    private readonly options: StrategyOptions,
    private readonly tuning: OrchestratorTuning = {},
  ) {}

  async step(world: StrategyWorld): Promise<StepResult> {
    this.adapter ??= new ElasticsearchAdapter(clientFor(world));
    const before = this.adapter.requests;
    const { snapshotBeforeRoll, ...rollout } = this.options.rollout ?? {};
    const snapshot = snapshotBeforeRoll ? { snapshotBeforeRoll: SNAPSHOT_REPOSITORY } : {};
    const r = await reconcile({
      es: this.adapter,
      fleet: world.fleet,
      spec: simSpec(world, { ...rollout, ...snapshot, ...this.tuning }),
      now: world.now(),
      log: () => undefined,
    });
    orchestratorStats.steps++;
    orchestratorStats.esRequests += this.adapter.requests - before;
    const a = r.decision.action;
    const node = 'node' in a ? a.node : 'instanceId' in a ? a.instanceId : 'group' in a ? a.group : undefined;
    const label = r.decision.blockedBy ? `${a.type} (${r.decision.blockedBy})` : a.type;
    // Waits are reported when they change, so the report shows each gate once, not every poll.
    const key = `${label}|${node ?? ''}`;
    const actions =
      r.executed || key !== this.lastLogged
        ? [{ action: label, ...(node ? { node } : {}), reason: r.decision.reason }]
        : [];
    this.lastLogged = key;
    if (r.outcome) {
      return {
        wakeAfterSeconds: 0,
        actions,
        done: { outcome: r.outcome === 'completed' ? 'completed' : 'failed', reason: r.decision.reason },
      };
    }
    return {
      wakeAfterSeconds: nextWaitSeconds(r, this.options.pollSeconds, this.tuning.recoveryBytesPerSecond),
      actions,
    };
  }
}

/** The orchestrator with other rollout options (the benchmark compares controlRebalance on and off). */
export function orchestratorWith(tuning: OrchestratorTuning, name = 'orchestrator'): StrategyFactory {
  return {
    name,
    description:
      "the project's rolling replacement: surge, wait for join, exclude, drain, terminate; masters last; named gates",
    create: (options) => new Orchestrator(options, tuning),
  };
}

export const orchestratorStrategy: StrategyFactory = orchestratorWith({});
