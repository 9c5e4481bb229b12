/**
 * The reconcile function's read-only mode, for `elkctl roll status|plan` from outside the VPC: the CLI invokes the
 * function (which sits in the VPC with the orchestrator's Elasticsearch user) with `{"readOnly": "observe", ...}` and
 * gets the observation it would have made itself; it plans from it with the same core. Nothing is decided or
 * executed here, and no workflow state is read or written.
 */
import { z } from 'zod';
import { observe } from '../reconcile';
import { DEFAULT_OPTIONS, type Observed } from '../core/types';
import type { Runtime } from './runtime';

export const ReadOnlyRequestSchema = z
  .object({
    readOnly: z.literal('observe'),
    dataGroup: z.string().min(1),
    masterGroup: z.string().min(1),
  })
  .strict();
export type ReadOnlyRequest = z.infer<typeof ReadOnlyRequestSchema>;

export interface ReadOnlyResponse {
  readonly observed: Observed;
}

/** Whether an invocation asks for the read-only mode (any object with a `readOnly` key). */
export function isReadOnlyRequest(input: unknown): boolean {
  return typeof input === 'object' && input !== null && 'readOnly' in input;
}

export async function readOnly(input: unknown, rt: Runtime): Promise<ReadOnlyResponse> {
  const parsed = ReadOnlyRequestSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(
      `read-only request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')} ` +
        '(expected {"readOnly": "observe", "dataGroup": NAME, "masterGroup": NAME})',
    );
  }
  const groups = { data: parsed.data.dataGroup, master: parsed.data.masterGroup };
  const { es, fleet } = await rt.ports(groups);
  const spec = { rolloutId: 'read-only', groups, targetVersion: '-', mode: 'roll' as const, options: DEFAULT_OPTIONS };
  return { observed: await observe(es, fleet, spec, rt.now()) };
}
