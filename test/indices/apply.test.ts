import { applyIndexDefinitions } from '../../lambda/index-management/apply';
import {
  CurrentDefinition,
  Definition,
  DefinitionKind,
  IndexRequest,
  bodyWithMeta,
  classifyRequestError,
  definitionHash,
  planIndexChanges,
} from '../../lambda/index-management/core';
import { IndexPort, metaFromAnswer } from '../../lambda/index-management/port';

const policy: Definition = { kind: 'ilm-policy', name: 'p', body: { policy: { phases: { hot: { actions: {} } } } } };
const component: Definition = {
  kind: 'component-template',
  name: 'c',
  body: { template: { settings: { number_of_replicas: 1 } } },
};
const template: Definition = {
  kind: 'index-template',
  name: 't',
  body: { index_patterns: ['a-*'], composed_of: ['c'] },
};

/** An in-memory Elasticsearch for definitions: stores PUT bodies, refuses deletes of what is in use. */
class FakeCluster implements IndexPort {
  readonly store: Record<DefinitionKind, Map<string, Record<string, unknown>>> = {
    'ilm-policy': new Map(),
    'component-template': new Map(),
    'index-template': new Map(),
  };
  readonly sent: string[] = [];
  inUse = new Set<string>();
  failNext?: { status?: number; reason: string };

  async read(kind: DefinitionKind, names: readonly string[]): Promise<Map<string, CurrentDefinition>> {
    const out = new Map<string, CurrentDefinition>();
    for (const n of names) {
      const body = this.store[kind].get(n);
      if (!body) continue;
      const meta =
        kind === 'ilm-policy'
          ? (body.policy as { _meta?: Record<string, unknown> })._meta
          : (body._meta as Record<string, unknown>);
      out.set(n, { meta });
    }
    return out;
  }
  async send(req: IndexRequest) {
    this.sent.push(`${req.method} ${req.path}`);
    if (this.failNext) {
      const f = this.failNext;
      this.failNext = undefined;
      return f;
    }
    if (req.method === 'DELETE') {
      if (this.inUse.has(`${req.kind}/${req.name}`))
        return {
          status: 400,
          reason:
            'illegal_argument_exception: unable to remove composable templates [t] as they are in use by a data streams [a-x]',
        };
      this.store[req.kind].delete(req.name);
      return { status: 200, reason: 'ok' };
    }
    this.store[req.kind].set(req.name, req.body!);
    return { status: 200, reason: 'ok' };
  }
}

const noLog = () => undefined;

describe('planIndexChanges', () => {
  const empty = { 'ilm-policy': new Map(), 'component-template': new Map(), 'index-template': new Map() };
  it('creates policies, then component templates, then index templates (what references comes after what it references)', () => {
    const plan = planIndexChanges({ desired: [template, component, policy], previous: [], current: empty });
    expect(plan.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /_ilm/policy/p',
      'PUT /_component_template/c',
      'PUT /_index_template/t',
    ]);
  });
  it('marks every body as managed by elk-cdk with its hash, keeping the user _meta', () => {
    const body = bodyWithMeta({ ...component, body: { ...component.body, _meta: { team: 'x' } } });
    expect(body._meta).toEqual({
      team: 'x',
      managed_by: 'elk-cdk',
      elk_cdk_hash: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect((bodyWithMeta(policy).policy as Record<string, unknown>)._meta).toMatchObject({ managed_by: 'elk-cdk' });
  });
  it('sends nothing for a definition whose stored hash is unchanged', () => {
    const current = {
      ...empty,
      'ilm-policy': new Map([['p', { meta: { managed_by: 'elk-cdk', elk_cdk_hash: definitionHash(policy) } }]]),
    };
    expect(planIndexChanges({ desired: [policy], previous: [policy], current }).requests).toEqual([]);
  });
  it('deletes what was removed from the folder, index templates before the component templates they use', () => {
    const mine = { meta: { managed_by: 'elk-cdk' } };
    const current = {
      'ilm-policy': new Map([['p', mine]]),
      'component-template': new Map([['c', mine]]),
      'index-template': new Map([['t', mine]]),
    };
    const plan = planIndexChanges({ desired: [], previous: [policy, component, template], current });
    expect(plan.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'DELETE /_index_template/t',
      'DELETE /_component_template/c',
      'DELETE /_ilm/policy/p',
    ]);
  });
  it('never deletes a definition that is not marked as written by elk-cdk', () => {
    const current = { ...empty, 'index-template': new Map([['t', { meta: { owner: 'someone' } }]]) };
    const plan = planIndexChanges({ desired: [], previous: [template], current });
    expect(plan.requests).toEqual([]);
    expect(plan.skipped[0]!.reason).toMatch(/not marked managed_by elk-cdk/);
  });
});

