import type { FleetPort } from '../lambda/rolling-replacement/core/fleet-port';

/**
 * The contract between the simulator's scenario runner and a replacement strategy.
 *
 * The runner advances virtual time to the strategy's next wake-up, then calls `step()` once. A strategy sees the
 * world only through the same faces a real tool has: the Elasticsearch REST API (`esUrl`, served by the simulator on
 * 127.0.0.1, or `es` in process for speed) and the fleet port. The `crash-orchestrator` fault throws the strategy
 * instance away and builds a new one with `create()`: only what lives in the simulated world survives.
 */
export interface StrategyWorld {
  /** Base URL of the simulator's Elasticsearch-compatible HTTP face, e.g. http://127.0.0.1:40123 */
  readonly esUrl: string;
  readonly fleet: FleetPort;
  /** Names of the cluster's Auto Scaling groups, by role. */
  readonly groups: { readonly master: string; readonly data: string };
  /** The Elasticsearch version nodes launched with the target template run. */
  readonly targetVersion: string;
  /** The configured node counts when the change sets them (scenario `change.counts`). */
  readonly counts?: { readonly master: number; readonly data: number };
  /** Virtual time in seconds since the start of the scenario (strategies must not read the wall clock). */
  now(): number;
  /**
   * The same Elasticsearch API in process (no socket): what the HTTP face serves, for strategies that prefer speed.
   * Optional so that shells without a simulator can omit it.
   */
  readonly es?: InProcessEs;
}

/** In-process access to the simulator's Elasticsearch API: `url` is a path with query, e.g. "/_cluster/health". */
export interface InProcessEs {
  request(method: string, url: string, body?: unknown): { status: number; body: unknown };
  /**
   * The HTTP-level exchange without a socket (string bodies, headers, the compatibility-header rule): exactly what the
   * HTTP face answers, for a client Connection that should not parse and re-serialize twice.
   */
  handle?(req: {
    readonly method: string;
    readonly url: string;
    readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
    readonly body?: string;
  }): { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string };
}

export interface StepResult {
  /** Seconds of virtual time until the next step. */
  readonly wakeAfterSeconds: number;
  /** Set when the strategy is finished. */
  readonly done?: { readonly outcome: 'completed' | 'failed'; readonly reason: string };
  /** Actions taken in this step, for the report's `steps`. */
  readonly actions?: ReadonlyArray<{ readonly action: string; readonly node?: string; readonly reason: string }>;
}

export interface Strategy {
  step(world: StrategyWorld): Promise<StepResult>;
}

export interface StrategyOptions {
  readonly pollSeconds: number;
  /** CloudFormation PauseTime (cfn-rolling-update). */
  readonly pauseSeconds?: number;
  /** terminate-and-wait-green: wait this long for green before accepting a yellow caused only by the version rule. */
  readonly greenTimeoutSeconds?: number;
  /** terminate-and-wait-green: give up when one node takes longer than this. */
  readonly nodeTimeoutSeconds?: number;
  /** The orchestrator's rollout.method, maxSurge and surgePlacement (the scenario's `rollout`). @default auto, 1 */
  readonly rollout?: {
    readonly method: 'drain' | 'handoff' | 'auto';
    readonly maxSurge: number;
    /** rollout.surgePlacement: who picks the zones of a data surge of several instances. @default auto-scaling */
    readonly surgePlacement?: 'auto-scaling' | 'orchestrator';
    /** rollout.snapshotBeforeRoll: snapshot into the stack's repository before the roll. @default false */
    readonly snapshotBeforeRoll?: boolean;
  };
}

export interface StrategyFactory {
  readonly name: string;
  readonly description: string;
  /** A fresh instance (called at start and after every crash-orchestrator fault). */
  create(options: StrategyOptions): Strategy;
}
