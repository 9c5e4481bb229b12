import { EsApi } from '../../sim/es/api';
import { contractProblems } from '../../sim/es/contract/check';
import { World } from '../../sim/model/world';
import { scenario } from './builders';

/**
 * The snapshot repository, create and get APIs (sim/es/snapshot-api.ts, repositories.ts): strict as Elasticsearch,
 * and every answer conforms to the client's types.
 */

type Info = {
  snapshot: string;
  state: string;
  shards: { total: number; successful: number; failed: number };
  end_time_in_millis: number;
  failures: { index: string; shard_id: number }[];
  metadata?: Record<string, unknown>;
};
type Err = { error: { type: string; reason: string } };

function api(): EsApi {
  // One 6-shard index of 60 GiB: 10 GiB per primary, at 40 MiB/s 256 s each.
  return new EsApi(new World(scenario()));
}

/** A request whose answer must conform to the contract. */
function call(es: EsApi, method: string, url: string, body?: unknown): { status: number; body: unknown } {
  const r = es.request(method, url, body);
  expect(contractProblems(method, url, r.status, r.body)).toEqual([]);
  return r;
}

const register = (es: EsApi, name = 'elk-cdk') =>
  call(es, 'PUT', `/_snapshot/${name}`, { type: 's3', settings: { bucket: 'b', base_path: 'p' } });

describe('snapshot repositories', () => {
  it('registers a repository and lists it with its settings as strings; a missing one is a 404', () => {
    const es = api();
    expect(register(es)).toEqual({ status: 200, body: { acknowledged: true } });
    expect(
      es.request('PUT', '/_snapshot/local', { type: 'fs', settings: { location: '/x', compress: true } }).status,
    ).toBe(200);
    expect(es.request('GET', '/_snapshot/elk-cdk').body).toEqual({
      'elk-cdk': { type: 's3', settings: { bucket: 'b', base_path: 'p' } },
    });
    expect(Object.keys(es.request('GET', '/_snapshot').body as object)).toEqual(['elk-cdk', 'local']);
    expect((es.request('GET', '/_snapshot/local').body as { local: { settings: unknown } }).local.settings).toEqual({
      location: '/x',
      compress: 'true',
    });
    const missing = es.request('GET', '/_snapshot/nope');
    expect(missing.status).toBe(404);
    expect((missing.body as Err).error).toMatchObject({
      type: 'repository_missing_exception',
      reason: '[nope] missing',
    });
  });

  it('refuses a repository without a type, of an unknown type, or an s3 one without a bucket', () => {
    const es = api();
    expect((es.request('PUT', '/_snapshot/r', {}).body as Err).error.type).toBe('action_request_validation_exception');
    const unknown = es.request('PUT', '/_snapshot/r', { type: 'hdfs' });
    expect(unknown.status).toBe(500);
    expect((unknown.body as Err).error.reason).toBe('[r] repository type [hdfs] does not exist');
    expect(es.request('PUT', '/_snapshot/r', { type: 's3', settings: {} }).status).toBe(500);
    expect(es.request('PUT', '/_snapshot/r?verify=false&wait=1', { type: 'fs' }).status).toBe(400);
  });

  it('stores an SLM policy only for a registered repository', () => {
    const es = api();
    const policy = { schedule: '0 30 1 * * ?', name: '<nightly-{now/d}>', repository: 'elk-cdk' };
    const before = es.request('PUT', '/_slm/policy/nightly', policy);
    expect(before.status).toBe(400);
    expect((before.body as Err).error.reason).toBe('no such repository [elk-cdk]');
    register(es);
    expect(call(es, 'PUT', '/_slm/policy/nightly', policy).body).toEqual({ acknowledged: true });
    expect(es.world.snapshots.policies.get('nightly')?.version).toBe(1);
    expect(es.request('PUT', '/_slm/policy/nightly', { ...policy, every: 1 }).status).toBe(400);
    expect(es.request('PUT', '/_slm/policy/nightly', { name: 'x', repository: 'elk-cdk' }).status).toBe(400);
  });
});

