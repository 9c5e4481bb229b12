/**
 * Inside a roll, Elasticsearch down on an EC2-healthy instance is treated like a killed node (issue 12, finding 7):
 * when the roll would wait anyway, the node health check (node-health.ts) runs with the roll's view, keeps its clock
 * in the group tag and, past the bound, marks the instance Unhealthy; Auto Scaling replaces it with the target
 * template and the roll counts the replacement as a new node, as after any node loss. Pure.
 */
import type { Ctx } from './context';
import { act } from './actions';
import { NODE_DOWN, nodeHealth } from './node-health';
import type { Decision } from './types';

/** Decisions during which the roll only waits (nothing to write), so the health check may take the step. */
function waiting(d: Decision): boolean {
  const a = d.action;
  if (a.type === 'wait' || a.type === 'wait-for-drain') return true;
  if (a.type === 'wait-for-join' || a.type === 'wait-for-tasks') return a.since === undefined;
  return false;
}

/** The health check's step instead of the roll's wait, or undefined (the roll's decision stands). */
export function nodeDownInRoll(ctx: Ctx, d: Decision): Decision | undefined {
  if (!waiting(d)) return undefined;
  const r = nodeHealth({
    es: ctx.es,
    groups: [ctx.data.group, ctx.master.group],
    now: ctx.now,
    downSeconds: ctx.spec.options.nodeDownSeconds,
    inRoll: true,
  });
  if (r.kind === 'record') return act({ type: 'node-missing', group: r.group, value: r.value }, r.reason);
  if (r.kind === 'mark') {
    return act({ type: 'mark-unhealthy', group: r.group, instanceId: r.instanceId }, r.reason, NODE_DOWN);
  }
  return undefined;
}
