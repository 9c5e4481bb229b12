import * as fs from 'fs';
import * as path from 'path';
import { EsApi } from '../../sim/es/api';
import { World } from '../../sim/model/world';
import { scenario } from './builders';
import { shapeDiff } from './shape';

const FIXTURES = path.join(__dirname, '..', '..', 'sim', 'fixtures');
const fixture = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8'));

/** A world in a state where every documented case exists: a node left, a replica is delayed, a node is excluded. */
function busyWorld(): { world: World; api: EsApi } {
  const world = new World(scenario({ cluster: { dataNodes: 4 } }));
  const api = new EsApi(world);
  world.kill('i-00000000000000007');
  world.advanceTo(5);
  return { world, api };
}

describe('shapeDiff', () => {
  it('reports a missing key, an extra key and a type change by path', () => {
    expect(shapeDiff({ a: 1, b: { c: 'x' } }, { a: 'one', b: { c: 'y', d: 2 } })).toEqual([
      '$.a: expected number, got string',
      '$.b.d: not in the documented response',
    ]);
    expect(shapeDiff({ a: 1, 'o?': [1] }, {})).toEqual(['$.a: missing']);
    expect(shapeDiff({ '<id>': { n: 1 } }, { x: { n: 2 }, y: { n: 'z' } })).toEqual([
      '$.y.n: expected number, got string',
    ]);
  });
});

describe('simulator responses have the documented shape', () => {
  const cases: [string, string, (w: World, api: EsApi) => { status: number; body: unknown }][] = [
    ['root.json', 'GET /', (_w, api) => api.request('GET', '/')],
    ['cluster-health.json', 'GET /_cluster/health', (_w, api) => api.request('GET', '/_cluster/health')],
    [
      'cluster-health.json',
      'GET /_cluster/health?wait_for_status=green (408)',
      (_w, api) => api.request('GET', '/_cluster/health?wait_for_status=green&timeout=0s'),
    ],
    [
      'cat-nodes.json',
      'GET /_cat/nodes',
      (_w, api) =>
        api.request(
          'GET',
          '/_cat/nodes?format=json&full_id=true&h=id,name,ip,version,node.role,master,disk.used_percent,disk.used,disk.total,heap.percent',
        ),
    ],
    [
      'cat-shards.json',
      'GET /_cat/shards',
      (_w, api) =>
        api.request('GET', '/_cat/shards?format=json&h=index,shard,prirep,state,docs,store,node,unassigned.reason'),
    ],
    [
      'cat-allocation.json',
      'GET /_cat/allocation',
      (_w, api) => api.request('GET', '/_cat/allocation?format=json&bytes=b'),
    ],
    [
      'cat-recovery.json',
      'GET /_cat/recovery?active_only',
      (w, api) => {
        w.advanceTo(120);
        return api.request('GET', '/_cat/recovery?format=json&active_only=true&bytes=b');
      },
    ],
    ['cat-indices.json', 'GET /_cat/indices', (_w, api) => api.request('GET', '/_cat/indices?format=json')],
    ['nodes-info.json', 'GET /_nodes', (_w, api) => api.request('GET', '/_nodes')],
    [
      'cluster-settings-put.json',
      'PUT /_cluster/settings',
      (_w, api) =>
        api.request('PUT', '/_cluster/settings', {
          persistent: { 'cluster.routing.allocation.exclude._name': 'i-00000000000000004' },
        }),
    ],
    [
      'cluster-settings-get.json',
      'GET /_cluster/settings',
      (_w, api) => {
        api.request('PUT', '/_cluster/settings', {
          persistent: { 'cluster.routing.allocation.exclude._name': ['i-00000000000000004'] },
        });
        return api.request('GET', '/_cluster/settings');
      },
    ],
    [
      'cluster-settings-get-flat.json',
      'GET /_cluster/settings?flat_settings',
      (_w, api) => {
        api.request('PUT', '/_cluster/settings', {
          persistent: { cluster: { routing: { allocation: { exclude: { _name: 'i-00000000000000004' } } } } },
        });
        return api.request('GET', '/_cluster/settings?flat_settings=true');
      },
    ],
    [
      'allocation-explain-delayed.json',
      'POST /_cluster/allocation/explain (delayed replica)',
      (_w, api) => api.request('POST', '/_cluster/allocation/explain'),
    ],
    [
      'allocation-explain-unassigned.json',
      'POST /_cluster/allocation/explain (replica refused)',
      (w, api) => {
        api.request('PUT', '/_cluster/settings', { transient: { 'cluster.routing.allocation.enable': 'primaries' } });
        w.advanceTo(300);
        return api.request('POST', '/_cluster/allocation/explain');
      },
    ],
    [
      'allocation-explain-cannot-remain.json',
      'POST /_cluster/allocation/explain (excluded node)',
      (w, api) => {
        const copy = [...w.cluster.allShards()][0].copies.find((c) => c.primary && c.node)!;
        api.request('PUT', '/_cluster/settings', { transient: { 'cluster.routing.allocation.enable': 'none' } });
        api.request('PUT', '/_cluster/settings', {
          transient: { 'cluster.routing.allocation.exclude._name': copy.node!.name },
        });
        return api.request('POST', '/_cluster/allocation/explain', {
          index: copy.shard.index.name,
          shard: copy.shard.num,
          primary: true,
        });
      },
    ],
    [
      'cluster-state-coordination.json',
      'GET /_cluster/state/metadata?filter_path=metadata.cluster_coordination',
      (_w, api) => {
        api.request('POST', '/_cluster/voting_config_exclusions?node_names=i-00000000000000001');
        return api.request('GET', '/_cluster/state/metadata?filter_path=metadata.cluster_coordination');
      },
    ],
    ['count.json', 'GET /_count', (_w, api) => api.request('GET', '/_count')],
    ['count.json', 'GET /logs/_count', (_w, api) => api.request('GET', '/logs/_count')],
    ['error-index-not-found.json', 'GET /missing/_count (404)', (_w, api) => api.request('GET', '/missing/_count')],
    [
      'error-no-master.json',
      'GET /_cluster/health without master (503)',
      (w, api) => {
        w.kill('i-00000000000000001');
        w.kill('i-00000000000000002');
        return api.request('GET', '/_cluster/health');
      },
    ],
  ];

  it.each(cases)('%s matches %s', (file, _request, call) => {
    const { world, api } = busyWorld();
    const r = call(world, api);
    expect(r.status).toBeLessThan(600);
    const body = r.body as unknown[];
    if (Array.isArray(fixture(file))) expect(body.length).toBeGreaterThan(0);
    expect(shapeDiff(fixture(file), r.body)).toEqual([]);
  });

  it('error-media-type.json matches a compatible-with=9 request to an 8.x node', () => {
    const { api } = busyWorld();
    const r = api.handle({
      method: 'GET',
      url: '/_cluster/health',
      headers: { accept: 'application/vnd.elasticsearch+json; compatible-with=9' },
    });
    expect(r.status).toBe(400);
    expect(shapeDiff(fixture('error-media-type.json'), JSON.parse(r.body))).toEqual([]);
  });
});