describe('create and get snapshots', () => {
  it('needs a registered repository', () => {
    const es = api();
    for (const [method, url] of [
      ['PUT', '/_snapshot/elk-cdk/s1'],
      ['GET', '/_snapshot/elk-cdk/s1'],
      ['GET', '/_snapshot/elk-cdk/pre-roll-*?ignore_unavailable=true'],
    ] as const) {
      const r = es.request(method, url);
      expect([url, r.status, (r.body as Err).error.type]).toEqual([url, 404, 'repository_missing_exception']);
    }
    expect(es.world.snapshots.list).toEqual([]);
  });

  it('starts a snapshot, lists it IN_PROGRESS, then SUCCESS; the same name again is refused as in use', () => {
    const es = api();
    register(es);
    const metadata = { taken_by: 'test' };
    expect(call(es, 'PUT', '/_snapshot/elk-cdk/s1?wait_for_completion=false', { metadata }).body).toEqual({
      accepted: true,
    });
    const running = (call(es, 'GET', '/_snapshot/elk-cdk/s1').body as { snapshots: Info[] }).snapshots;
    expect(running).toHaveLength(1);
    expect(running[0]).toMatchObject({
      snapshot: 's1',
      state: 'IN_PROGRESS',
      shards: { total: 6, successful: 0, failed: 0 },
      end_time_in_millis: 0,
      metadata,
    });
    const again = call(es, 'PUT', '/_snapshot/elk-cdk/s1', {});
    expect(again.status).toBe(400);
    expect((again.body as Err).error).toEqual(
      expect.objectContaining({
        type: 'snapshot_name_already_in_use_exception',
        reason: '[elk-cdk:s1] Invalid snapshot name [s1], snapshot with the same name is already in-progress',
      }),
    );
    es.world.advanceTo(10_000);
    const done = (call(es, 'GET', '/_snapshot/elk-cdk/s1').body as { snapshots: Info[] }).snapshots[0]!;
    expect(done).toMatchObject({ state: 'SUCCESS', shards: { total: 6, successful: 6, failed: 0 }, failures: [] });
    expect(done.end_time_in_millis).toBeGreaterThan(0);
    const exists = es.request('PUT', '/_snapshot/elk-cdk/s1');
    expect((exists.body as Err).error.reason).toMatch(/snapshot with the same name already exists$/);
    expect(es.world.snapshots.list).toHaveLength(1);
  });

  it('resolves names, wildcards, _all, _current and exclusions; ignore_unavailable only for missing ones', () => {
    const es = api();
    register(es);
    call(es, 'PUT', '/_snapshot/elk-cdk/pre-roll-a');
    es.world.advanceTo(5000);
    call(es, 'PUT', '/_snapshot/elk-cdk/pre-roll-b');
    call(es, 'PUT', '/_snapshot/elk-cdk/nightly');
    const names = (url: string) =>
      (call(es, 'GET', url).body as { snapshots: Info[] }).snapshots.map((s) => `${s.snapshot}:${s.state}`);
    expect(names('/_snapshot/elk-cdk/pre-roll-*')).toEqual(['pre-roll-a:SUCCESS', 'pre-roll-b:IN_PROGRESS']);
    expect(names('/_snapshot/elk-cdk/_all')).toHaveLength(3);
    expect(names('/_snapshot/_all/*,-pre-roll-a')).toEqual(['nightly:IN_PROGRESS', 'pre-roll-b:IN_PROGRESS']);
    expect(names('/_snapshot/elk-cdk/_current')).toEqual(['nightly:IN_PROGRESS', 'pre-roll-b:IN_PROGRESS']);
    expect(names('/_snapshot/elk-cdk/*?sort=name&order=desc&size=2')).toEqual([
      'pre-roll-b:IN_PROGRESS',
      'pre-roll-a:SUCCESS',
    ]);
    expect((es.request('GET', '/_snapshot/elk-cdk/*?size=1').body as { remaining: number }).remaining).toBe(2);
    // Nothing matches: 404 unless ignore_unavailable (what the orchestrator's adapter sends).
    const none = es.request('GET', '/_snapshot/elk-cdk/other-*');
    expect([none.status, (none.body as Err).error.type]).toEqual([404, 'snapshot_missing_exception']);
    expect(call(es, 'GET', '/_snapshot/elk-cdk/other-*?ignore_unavailable=true').body).toEqual({
      snapshots: [],
      total: 0,
      remaining: 0,
    });
    expect(es.request('GET', '/_snapshot/elk-cdk/gone').status).toBe(404);
    expect(names('/_snapshot/elk-cdk/gone,nightly?ignore_unavailable=true')).toEqual(['nightly:IN_PROGRESS']);
    expect(es.request('GET', '/_snapshot/elk-cdk/*?state=SUCCESS').status).toBe(400);
  });

  it('waits for completion within the load balancer idle timeout, else 504 while the snapshot runs', () => {
    const es = api();
    register(es);
    // 60 GiB from 3 nodes at 40 MiB/s: about 512 s, more than 350 s.
    const cut = es.request('PUT', '/_snapshot/elk-cdk/big?wait_for_completion=true');
    expect(cut.status).toBe(504);
    expect(es.world.now).toBeCloseTo(350, 0);
    es.world.snapshots.repositories.set('fast', { type: 'fs', settings: { max_snapshot_bytes_per_sec: '1gb' } });
    const r = call(es, 'PUT', '/_snapshot/fast/quick?wait_for_completion=true', { indices: 'logs' });
    expect(r.status).toBe(200);
    expect((r.body as { snapshot: Info }).snapshot).toMatchObject({ state: 'SUCCESS', shards: { successful: 6 } });
  });

  it('validates names and bodies like Elasticsearch', () => {
    const es = api();
    register(es);
    const type = (url: string, body?: unknown) => {
      const r = es.request('PUT', url, body);
      return `${r.status} ${(r.body as Err).error.type}`;
    };
    expect(type('/_snapshot/elk-cdk/Upper')).toBe('400 invalid_snapshot_name_exception');
    expect(type('/_snapshot/elk-cdk/a,b')).toBe('400 invalid_snapshot_name_exception');
    expect(type('/_snapshot/elk-cdk/s', { partial: true, bogus: 1 })).toBe('400 illegal_argument_exception');
    expect(type('/_snapshot/elk-cdk/s', { indices: ['nope'] })).toBe('404 index_not_found_exception');
    expect(type('/_snapshot/elk-cdk/s', { metadata: { big: 'x'.repeat(2000) } })).toBe(
      '400 action_request_validation_exception',
    );
    expect(es.world.snapshots.list).toEqual([]);
  });

  it('refuses a snapshot of an index without an active primary unless partial; a node leaving makes it PARTIAL', () => {
    const es = api();
    register(es);
    const w = es.world;
    // Kill every data node holding primary 0 and its replica: its shard has no copy left.
    const shard = w.cluster.indices[0]!.shards[0]!;
    for (const copy of shard.copies) w.kill(copy.node!.name, 'test');
    w.advanceTo(w.now + 1);
    const r = es.request('PUT', '/_snapshot/elk-cdk/s');
    expect([r.status, (r.body as Err).error.type]).toEqual([500, 'snapshot_exception']);
    expect((r.body as Err).error.reason).toMatch(/Indices don't have primary shards \[logs\]/);
    expect(call(es, 'PUT', '/_snapshot/elk-cdk/s', { partial: true }).status).toBe(200);
    w.advanceTo(w.now + 10_000);
    const info = (call(es, 'GET', '/_snapshot/elk-cdk/s').body as { snapshots: Info[] }).snapshots[0]!;
    expect(info.state).toBe('PARTIAL');
    expect(info.shards.failed).toBeGreaterThanOrEqual(1);
    expect(info.failures.map((f) => `${f.index}/${f.shard_id}`)).toContain('logs/0');
  });
});
