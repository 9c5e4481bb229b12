import { contractProblems, endpointOf } from '../../sim/es/contract/check';
import { createSimulation } from '../../sim/runner';
import { scenario } from './builders';

/** The simulator's answers against schemas generated from @elastic/elasticsearch's response types. */
describe('response contracts', () => {
  const sim = createSimulation(
    scenario({
      faults: [
        { kind: 'task', at: 0, node: 'i-00000000000000004', action: 'indices:data/write/reindex', seconds: 999 },
        { kind: 'snapshot', at: 0, repository: 'backups', name: 'nightly', bytesPerSecond: 1024 ** 2 },
      ],
    }),
  );
  sim.world.advanceTo(1);

  it.each([
    ['GET', '/_cluster/health'],
    ['GET', '/_cluster/health?level=shards'],
    ['GET', '/_nodes'],
    ['GET', '/_cat/nodes?format=json&h=name,id,master,node.role&full_id=true'],
    ['GET', '/_cat/allocation?format=json&bytes=b'],
    ['GET', '/_cat/shards?format=json&bytes=b'],
    ['GET', '/_cluster/settings?flat_settings=true&include_defaults=true'],
    ['GET', '/_tasks?detailed'],
    ['GET', '/_cluster/state'],
    ['GET', '/_cluster/state/metadata,nodes'],
    // What the orchestrator's adapter asks for: trimmed by filter_path, checked with nothing required.
    [
      'GET',
      '/_cluster/state/metadata,nodes?filter_path=metadata.cluster_coordination,metadata.indices.*.settings.index.routing.allocation,nodes.*.name',
    ],
    ['GET', '/_snapshot/_status'],
    ['GET', '/_snapshot/backups/nightly/_status'],
    // Served, read by no strategy today.
    ['GET', '/'],
    ['GET', '/_cat/recovery?format=json&bytes=b&active_only=false'],
    ['GET', '/_cat/recovery/logs?format=json&active_only=true'],
    ['GET', '/_cat/indices?format=json&bytes=b'],
    ['GET', '/_cat/health?format=json'],
    ['POST', '/_flush'],
    ['POST', '/logs/_flush'],
    ['POST', '/_cluster/reroute?retry_failed=true'],
  ])('%s %s conforms to the client type', (method, url) => {
    expect(endpointOf(method, url)).toBeDefined();
    const r = sim.api.request(method, url);
    expect(r.status).toBe(200);
    expect(contractProblems(method, url, r.status, r.body)).toEqual([]);
  });

  it('allocation explain of a replica conforms', () => {
    sim.world.cluster.applySettings('transient', new Map([['cluster.routing.allocation.enable', 'primaries']]));
    sim.world.kill('i-00000000000000004');
    const url = '/_cluster/allocation/explain?include_yes_decisions=true';
    const r = sim.api.request('POST', url);
    expect(r.status).toBe(200);
    expect(contractProblems('POST', url, r.status, r.body)).toEqual([]);
  });

  it('a running snapshot: processed stats and each shard node, which the specification omits, are allowed', () => {
    const r = sim.api.request('GET', '/_snapshot/_status');
    const snap = (r.body as { snapshots: { stats: object; indices: Record<string, { shards: object }> }[] })
      .snapshots[0];
    expect(snap.stats).toHaveProperty('processed');
    expect(Object.values(Object.values(snap.indices)[0].shards)[0]).toHaveProperty('node');
    expect(contractProblems('GET', '/_snapshot/_status', r.status, r.body)).toEqual([]);
  });

  it('voting configuration exclusions: the specification says Void, so the answer has no body', () => {
    const post = sim.api.request('POST', '/_cluster/voting_config_exclusions?node_names=i-00000000000000001');
    expect(post.status).toBe(200);
    expect(endpointOf('POST', '/_cluster/voting_config_exclusions?node_names=x')).toBe(
      'cluster.post_voting_config_exclusions',
    );
    expect(contractProblems('POST', '/_cluster/voting_config_exclusions?node_names=x', 200, post.body)).toEqual([]);
    const del = sim.api.request('DELETE', '/_cluster/voting_config_exclusions?wait_for_removal=false');
    expect(del.status).toBe(200);
    expect(contractProblems('DELETE', '/_cluster/voting_config_exclusions', 200, del.body)).toEqual([]);
    expect(contractProblems('DELETE', '/_cluster/voting_config_exclusions', 200, { acknowledged: true })).toEqual([
      'DELETE /_cluster/voting_config_exclusions: cluster.delete_voting_config_exclusions response must have no body (Void), got {"acknowledged":true}',
    ]);
  });

  it('finds answers the types do not allow', () => {
    expect(contractProblems('GET', '/_cluster/health', 200, { status: 'purple' }).join('\n')).toMatch(
      /cluster\.health response/,
    );
    expect(contractProblems('GET', '/_cat/shards?format=json', 200, [{ index: 'x', docs: 12 }]).join('\n')).toMatch(
      /\/0\/docs/,
    );
    // Cluster state (typed from Elasticsearch's source): a key it does not write, a wrong type, a missing name.
    const state = '/_cluster/state/metadata';
    expect(contractProblems('GET', state, 200, { cluster_name: 'elk', cluster_uuid: 'u', shards: {} })).toEqual([
      `GET ${state}: cluster.state response must NOT have additional properties`,
    ]);
    const coordination = { metadata: { cluster_coordination: { term: '4' } } };
    expect(contractProblems('GET', `${state}?filter_path=metadata`, 200, coordination).join('\n')).toMatch(
      /cluster_coordination\/term must be number/,
    );
    expect(contractProblems('GET', state, 200, { metadata: {} }).join('\n')).toMatch(/must have required property/);
    // Snapshot status: the shard's node is a node id (string).
    const snap = sim.api.request('GET', '/_snapshot/_status').body as {
      snapshots: { indices: Record<string, { shards: Record<string, { node?: unknown }> }> }[];
    };
    Object.values(Object.values(snap.snapshots[0].indices)[0].shards)[0].node = 7;
    expect(contractProblems('GET', '/_snapshot/_status', 200, snap).join('\n')).toMatch(
      /shards\/0\/node must be string/,
    );
    // A filtered answer is checked too, with nothing required: filtering only removes keys.
    expect(contractProblems('GET', '/_cluster/health?filter_path=status', 200, {})).toEqual([]);
    expect(contractProblems('GET', '/_cluster/health?filter_path=status', 200, { status: 'purple' })).not.toEqual([]);
    // Not covered: errors, a missing body on HEAD, other endpoints.
    expect(contractProblems('GET', '/_cluster/health', 503, {})).toEqual([]);
    expect(contractProblems('HEAD', '/logs', 200, undefined)).toEqual([]);
    expect(contractProblems('GET', '/_cluster/health', 200, undefined)).toEqual([
      'GET /_cluster/health: cluster.health response has no body',
    ]);
    expect(endpointOf('POST', '/_cluster/reroute')).toBe('cluster.reroute');
    expect(endpointOf('GET', '/_cat/recovery')).toBeUndefined(); // text, not JSON
    expect(endpointOf('DELETE', '/_snapshot/backups/nightly')).toBeUndefined();
    // The newly covered ones refuse what their types do not allow.
    expect(contractProblems('GET', '/', 200, { name: 'n', cluster_name: 'c' }).join('\n')).toMatch(/required/);
    expect(contractProblems('POST', '/_flush', 200, { _shards: { total: '3' } }).join('\n')).toMatch(/total/);
    expect(contractProblems('GET', '/_cat/health?format=json', 200, [{ status: 'green', nodes: 3 }])).not.toEqual([]);
  });
});
