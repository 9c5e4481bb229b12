/**
 * The reconcile function's node health mode: an EventBridge schedule invokes it every few minutes with
 * `{"nodeHealth": {"dataGroup", "masterGroup", "downSeconds"}}` (lib/rolling-replacement), and it runs one node
 * health check (../node-health.ts): an InService, EC2-healthy instance out of the cluster past the bound is marked
 * Unhealthy so that Auto Scaling replaces it.
 */
import { z } from 'zod';
import { nodeHealthCheck, type NodeHealthResult } from '../node-health';
import type { Runtime } from './runtime';

export const NodeHealthRequestSchema = z
  .object({
    nodeHealth: z
      .object({
        dataGroup: z.string().min(1),
        masterGroup: z.string().min(1),
        downSeconds: z.number().int().min(0),
      })
      .strict(),
  })
  .strict();
export type NodeHealthRequest = z.infer<typeof NodeHealthRequestSchema>;

export function isNodeHealthRequest(input: unknown): boolean {
  return typeof input === 'object' && input !== null && 'nodeHealth' in input;
}

export async function nodeHealthHandler(input: unknown, rt: Runtime): Promise<NodeHealthResult> {
  const parsed = NodeHealthRequestSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(
      `node health request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`,
    );
  }
  const r = parsed.data.nodeHealth;
  const groups = { data: r.dataGroup, master: r.masterGroup };
  const { es, fleet } = await rt.ports(groups);
  return nodeHealthCheck({ es, fleet, groups, downSeconds: r.downSeconds, now: rt.now() });
}