describe('classifyRequestError', () => {
  const del = { method: 'DELETE', path: '/x', kind: 'index-template', name: 't', description: '' } as const;
  const put = { ...del, method: 'PUT' } as const;
  it.each([
    [del, 400, 'unable to remove composable templates [t] as they are in use by a data streams [x]', 'in-use'],
    [del, 400, 'component templates [c] cannot be removed as they are still in use by index templates [t]', 'in-use'],
    [del, 400, 'Cannot delete policy [p]. It is in use by one or more indices: [i]', 'in-use'],
    [del, 404, 'not found', 'gone'],
    [put, 400, 'mapper_parsing_exception', 'fail'],
    [put, 503, 'master_not_discovered_exception', 'retry'],
    [put, undefined, 'connect ECONNREFUSED', 'retry'],
    [put, 429, 'too many requests', 'retry'],
  ])('%o %s %s → %s', (req, status, reason, expected) => {
    expect(classifyRequestError(req as IndexRequest, status, reason)).toBe(expected);
  });
});

describe('applyIndexDefinitions', () => {
  it('applies everything once, and a second pass with the same definitions sends no write', async () => {
    const es = new FakeCluster();
    const first = await applyIndexDefinitions(es, [policy, component, template], [], noLog);
    expect(first).toMatchObject({
      verdict: 'done',
      applied: expect.arrayContaining([expect.stringMatching(/create/)]),
    });
    es.sent.length = 0;
    const second = await applyIndexDefinitions(es, [policy, component, template], [policy, component, template], noLog);
    expect(second).toMatchObject({ verdict: 'done', applied: [], unchanged: 3 });
    expect(es.sent).toEqual([]);
  });
  it('keeps an index template that a data stream still uses, and says so', async () => {
    const es = new FakeCluster();
    await applyIndexDefinitions(es, [component, template], [], noLog);
    es.inUse.add('index-template/t');
    const r = await applyIndexDefinitions(es, [component], [component, template], noLog);
    expect(r).toMatchObject({ verdict: 'done', kept: [expect.stringMatching(/index-template t: still in use/)] });
    expect(es.store['index-template'].has('t')).toBe(true);
  });
  it('waits (to retry) on a transient error and fails on a refused definition', async () => {
    const es = new FakeCluster();
    es.failNext = { status: 503, reason: 'master_not_discovered_exception' };
    expect((await applyIndexDefinitions(es, [policy], [], noLog)).verdict).toBe('wait');
    es.failNext = { status: 400, reason: 'illegal_argument_exception: bad' };
    const failed = await applyIndexDefinitions(es, [policy], [], noLog);
    expect(failed).toMatchObject({
      verdict: 'fail',
      reason: expect.stringMatching(/PUT \/_ilm\/policy\/p.*HTTP 400.*bad/),
    });
  });
});

describe('metaFromAnswer reads the GET answers of the three APIs', () => {
  it.each([
    ['ilm-policy', { p: { version: 1, policy: { phases: {}, _meta: { managed_by: 'elk-cdk' } }, in_use_by: {} } }, 'p'],
    [
      'component-template',
      { component_templates: [{ name: 'c', component_template: { template: {}, _meta: { managed_by: 'elk-cdk' } } }] },
      'c',
    ],
    [
      'index-template',
      { index_templates: [{ name: 't', index_template: { index_patterns: ['a'], _meta: { managed_by: 'elk-cdk' } } }] },
      't',
    ],
  ] as const)('%s', (kind, body, name) => {
    expect(metaFromAnswer(kind, name, body)).toEqual({ meta: { managed_by: 'elk-cdk' } });
    expect(metaFromAnswer(kind, 'other', body)).toBeUndefined();
  });
});
