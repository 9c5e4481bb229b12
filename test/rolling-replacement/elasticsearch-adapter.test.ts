import * as http from 'http';
import type { AddressInfo } from 'net';
import { Client } from '@elastic/elasticsearch';
import { ElasticsearchAdapter } from '../../lambda/rolling-replacement/adapters/elasticsearch';
import { isUnknown, type EsView } from '../../lambda/rolling-replacement/core/types';

/** A loopback server answering with Elasticsearch-shaped bodies (from the docs' examples), recording writes. */
function fakeEs(overrides: Record<string, { status: number; body: unknown }> = {}) {
  const writes: Array<{ method: string; url: string; body: unknown }> = [];
  let persistent: Record<string, string> = { 'cluster.routing.allocation.exclude._name': 'keep-me' };
  const routes: Record<string, () => { status: number; body: unknown }> = {
    'GET /_cluster/health': () => ({
      status: 200,
      body: {
        cluster_name: 'elk',
        status: 'yellow',
        timed_out: false,
        number_of_nodes: 3,
        number_of_data_nodes: 2,
        relocating_shards: 1,
        initializing_shards: 0,
        unassigned_shards: 1,
        delayed_unassigned_shards: 0,
        number_of_in_flight_fetch: 0,
      },
    }),
    'GET /_nodes': () => ({
      status: 200,
      body: {
        nodes: {
          aaa: { name: 'i-a', version: '8.18.2', roles: ['data', 'ingest'] },
          bbb: { name: 'i-b', version: '8.19.3', roles: ['data'] },
          mmm: { name: 'i-m', version: '8.18.2', roles: ['master'] },
        },
      },
    }),
    'GET /_cat/nodes': () => ({
      status: 200,
      body: [
        { name: 'i-a', master: '-' },
        { name: 'i-b', master: '-' },
        { name: 'i-m', master: '*' },
      ],
    }),
    'GET /_cat/allocation': () => ({
      status: 200,
      body: [
        { node: 'i-a', 'disk.used': '100', 'disk.total': '1000', shards: '2' },
        { node: 'i-b', 'disk.used': '50', 'disk.total': '1000', shards: '1' },
        { node: 'UNASSIGNED', shards: '1' },
      ],
    }),
    'GET /_cat/shards': () => ({
      status: 200,
      body: [
        { index: 'logs', shard: '0', prirep: 'p', state: 'RELOCATING', store: '40', node: 'i-a -> 10.0.0.2 bbb i-b' },
        { index: 'logs', shard: '0', prirep: 'r', state: 'UNASSIGNED', store: null, node: null },
        { index: 'logs', shard: '1', prirep: 'p', state: 'STARTED', store: '60', node: 'i-a' },
      ],
    }),
    'GET /_cluster/settings': () => ({
      status: 200,
      body: {
        persistent: { ...persistent, 'cluster.routing.rebalance.enable': 'none' },
        transient: {},
        defaults: { 'cluster.routing.allocation.disk.watermark.low': '85%' },
      },
    }),
    'GET /_cluster/state/metadata,nodes': () => ({
      status: 200,
      body: {
        metadata: {
          cluster_coordination: {
            last_committed_config: ['mmm', 'x'],
            voting_config_exclusions: [{ node_id: 'x', node_name: 'i-old' }],
          },
        },
        nodes: { aaa: { name: 'i-a' }, bbb: { name: 'i-b' }, mmm: { name: 'i-m' } },
      },
    }),
    'POST /_cluster/allocation/explain': () => ({
      status: 200,
      body: {
        index: 'logs',
        shard: 0,
        primary: false,
        current_state: 'unassigned',
        unassigned_info: { reason: 'INDEX_CREATED', at: '2026-01-01T00:00:00Z', last_allocation_status: 'no_attempt' },
        can_allocate: 'no',
        allocate_explanation: 'cannot allocate',
        node_allocation_decisions: [
          {
            node_id: 'aaa',
            node_name: 'i-a',
            node_decision: 'no',
            deciders: [{ decider: 'node_version', decision: 'NO', explanation: 'older than the primary version' }],
          },
          {
            node_id: 'bbb',
            node_name: 'i-b',
            node_decision: 'no',
            deciders: [{ decider: 'same_shard', decision: 'NO', explanation: 'a copy is already there' }],
          },
        ],
      },
    }),
    'GET /_tasks': () => ({
      status: 200,
      body: {
        tasks: [
          {
            node: 'aaa',
            id: 1001,
            type: 'transport',
            action: 'indices:data/write/reindex',
            start_time_in_millis: 1764633600000,
            running_time_in_nanos: 120_500_000_000,
            cancellable: true,
            cancelled: false,
            headers: {},
          },
        ],
      },
    }),
    'GET /_snapshot/_status': () => ({
      status: 200,
      body: {
        snapshots: [
          {
            snapshot: 'nightly',
            repository: 'backups',
            state: 'STARTED',
            indices: {
              logs: {
                shards: {
                  '0': { stage: 'STARTED', node: 'aaa', stats: { time_in_millis: 30_000 } },
                  '1': { stage: 'DONE', node: 'aaa', stats: { time_in_millis: 9_000 } },
                },
              },
            },
          },
        ],
      },
    }),
    'PUT /_cluster/settings': () => ({ status: 200, body: { acknowledged: true } }),
    'POST /_cluster/voting_config_exclusions': () => ({ status: 200, body: {} }),
    'DELETE /_cluster/voting_config_exclusions': () => ({ status: 200, body: {} }),
  };
  const urls: string[] = [];
  const server = http.createServer((req, res) => {
    urls.push(`${req.method} ${req.url}`);
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0];
      const key = `${req.method} ${path}`;
      if (req.method !== 'GET')
        writes.push({ method: req.method!, url: req.url!, body: raw ? JSON.parse(raw) : undefined });
      if (key === 'PUT /_cluster/settings' && raw) {
        const p = (JSON.parse(raw) as { persistent?: Record<string, string | null> }).persistent ?? {};
        for (const [k, v] of Object.entries(p)) {
          if (v === null) delete persistent[k];
          else persistent = { ...persistent, [k]: v };
        }
      }
      const r = overrides[key] ?? routes[key]?.() ?? { status: 404, body: { error: `no route ${key}` } };
      res.writeHead(r.status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(JSON.stringify(r.body));
    });
  });
  return { server, writes, urls, settings: () => persistent };
}

