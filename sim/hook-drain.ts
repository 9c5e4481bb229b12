import { ElasticsearchAdapter } from '../lambda/rolling-replacement/adapters/elasticsearch';
import type { DrainState } from '../lambda/termination-drain/core';
import { drainStep, type HookPort } from '../lambda/termination-drain/step';
import type { Simulation } from './runner';
import { clientFor } from './strategies/orchestrator';

/**
 * The termination lifecycle hook in the simulator (issue #16): a hook on both Elasticsearch groups holds every
 * terminating instance in Terminating:Wait, and this actor plays the EventBridge rule and the drain workflow
 * (lib/termination-drain): one execution per instance (named after the instance and its lifecycle action, so a
 * duplicate event starts nothing), each running the real drainStep (core, adapter, client) every `pollSeconds` until
 * it is done. It sees the world through the same faces as the orchestrator: the Elasticsearch API and the fleet port.
 */
export interface HookDrainOptions {
  readonly heartbeatTimeoutSeconds?: number;
  readonly pollSeconds?: number;
}

export interface HookDrainExecution {
  /** Execution name: instance id and lifecycle action. */
  readonly name: string;
  state: DrainState;
  done: boolean;
  nextAt: number;
  /** Decisions taken, in order (action kind and reason). */
  readonly decisions: { t: number; kind: string; reason: string; impossible?: string }[];
}

export class HookDrain {
  readonly executions = new Map<string, HookDrainExecution>();
  /** Executions refused because one with the same name exists (duplicate lifecycle events). */
  duplicateStarts = 0;
  readonly metrics: string[] = [];
  private readonly adapter: ElasticsearchAdapter;
  private readonly heartbeatTimeout: number;
  private readonly poll: number;

  constructor(
    private readonly sim: Simulation,
    options: HookDrainOptions = {},
  ) {
    this.heartbeatTimeout = options.heartbeatTimeoutSeconds ?? 600;
    this.poll = options.pollSeconds ?? 30;
    for (const name of Object.values(sim.world.groupNames)) {
      sim.world.group(name).terminationHook = { heartbeatTimeoutSeconds: this.heartbeatTimeout };
    }
    this.adapter = new ElasticsearchAdapter(clientFor(sim.strategyWorld()));
  }

  /** An EventBridge delivery of the lifecycle event of `instanceId` (deliveries can repeat). */
  start(instanceId: string): void {
    const inst = this.sim.world.instances.get(instanceId);
    if (!inst?.hookAction) return;
    const token = `action-${Math.round(inst.hookAction.startedAt * 1000)}`;
    const name = `${instanceId}-${token}`;
    if (this.executions.has(name)) {
      this.duplicateStarts++;
      return;
    }
    const now = this.sim.world.now;
    this.executions.set(name, {
      name,
      done: false,
      nextAt: now,
      decisions: [],
      state: {
        instanceId,
        groupName: inst.group.name,
        role: inst.group.role,
        lifecycleActionToken: token,
        lifecycleHookName: 'elk-drain',
        startedAt: inst.hookAction.startedAt,
        heartbeatTimeoutSeconds: this.heartbeatTimeout,
        lastHeartbeatAt: inst.hookAction.startedAt,
        pollSeconds: this.poll,
      },
    });
  }

  /** Starts an execution for every held instance, then runs each execution whose time has come, once. */
  async tick(): Promise<void> {
    const world = this.sim.world;
    for (const inst of world.instances.values()) {
      if (inst.lifecycle === 'Terminating:Wait') this.start(inst.id);
    }
    const hook: HookPort = {
      heartbeat: async (s) => world.recordLifecycleActionHeartbeat(s.instanceId),
      complete: async (s) => {
        try {
          world.completeLifecycleAction(s.instanceId);
        } catch (e) {
          if (!/No active Lifecycle Action/.test((e as Error).message)) throw e;
        }
      },
    };
    for (const x of this.executions.values()) {
      if (x.done || x.nextAt > world.now) continue;
      const r = await drainStep(
        x.state,
        {
          es: this.adapter,
          fleet: this.sim.fleet,
          hook,
          groups: world.groupNames,
          putMetric: async (name) => void this.metrics.push(name),
          log: () => undefined,
        },
        world.now,
      );
      if (r.heartbeat) x.decisions.push({ t: world.now, kind: 'heartbeat', reason: 'keep the lifecycle action alive' });
      x.decisions.push({
        t: world.now,
        kind: r.decision.action.kind,
        reason: r.decision.reason,
        ...(r.decision.impossible ? { impossible: r.decision.impossible } : {}),
      });
      x.state = r.state;
      x.done = r.done;
      x.nextAt = world.now + this.poll;
    }
  }

  /** When the next execution step is due (Infinity when none runs). */
  nextAt(): number {
    const due = [...this.executions.values()].filter((x) => !x.done).map((x) => x.nextAt);
    return due.length ? Math.min(...due) : Infinity;
  }
}

/**
 * Plays a scenario's faults for `seconds` of simulated time with no roll, with or without the hook, ticking the
 * drain every few seconds. For tests and `elkctl sim`-style evidence of what the hook changes.
 */
export async function playWithHook(
  sim: Simulation,
  seconds: number,
  options: HookDrainOptions & { readonly hook: boolean },
): Promise<HookDrain | undefined> {
  const drain = options.hook ? new HookDrain(sim, options) : undefined;
  const step = Math.min(5, options.pollSeconds ?? 30);
  for (let t = 0; t <= seconds; t += step) {
    sim.world.advanceTo(t);
    await drain?.tick();
  }
  return drain;
}
