/**
 * Contracts over the real socket: the orchestrator's own Elasticsearch adapter, through the official 8.19 client, talks
 * to the simulator's HTTP face on 127.0.0.1 for a whole roll, and every JSON answer it reads is validated against the
 * schemas generated from the client's response types (sim/es/contract). A violation rejects the run.
 */
import { EsApi, type EsRequest, type EsResponse } from '../../sim/es/api';
import { endpointOf } from '../../sim/es/contract/check';
import { instanceIdOf } from '../../sim/fault-schema';
import { runScenario } from '../../sim/runner';
import { orchestratorTransport } from '../../sim/strategies/orchestrator';
import { GIB, scenario } from './builders';

const roll = () =>
  scenario({
    cluster: {
      dataNodes: 3,
      indices: [{ name: 'logs', shards: 3, replicas: 1, docs: 3_000_000, bytes: 6 * GIB }],
    },
    faults: [
      { kind: 'task', at: 0, node: instanceIdOf(4), action: 'indices:data/write/reindex', seconds: 300 },
      { kind: 'snapshot', at: 0, repository: 'backups', name: 'nightly', bytesPerSecond: 16 * 1024 ** 2 },
      { kind: 'pending-tasks', from: 100, to: 200 },
      // A data node dies: its copies are unassigned for a while, and the adapter explains them.
      { kind: 'kill-node', at: 30, role: 'data', node: instanceIdOf(6) },
    ],
  });

describe('response contracts over HTTP (the orchestrator adapter and the official client)', () => {
  beforeAll(() => {
    orchestratorTransport.mode = 'http';
  });
  afterAll(() => {
    orchestratorTransport.mode = 'in-process';
  });

  it('a whole roll over the socket: every answer the adapter reads conforms, for each endpoint it reads', async () => {
    const seen = new Map<string, Set<number>>();
    const r = await runScenario(roll(), {
      checkResponses: true,
      onAnswer: (method, url, status) => {
        const e = endpointOf(method, url) ?? `${method} ${new URL(url, 'http://x').pathname}`;
        if (!seen.has(e)) seen.set(e, new Set());
        seen.get(e)!.add(status);
      },
    });
    expect(r.outcome).toBe('completed');
    expect(r.tasksKilled).toBe(0);
    // Checked against the client's types (200s, and health's 408 from the pending-tasks window).
    for (const e of [
      'cluster.health',
      'nodes.info',
      'cat.nodes',
      'cat.allocation',
      'cat.shards',
      'cluster.get_settings',
      'cluster.put_settings',
      'tasks.list',
      'cluster.allocation_explain',
      // The client types these as `any` or leaves keys out: typed from Elasticsearch's source (cluster state,
      // filtered), the client's type plus what the server writes (snapshot status), Void (voting exclusions).
      'cluster.state',
      'snapshot.status',
      'cluster.post_voting_config_exclusions',
      'cluster.delete_voting_config_exclusions',
    ]) {
      expect([e, seen.has(e)]).toEqual([e, true]);
    }
    expect(seen.get('cluster.health')).toEqual(new Set([200, 408]));
    expect(seen.get('cluster.post_voting_config_exclusions')).toContain(200);
  });

  it('an answer the client types do not allow, sent over the socket, rejects the run', async () => {
    const handle = EsApi.prototype.handle;
    const spy = jest.spyOn(EsApi.prototype, 'handle').mockImplementation(function (this: EsApi, req: EsRequest) {
      const res: EsResponse = handle.call(this, req);
      if (!req.url.startsWith('/_cat/allocation') || res.status !== 200) return res;
      const rows = JSON.parse(res.body) as Record<string, unknown>[];
      return { ...res, body: JSON.stringify(rows.map((row) => ({ ...row, shards: 7 }))) };
    });
    try {
      const short = { ...roll(), limits: { maxSimulatedSeconds: 60 } };
      await expect(runScenario(short, { checkResponses: true })).rejects.toThrow(
        /GET \/_cat\/allocation\?.*cat\.allocation response\/0\/shards must be string/,
      );
    } finally {
      spy.mockRestore();
    }
  });
});
