import { Client } from '@elastic/elasticsearch';
import * as http from 'http';
import { EsApi } from '../../sim/es/api';
import { EsServer, startEsServer } from '../../sim/es/server';
import { World } from '../../sim/model/world';
import { scenario } from './builders';

function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, { method, headers, agent: false }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Elasticsearch HTTP face', () => {
  let world: World;
  let server: EsServer;
  let client: Client;

  beforeEach(async () => {
    world = new World(scenario());
    server = await startEsServer(new EsApi(world));
    client = new Client({ node: server.url, maxRetries: 0 });
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it('answers the real 8.19 client: info, health, cat nodes, settings round trip', async () => {
    const info = await client.info();
    expect(info.version.number).toBe('8.18.2');
    expect(info.tagline).toBe('You Know, for Search');
    const health = await client.cluster.health();
    expect(health).toMatchObject({ status: 'green', number_of_nodes: 6, number_of_data_nodes: 3, active_shards: 12 });
    const nodes = await client.cat.nodes({ format: 'json', h: 'name,id,master,node.role,version', full_id: true });
    expect(nodes).toHaveLength(6);
    expect(nodes.filter((n) => n.master === '*')).toHaveLength(1);
    expect(nodes.map((n) => n['node.role']).sort()).toEqual(['di', 'di', 'di', 'm', 'm', 'm']);
    expect(nodes.every((n) => n.id!.length === 22)).toBe(true);
    await client.cluster.putSettings({
      persistent: { 'cluster.routing.allocation.exclude._name': 'i-00000000000000004' },
    });
    const s = await client.cluster.getSettings({ flat_settings: true });
    expect(s.persistent).toEqual({ 'cluster.routing.allocation.exclude._name': 'i-00000000000000004' });
    await client.cluster.putSettings({ persistent: { 'cluster.routing.allocation.exclude._name': null } });
    expect((await client.cluster.getSettings({ flat_settings: true })).persistent).toEqual({});
  });

  it('sends X-Elastic-Product on every response, errors included', async () => {
    const ok = await rawRequest(server.url, 'GET', '/');
    const notFound = await rawRequest(server.url, 'GET', '/nope/_count');
    expect(ok.headers['x-elastic-product']).toBe('Elasticsearch');
    expect(notFound.status).toBe(404);
    expect(notFound.headers['x-elastic-product']).toBe('Elasticsearch');
    expect(JSON.parse(notFound.body)).toMatchObject({ error: { type: 'index_not_found_exception' }, status: 404 });
  });

  it('rejects compatible-with above the node major with 400 media_type_header_exception, accepts major and major-1', async () => {
    const accept = (n: number) => ({ accept: `application/vnd.elasticsearch+json; compatible-with=${n}` });
    const nine = await rawRequest(server.url, 'GET', '/_cluster/health', accept(9));
    expect(nine.status).toBe(400);
    expect(JSON.parse(nine.body).error.type).toBe('media_type_header_exception');
    expect((await rawRequest(server.url, 'GET', '/_cluster/health', accept(8))).status).toBe(200);
    const seven = await rawRequest(server.url, 'GET', '/_cluster/health', accept(7));
    expect(seven.status).toBe(200);
    expect(seven.headers['content-type']).toContain('compatible-with=7');
  });

  it('answers 408 with timed_out when a health wait condition does not hold, without blocking', async () => {
    world.terminateInstance('i-00000000000000004', false);
    world.advanceTo(15);
    const r = await client.cluster.health(
      { wait_for_status: 'green', timeout: '30s', wait_for_events: 'languid' },
      { ignore: [408], meta: true },
    );
    expect(r.statusCode).toBe(408);
    expect(r.body).toMatchObject({ timed_out: true, status: 'yellow' });
    const nodes = await client.cluster.health({ wait_for_nodes: '>=5' });
    expect(nodes.timed_out).toBe(false);
  });

  it('answers 503 master_not_discovered_exception while quorum is lost', async () => {
    world.kill('i-00000000000000001');
    world.kill('i-00000000000000002');
    world.advanceTo(5);
    const r = await client.cluster.health({}, { ignore: [503], meta: true });
    expect(r.statusCode).toBe(503);
    expect(r.body).toMatchObject({ error: { type: 'master_not_discovered_exception' }, status: 503 });
  });

  it('answers 504 during an es-timeouts fault window', async () => {
    const w = new World(scenario({ faults: [{ kind: 'es-timeouts', from: 100, to: 200 }] }));
    const s = await startEsServer(new EsApi(w));
    try {
      w.advanceTo(150);
      expect((await rawRequest(s.url, 'GET', '/_cluster/health')).status).toBe(504);
      w.advanceTo(200);
      expect((await rawRequest(s.url, 'GET', '/_cluster/health')).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('explains an unassigned replica blocked by the version rule with the node_version decider', async () => {
    // Replace one data node: its replacement runs the new version and receives the primaries of a new index.
    world.terminateInstance('i-00000000000000004', false);
    world.advanceTo(400);
    // Exclude the old data nodes' names so a new index must put its primaries on the new node.
    await client.cluster.putSettings({
      transient: { 'cluster.routing.allocation.exclude._name': 'i-00000000000000005,i-00000000000000006' },
    });
    world.cluster.createIndex({ name: 'fresh', shards: 1, replicas: 1, docs: 10, bytes: 1000 });
    await client.cluster.putSettings({ transient: { 'cluster.routing.allocation.exclude._name': null } });
    const e = await client.cluster.allocationExplain({ index: 'fresh', shard: 0, primary: false });
    expect(e.can_allocate).toBe('no');
    const deciders = e.node_allocation_decisions!.flatMap((d) => d.deciders ?? []).map((d) => [d.decider, d.decision]);
    expect(deciders).toContainEqual(['node_version', 'NO']);
    expect(deciders).toContainEqual(['same_shard', 'NO']);
  });

  it('answers 400 to an empty allocation explain when nothing is unassigned', async () => {
    const r = await rawRequest(server.url, 'POST', '/_cluster/allocation/explain');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error.type).toBe('illegal_argument_exception');
  });

  it('adds and clears voting config exclusions and shows them in the cluster state', async () => {
    await client.cluster.postVotingConfigExclusions({ node_names: 'i-00000000000000001' });
    const st = await client.cluster.state({
      metric: 'metadata',
      filter_path: 'metadata.cluster_coordination',
    });
    const coord = (
      st as {
        metadata: {
          cluster_coordination: { voting_config_exclusions: { node_name: string }[]; last_committed_config: string[] };
        };
      }
    ).metadata.cluster_coordination;
    expect(coord.voting_config_exclusions.map((e) => e.node_name)).toEqual(['i-00000000000000001']);
    const excludedId = world.cluster.nodes.get('i-00000000000000001')!.id;
    expect(coord.last_committed_config).not.toContain(excludedId);
    await client.cluster.deleteVotingConfigExclusions({ wait_for_removal: false });
    const after = await client.cluster.state({ metric: 'metadata', filter_path: 'metadata.cluster_coordination' });
    expect(
      (after as typeof st & { metadata: { cluster_coordination: { voting_config_exclusions: unknown[] } } }).metadata
        .cluster_coordination.voting_config_exclusions,
    ).toEqual([]);
  });

  it('refuses more than cluster.max_voting_config_exclusions (10) exclusions, and a request naming no node', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `node-${i}`).join(',');
    const tooMany = await rawRequest(server.url, 'POST', `/_cluster/voting_config_exclusions?node_names=${names}`);
    expect(tooMany.status).toBe(400);
    expect(JSON.parse(tooMany.body).error.reason).toMatch(
      /exceed the maximum of \[10\] set by \[cluster\.max_voting_config_exclusions\]/,
    );
    const none = await rawRequest(server.url, 'POST', '/_cluster/voting_config_exclusions');
    expect(none.status).toBe(400);
  });

  it('refuses an unknown setting and an illegal value with 400, like Elasticsearch', async () => {
    const unknown = await rawRequest(
      server.url,
      'PUT',
      '/_cluster/settings',
      { 'content-type': 'application/json' },
      JSON.stringify({ persistent: { 'cluster.routing.allocation.enabel': 'all' } }),
    );
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body).error.reason).toBe(
      'persistent setting [cluster.routing.allocation.enabel], not recognized',
    );
    const illegal = await rawRequest(
      server.url,
      'PUT',
      '/_cluster/settings',
      { 'content-type': 'application/json' },
      JSON.stringify({ transient: { cluster: { routing: { allocation: { enable: 'sometimes' } } } } }),
    );
    expect(illegal.status).toBe(400);
  });

  it('counts documents of the whole cluster and per index', async () => {
    expect((await client.count()).count).toBe(6_000_000);
    expect((await client.count({ index: 'logs' })).count).toBe(6_000_000);
  });
});
