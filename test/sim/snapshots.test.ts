import { EsApi } from '../../sim/es/api';
import { World } from '../../sim/model/world';
import { parseScenario, ScenarioError } from '../../sim/scenario';
import { GIB, scenario } from './builders';

/** The `snapshot` fault, `GET _snapshot/_status` and the snapshot_in_progress decider (issue #23). */

type ShardStatus = { stage: string; node?: string; reason?: string };
type Status = {
  snapshots: {
    snapshot: string;
    state: string;
    shards_stats: Record<string, number>;
    indices: Record<string, { shards: Record<string, ShardStatus> }>;
  }[];
};

const MIB = 1024 ** 2;

function world(indices: { name: string; shards: number; bytes: number }[], bytesPerSecond = 40 * MIB): World {
  return new World(
    scenario({
      cluster: { indices: indices.map((i) => ({ ...i, replicas: 1, docs: 1000 })) },
      change: { version: '8.18.2', ami: 'ami-next' },
      faults: [{ kind: 'snapshot', at: 10, repository: 'backups', name: 'nightly', bytesPerSecond }],
    }),
  );
}

const status = (api: EsApi, path = '/_snapshot/_status') => {
  const r = api.request('GET', path);
  expect(r.status).toBe(200);
  return r.body as Status;
};

describe('snapshot fault and GET _snapshot/_status', () => {
  it('runs each primary shard snapshot on its node, one after the other per node, then lists it no more', () => {
    const w = world([{ name: 'logs', shards: 6, bytes: 60 * GIB }]);
    const api = new EsApi(w);
    expect(status(api).snapshots).toEqual([]);
    w.advanceTo(11);
    const [snap] = status(api).snapshots;
    expect(snap).toMatchObject({ snapshot: 'nightly', state: 'STARTED' });
    const shards = snap!.indices.logs!.shards;
    const primaries = w.cluster.indices[0]!.shards.map((sh) => w.cluster.primaryOf(sh).node!);
    for (const [num, s] of Object.entries(shards)) expect(s.node).toBe(primaries[Number(num)]!.id);
    // One shard at a time per node: as many STARTED as nodes with primaries, the rest waiting.
    const nodes = new Set(primaries.map((n) => n.name)).size;
    expect(snap!.shards_stats).toMatchObject({ started: nodes, initializing: 6 - nodes, done: 0, total: 6 });
    // A node's shards take their bytes at 40 MiB/s: 10 GiB each.
    const perNode = Math.max(...[...new Set(primaries)].map((n) => primaries.filter((p) => p === n).length));
    w.advanceTo(10 + perNode * 256 - 1);
    expect(status(api).snapshots).toHaveLength(1);
    w.advanceTo(10 + perNode * 256 + 1);
    expect(status(api).snapshots).toEqual([]);
    const done = status(api, '/_snapshot/backups/nightly/_status').snapshots[0]!;
    expect(done.state).toBe('SUCCESS');
    expect(done.shards_stats).toMatchObject({ done: 6, failed: 0 });
    expect(api.request('GET', '/_snapshot/backups/other/_status').status).toBe(404);
    expect(api.request('GET', '/_snapshot/nope/_status').status).toBe(404);
    expect(api.request('GET', '/_snapshot/_status?verbose=true').status).toBe(400);
  });

  it('snapshot_in_progress: a primary whose shard is being snapshotted does not leave an excluded node until done', () => {
    const w = world([{ name: 'small', shards: 1, bytes: 4 * GIB }], 4 * MIB); // 1024 s of snapshot
    const api = new EsApi(w);
    w.advanceTo(20);
    const primary = w.cluster.indices[0]!.shards[0]!.copies.find((c) => c.primary)!;
    const home = primary.node!;
    w.cluster.applySettings('transient', new Map([['cluster.routing.allocation.exclude._name', home.name]]));
    w.advanceTo(30);
    expect(primary.state).toBe('STARTED');
    expect(primary.node).toBe(home);
    const e = api.request('POST', '/_cluster/allocation/explain', { index: 'small', shard: 0, primary: true }).body as {
      can_move_to_other_node: string;
      node_allocation_decisions: { deciders?: { decider: string; decision: string }[] }[];
    };
    expect(e.can_move_to_other_node).toBe('throttled');
    const deciders = e.node_allocation_decisions.flatMap((d) => d.deciders ?? []);
    expect(deciders).toContainEqual(expect.objectContaining({ decider: 'snapshot_in_progress', decision: 'THROTTLE' }));
    // Done at 10 + 1024: the primary moves then.
    w.advanceTo(1040);
    expect(primary.node === home && primary.state === 'STARTED').toBe(false);
  });

  it('a shard snapshot whose node leaves fails; the snapshot ends PARTIAL', () => {
    const w = world([{ name: 'small', shards: 1, bytes: 4 * GIB }], 4 * MIB);
    const api = new EsApi(w);
    w.advanceTo(20);
    const home = w.cluster.indices[0]!.shards[0]!.copies.find((c) => c.primary)!.node!;
    w.kill(home.name);
    w.advanceTo(21);
    const s = status(api, '/_snapshot/backups/nightly/_status').snapshots[0]!;
    expect(s.state).toBe('PARTIAL');
    expect(s.indices.small!.shards['0']).toMatchObject({ stage: 'FAILURE', node: home.id });
    expect(s.indices.small!.shards['0']!.reason).toMatch(/left the cluster/);
    expect(w.notes.map((n) => n.action)).toContain('snapshot-shard-failed');
  });

  it('validates the fault strictly: indices must exist', () => {
    const problems = (() => {
      try {
        parseScenario(
          {
            name: 'x',
            cluster: {
              version: '8.18.2',
              masters: 3,
              dataNodes: 3,
              indices: [{ name: 'logs', shards: 1, replicas: 1, docs: 1, bytes: 1000 }],
            },
            change: { ami: 'ami-next' },
            faults: [{ kind: 'snapshot', at: 0, indices: ['logs', 'nope'], extra: 1 }],
          },
          'f.json',
        );
      } catch (e) {
        if (e instanceof ScenarioError) return e.problems.join('\n');
        throw e;
      }
      return '';
    })();
    expect(problems).toMatch(/unknown key "faults\[0\]\.extra"/);
    const fixed = () =>
      parseScenario(
        {
          name: 'x',
          cluster: {
            version: '8.18.2',
            masters: 3,
            dataNodes: 3,
            indices: [{ name: 'logs', shards: 1, replicas: 1, docs: 1, bytes: 1000 }],
          },
          change: { ami: 'ami-next' },
          faults: [{ kind: 'snapshot', at: 0, indices: ['logs', 'nope'] }],
        },
        'f.json',
      );
    expect(fixed).toThrow(/f\.json: faults\[0\]\.indices\[1\]: no index "nope"/);
  });
});
