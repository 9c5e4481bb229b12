/**
 * One pass of index management: observe, plan (core.ts), send in order. A request that Elasticsearch refuses as
 * "in use" is kept and reported; a broken definition fails; anything transient stops the pass to be retried.
 */
import { CurrentState, Definition, DefinitionKind, IndexRequest, classifyRequestError, planIndexChanges } from './core';
import { IndexPort } from './port';

export type ApplyResult =
  | { verdict: 'done'; applied: string[]; kept: string[]; unchanged: number }
  | { verdict: 'wait'; reason: string; applied: string[] }
  | { verdict: 'fail'; reason: string; applied: string[] };

const KINDS: readonly DefinitionKind[] = ['ilm-policy', 'component-template', 'index-template'];

export async function applyIndexDefinitions(
  port: IndexPort,
  desired: readonly Definition[],
  previous: readonly { kind: DefinitionKind; name: string }[],
  log: (line: Record<string, unknown>) => void,
): Promise<ApplyResult> {
  const current = {} as Record<DefinitionKind, Map<string, { meta?: Record<string, unknown> }>>;
  for (const kind of KINDS) {
    const names = [...new Set([...desired, ...previous].filter((d) => d.kind === kind).map((d) => d.name))];
    current[kind] = await port.read(kind, names);
  }
  const plan = planIndexChanges({ desired, previous, current: current as CurrentState });
  const applied: string[] = [];
  const kept: string[] = plan.skipped
    .filter((s) => s.reason !== 'unchanged')
    .map((s) => `${s.kind} ${s.name}: ${s.reason}`);
  for (const req of plan.requests) {
    const res = await port.send(req);
    if (res.status !== undefined && res.status < 300) {
      applied.push(req.description);
      log({ decision: 'applied', request: describe(req) });
      continue;
    }
    const verdict = classifyRequestError(req, res.status, res.reason);
    if (verdict === 'gone') continue;
    if (verdict === 'in-use') {
      kept.push(`${req.kind} ${req.name}: still in use, not deleted (${res.reason})`);
      log({ decision: 'kept', request: describe(req), reason: res.reason });
      continue;
    }
    const reason = `${describe(req)}: HTTP ${res.status ?? 'none'}: ${res.reason}`.slice(0, 900);
    return verdict === 'retry' ? { verdict: 'wait', reason, applied } : { verdict: 'fail', reason, applied };
  }
  return { verdict: 'done', applied, kept, unchanged: plan.skipped.filter((s) => s.reason === 'unchanged').length };
}

const describe = (req: IndexRequest): string => `${req.method} ${req.path} (${req.description})`;