async function withServer<T>(
  f: ReturnType<typeof fakeEs>,
  run: (adapter: ElasticsearchAdapter) => Promise<T>,
): Promise<T> {
  await new Promise<void>((r) => f.server.listen(0, '127.0.0.1', () => r()));
  const port = (f.server.address() as AddressInfo).port;
  const client = new Client({ node: `http://127.0.0.1:${port}`, maxRetries: 0, requestTimeout: 2000 });
  try {
    return await run(new ElasticsearchAdapter(client));
  } finally {
    await client.close();
    await new Promise((r) => f.server.close(r));
  }
}

describe('Elasticsearch adapter over HTTP (real client, loopback)', () => {
  test('observe builds the view: nodes, elected master, relocations, disk, deciders, exclusions', async () => {
    const view = (await withServer(fakeEs(), (a) => a.observe())) as EsView;
    expect(isUnknown(view)).toBe(false);
    expect(view.health).toMatchObject({ status: 'yellow', relocatingShards: 1, unassignedShards: 1 });
    expect(view.electedMaster).toBe('i-m');
    expect(view.nodes.find((n) => n.name === 'i-a')).toMatchObject({
      version: '8.18.2',
      roles: ['data', 'ingest'],
      diskUsedBytes: 100,
      diskTotalBytes: 1000,
    });
    expect(view.shards[0]).toMatchObject({ state: 'RELOCATING', node: 'i-a', relocatingTo: 'i-b', bytes: 40 });
    expect(view.shards[1]).toMatchObject({ state: 'UNASSIGNED', primary: false });
    expect(view.shards[1]!.node).toBeUndefined();
    expect(view.explanations).toEqual([
      {
        index: 'logs',
        shard: 0,
        primary: false,
        canAllocate: 'no',
        reason: 'INDEX_CREATED',
        nodeDecisions: [
          { nodeName: 'i-a', decision: 'no', noDeciders: ['node_version'] },
          { nodeName: 'i-b', decision: 'no', noDeciders: ['same_shard'] },
        ],
      },
    ]);
    expect(view.allocationExcludeNames).toEqual(['keep-me']);
    expect(view.votingExclusions).toEqual(['i-old']);
    expect(view.rebalanceEnable).toEqual({ persistent: 'none', transient: null });
    expect(view.lowWatermark).toBeCloseTo(0.85);
  });

  test('long-running tasks come from _tasks filtered to the in-flight actions, each on its node by name', async () => {
    const f = fakeEs();
    const view = (await withServer(f, (a) => a.observe())) as EsView;
    expect(view.tasks).toEqual([
      { id: 'aaa:1001', node: 'i-a', action: 'indices:data/write/reindex', runningSeconds: 120.5 },
    ]);
    const url = decodeURIComponent(f.urls.find((u) => u.startsWith('GET /_tasks'))!);
    expect(url).toContain('actions=indices:data/write/reindex*,indices:data/write/update/byquery*');
    expect(url).toContain('group_by=none');
  });

  test('snapshot shards come from _snapshot/_status (running snapshots), each on its node by name', async () => {
    const f = fakeEs();
    const view = (await withServer(f, (a) => a.observe())) as EsView;
    expect(view.snapshotShards).toEqual([
      {
        repository: 'backups',
        snapshot: 'nightly',
        index: 'logs',
        shard: 0,
        node: 'i-a',
        stage: 'STARTED',
        runningSeconds: 30,
      },
      {
        repository: 'backups',
        snapshot: 'nightly',
        index: 'logs',
        shard: 1,
        node: 'i-a',
        stage: 'DONE',
        runningSeconds: 9,
      },
    ]);
    expect(f.urls).toContain('GET /_snapshot/_status');
  });

  test('a 503 during a master failover becomes unknown, not an exception', async () => {
    const f = fakeEs({ 'GET /_nodes': { status: 503, body: { error: 'master_not_discovered_exception' } } });
    const view = await withServer(f, (a) => a.observe());
    expect(isUnknown(view)).toBe(true);
    expect(isUnknown(view) && view.unknown).toMatch(/503/);
  });

  test('a 408 from the languid health wait is read as pending events (timed_out), not an error', async () => {
    const f = fakeEs({
      'GET /_cluster/health': {
        status: 408,
        body: { status: 'green', timed_out: true, relocating_shards: 0, initializing_shards: 0, unassigned_shards: 0 },
      },
    });
    const view = (await withServer(f, (a) => a.observe())) as EsView;
    expect(view.health.timedOut).toBe(true);
  });

  test('exclusions merge with existing entries and removal keeps the others', async () => {
    const f = fakeEs();
    await withServer(f, async (a) => {
      await a.addAllocationExclusion('i-a');
      expect(f.settings()['cluster.routing.allocation.exclude._name']).toBe('keep-me,i-a');
      await a.addAllocationExclusion('i-a');
      expect(f.settings()['cluster.routing.allocation.exclude._name']).toBe('keep-me,i-a');
      await a.removeAllocationExclusions(['i-a']);
      expect(f.settings()['cluster.routing.allocation.exclude._name']).toBe('keep-me');
    });
  });

  test('voting exclusions by node name, cleared without waiting for removal; rebalance written persistent', async () => {
    const f = fakeEs();
    await withServer(f, async (a) => {
      await a.addVotingExclusion('i-m');
      await a.clearVotingExclusions();
      await a.setRebalanceEnable(null);
    });
    expect(f.writes[0]).toMatchObject({ method: 'POST', url: expect.stringContaining('node_names=i-m') });
    expect(f.writes[1]).toMatchObject({ method: 'DELETE', url: expect.stringContaining('wait_for_removal=false') });
    expect(f.writes[2]).toMatchObject({ body: { persistent: { 'cluster.routing.rebalance.enable': null } } });
  });

  test('explains only what the shard layout cannot settle: 300 version-blocked replicas cost no explain request', async () => {
    const shards: Array<Record<string, string | null>> = [
      { index: 'logs', shard: '0', prirep: 'r', state: 'UNASSIGNED', store: null, node: null },
    ];
    for (let s = 0; s < 300; s++) {
      shards.push({ index: 'hourly', shard: String(s), prirep: 'p', state: 'STARTED', store: '10', node: 'i-b' });
      shards.push({ index: 'hourly', shard: String(s), prirep: 'r', state: 'UNASSIGNED', store: null, node: null });
    }
    // logs[0] has no started primary: the layout cannot settle it, so it is the one copy explained.
    const f = fakeEs({ 'GET /_cat/shards': { status: 200, body: shards } });
    const view = (await withServer(f, (a) => a.observe())) as EsView;
    expect(view.shards.filter((s) => s.state === 'UNASSIGNED')).toHaveLength(301);
    expect(f.writes.filter((w) => w.url.startsWith('/_cluster/allocation/explain'))).toHaveLength(1);
  });

  test('reads only the coordination metadata and the member names of the cluster state (filter_path)', async () => {
    const f = fakeEs();
    const view = (await withServer(f, (a) => a.observe())) as EsView;
    const state = f.urls.find((u) => u.startsWith('GET /_cluster/state'))!;
    // Coordination, the member names, and each index's routing allocation settings (the drain-stall diagnosis).
    expect(decodeURIComponent(state)).toContain(
      'filter_path=metadata.cluster_coordination,metadata.indices.*.settings.index.routing.allocation,nodes.*.name',
    );
    expect(view.lastCommittedConfig).toEqual(['mmm', 'x']);
  });

  test('a node that did not answer _nodes makes the view unknown', async () => {
    const f = fakeEs({
      'GET /_nodes': {
        status: 200,
        body: {
          _nodes: { total: 3, successful: 2, failed: 1 },
          nodes: { aaa: { name: 'i-a', version: '8.18.2', roles: ['data'] } },
        },
      },
    });
    const view = await withServer(f, (a) => a.observe());
    expect(isUnknown(view) && view.unknown).toMatch(/did not answer/);
  });

  test('membership is the cluster state: a node _nodes still lists but that has left is not a member', async () => {
    const f = fakeEs({
      'GET /_cluster/state/metadata,nodes': {
        status: 200,
        body: { metadata: { cluster_coordination: {} }, nodes: { aaa: { name: 'i-a' }, mmm: { name: 'i-m' } } },
      },
    });
    const view = (await withServer(f, (a) => a.observe())) as EsView;
    expect(view.nodes.map((n) => n.name).sort()).toEqual(['i-a', 'i-m']);
    expect(view.lastCommittedConfig).toBeUndefined();
  });

  test("the voting exclusion's server timeout is below the client's, without client retries", async () => {
    const f = fakeEs();
    const seen: Array<{ url: string; options: { requestTimeout?: number; maxRetries?: number } }> = [];
    await withServer(f, async (a) => {
      const transport = (a as unknown as { client: Client }).client.transport;
      const original = transport.request.bind(transport);
      jest.spyOn(transport, 'request').mockImplementation(((params: { path: string }, options: object) => {
        seen.push({ url: params.path, options: options as never });
        return original(params as never, options as never);
      }) as never);
      await a.addVotingExclusion('i-m');
    });
    const post = f.writes.find((w) => w.url.startsWith('/_cluster/voting_config_exclusions'))!;
    const server = Number(/timeout=(\d+)s/.exec(post.url)![1]) * 1000;
    const options = seen.find((s) => s.url === '/_cluster/voting_config_exclusions')!.options;
    expect(server).toBeLessThan(options.requestTimeout!);
    expect(options.maxRetries).toBe(0);
  });
});
