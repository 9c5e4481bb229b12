/**
 * One run of the periodic node health check (issue 12, finding 7): observe the cluster and both Elasticsearch groups,
 * decide with the pure core (core/node-health.ts), act once, log one line. Outside a roll only: while a roll holds
 * the lock, the roll's own reconcile does the same check (core/node-down.ts), so one actor decides at a time.
 */
import type { EsPort } from './core/es-port';
import type { FleetPort } from './core/fleet-port';
import { type NodeHealthDecision, nodeHealth } from './core/node-health';
import { TAG } from './core/tags';
import { type Unknown, isUnknown } from './core/types';
import { errorText, execute } from './reconcile';

export interface NodeHealthResult {
  /** What the check found: the core's decision, or why it did not decide. */
  readonly decision:
    NodeHealthDecision | { readonly kind: 'unobservable' | 'roll-in-progress'; readonly reason: string };
  readonly executed: boolean;
  readonly error?: string;
}

export interface NodeHealthCheckInput {
  readonly es: EsPort;
  readonly fleet: FleetPort;
  readonly groups: { readonly data: string; readonly master: string };
  readonly downSeconds: number;
  readonly now: number;
  readonly log?: (line: Record<string, unknown>) => void;
}

export async function nodeHealthCheck(input: NodeHealthCheckInput): Promise<NodeHealthResult> {
  const { es, fleet, groups, downSeconds, now } = input;
  const log = input.log ?? ((l) => console.log(JSON.stringify(l)));
  const [view, fleetView] = await Promise.all([
    es.observe().catch((e: unknown): Unknown => ({ unknown: errorText(e) })),
    fleet.describeGroups([groups.data, groups.master]).catch((e: unknown): Unknown => ({ unknown: errorText(e) })),
  ]);
  let result: NodeHealthResult;
  if (isUnknown(view) || isUnknown(fleetView)) {
    const why = isUnknown(view) ? `Elasticsearch: ${view.unknown}` : `Auto Scaling: ${(fleetView as Unknown).unknown}`;
    result = {
      decision: { kind: 'unobservable', reason: `cannot observe the cluster (${why}): nothing marked` },
      executed: false,
    };
  } else if (fleetView.some((g) => g.tags[TAG.rollout] !== undefined)) {
    result = {
      decision: { kind: 'roll-in-progress', reason: 'a roll holds the lock: its own reconcile checks node health' },
      executed: false,
    };
  } else {
    const decision = nodeHealth({ es: view, groups: fleetView, now, downSeconds, inRoll: false });
    let executed = false;
    let error: string | undefined;
    try {
      if (decision.kind === 'record') {
        await execute({ type: 'node-missing', group: decision.group, value: decision.value }, es, fleet);
        executed = true;
      } else if (decision.kind === 'mark') {
        const r = await execute(
          { type: 'mark-unhealthy', group: decision.group, instanceId: decision.instanceId },
          es,
          fleet,
        );
        executed = !r.skipped;
        if (r.skipped) error = r.skipped;
      }
    } catch (e) {
      error = errorText(e);
    }
    result = { decision, executed, ...(error ? { error } : {}) };
  }
  const d = result.decision;
  log({
    nodeHealth: d.kind,
    reason: 'reason' in d ? d.reason : 'every InService instance is a cluster member',
    ...('instanceId' in d ? { node: d.instanceId } : {}),
    executed: result.executed,
    ...(result.error ? { error: result.error } : {}),
  });
  return result;
}
