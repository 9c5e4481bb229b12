/**
 * Pure planning for index definitions as code: which requests bring Elasticsearch's ILM policies, component
 * templates and index templates to the declared ones, in dependency order, and which removed definitions to delete.
 * No SDK, no clock, no I/O. Every PUT carries `_meta.elk_cdk_hash` (the definition's hash), so an unchanged
 * definition is not sent again, and `_meta.managed_by: elk-cdk`, so nothing this app did not write is deleted.
 */
import { createHash } from 'crypto';

export type DefinitionKind = 'component-template' | 'index-template' | 'ilm-policy';

export interface Definition {
  readonly kind: DefinitionKind;
  readonly name: string;
  readonly body: Record<string, unknown>;
}

/** What Elasticsearch holds for one definition name: its `_meta` (policies: `policy._meta`), or absent. */
export interface CurrentDefinition {
  readonly meta?: Record<string, unknown>;
}

export type CurrentState = Readonly<Record<DefinitionKind, ReadonlyMap<string, CurrentDefinition>>>;

export interface IndexRequest {
  readonly method: 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: Record<string, unknown>;
  readonly kind: DefinitionKind;
  readonly name: string;
  readonly description: string;
}

export interface IndexPlan {
  readonly requests: IndexRequest[];
  /** Definitions left alone, with why (unchanged, or removed from the folder but not ours). */
  readonly skipped: { kind: DefinitionKind; name: string; reason: string }[];
}

export const MANAGED_BY = 'elk-cdk';
const PUT_ORDER: readonly DefinitionKind[] = ['ilm-policy', 'component-template', 'index-template'];
const DELETE_ORDER: readonly DefinitionKind[] = ['index-template', 'component-template', 'ilm-policy'];
const enc = encodeURIComponent;

export const apiPath = (kind: DefinitionKind, name: string): string =>
  kind === 'ilm-policy'
    ? `/_ilm/policy/${enc(name)}`
    : kind === 'component-template'
      ? `/_component_template/${enc(name)}`
      : `/_index_template/${enc(name)}`;

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export const definitionHash = (d: Definition): string =>
  createHash('sha256')
    .update(stable({ kind: d.kind, body: d.body }))
    .digest('hex')
    .slice(0, 16);

/** The body sent: the definition with `_meta` marking it as ours and carrying its hash. */
export function bodyWithMeta(d: Definition): Record<string, unknown> {
  const meta = { managed_by: MANAGED_BY, elk_cdk_hash: definitionHash(d) };
  if (d.kind === 'ilm-policy') {
    const policy = (d.body.policy ?? {}) as Record<string, unknown>;
    const own = (policy._meta ?? {}) as Record<string, unknown>;
    return { ...d.body, policy: { ...policy, _meta: { ...own, ...meta } } };
  }
  const own = (d.body._meta ?? {}) as Record<string, unknown>;
  return { ...d.body, _meta: { ...own, ...meta } };
}

export interface PlanInput {
  readonly desired: readonly Definition[];
  /** Names this app managed before this change (the custom resource's old properties), per kind. */
  readonly previous: readonly { kind: DefinitionKind; name: string }[];
  readonly current: CurrentState;
}

export function planIndexChanges(input: PlanInput): IndexPlan {
  const requests: IndexRequest[] = [];
  const skipped: IndexPlan['skipped'] = [];
  for (const kind of PUT_ORDER) {
    for (const d of input.desired.filter((x) => x.kind === kind).sort((a, b) => a.name.localeCompare(b.name))) {
      const have = input.current[kind].get(d.name);
      if (have?.meta?.elk_cdk_hash === definitionHash(d) && have.meta.managed_by === MANAGED_BY) {
        skipped.push({ kind, name: d.name, reason: 'unchanged' });
        continue;
      }
      const adopt = have !== undefined && have.meta?.managed_by !== MANAGED_BY;
      requests.push({
        method: 'PUT',
        path: apiPath(kind, d.name),
        body: bodyWithMeta(d),
        kind,
        name: d.name,
        description: `${have ? 'update' : 'create'} ${kind} ${d.name}${adopt ? ' (existed without elk-cdk marker: now managed)' : ''}`,
      });
    }
  }
  const wanted = new Set(input.desired.map((d) => `${d.kind}/${d.name}`));
  for (const kind of DELETE_ORDER) {
    const removed = input.previous.filter((p) => p.kind === kind && !wanted.has(`${kind}/${p.name}`));
    for (const { name } of [...removed].sort((a, b) => a.name.localeCompare(b.name))) {
      const have = input.current[kind].get(name);
      if (!have) continue;
      if (have.meta?.managed_by !== MANAGED_BY) {
        skipped.push({ kind, name, reason: 'removed from indices/ but not marked managed_by elk-cdk: left in place' });
        continue;
      }
      requests.push({ method: 'DELETE', path: apiPath(kind, name), kind, name, description: `delete ${kind} ${name}` });
    }
  }
  return { requests, skipped };
}

/**
 * What an error answer to one request means. A delete that Elasticsearch refuses because the definition is in
 * use (a data stream uses the index template, an index template the component template, an index the policy) is
 * kept and reported, never forced; other 4xx answers are a broken definition (fail the deployment); 5xx, 408,
 * 429 and connection errors mean wait and retry.
 */
export function classifyRequestError(
  req: IndexRequest,
  status: number | undefined,
  reason: string,
): 'in-use' | 'retry' | 'fail' | 'gone' {
  if (req.method === 'DELETE' && status === 404) return 'gone';
  if (status === undefined || status >= 500 || status === 408 || status === 429) return 'retry';
  if (req.method === 'DELETE' && status === 400 && /in use|still in use|used by/i.test(reason)) return 'in-use';
  if (req.method === 'DELETE' && status === 409) return 'in-use';
  return 'fail';
}
