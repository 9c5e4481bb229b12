/**
 * Stall detection with a diagnosis (issue 12, finding 8): a drain that makes no progress for `stallSeconds` is
 * reported as `drain-stalled`, with the cause read from allocation explain by decider name and what the operator can
 * do; the roll keeps waiting and never terminates a node that holds data.
 */
import { parseScenario, runScenario } from '../../sim';
import type { Report } from '../../sim';
import { orchestratorWith } from '../../sim/strategies/orchestrator';
import { diskHeadroom } from '../../lambda/rolling-replacement/core/disk';
import { drainProgress } from '../../lambda/rolling-replacement/core/stall';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { DEFAULT_OPTIONS, type ShardCopy, type StuckCopy } from '../../lambda/rolling-replacement/core/types';
import { ctxIn, dataNodes, decideIn, stage, started, withEs, withGroup, withShards } from './gate-worlds';
import { spec } from './helpers';

const GiB = 1024 ** 3;
const INDEX = 'logs-2026.11.19';

function scenario(faults: Record<string, unknown>[], seconds = 20_000) {
  return parseScenario(
    {
      name: 'drain-stall',
      seed: 3,
      model: { bootSeconds: 120, joinSeconds: 20, pollSeconds: 30 },
      cluster: {
        version: '8.18.2',
        masters: 3,
        dataNodes: 3,
        diskBytesPerDataNode: 200 * GiB,
        indices: [{ name: INDEX, shards: 3, replicas: 1, docs: 3_000_000, bytes: 24 * GiB }],
      },
      change: { version: '8.19.3' },
      limits: { maxSimulatedSeconds: seconds },
      faults,
    },
    'drain-stall',
  );
}

const run = (faults: Record<string, unknown>[], seconds?: number) =>
  runScenario(scenario(faults, seconds), { http: false, strategy: orchestratorWith({ stallSeconds: 1200 }) });

const stalled = (r: Report) => r.steps.filter((s) => s.action === 'wait-for-drain (drain-stalled)');

describe('end to end in the simulator', () => {
  test('an index pinned to one node (ILM shrink writes require._name/_id): drain-stalled names the setting and the fix; nothing terminated, nothing lost', async () => {
    const pin = { kind: 'index-setting', at: 600, index: INDEX, key: 'index.routing.allocation.require._name' };
    const r = await run([{ ...pin, value: 'i-00000000000000004' }]);
    expect({ outcome: r.outcome, documentsLost: r.documentsLost, secondsRed: r.secondsRed }).toEqual({
      outcome: 'timed-out',
      documentsLost: 0,
      secondsRed: 0,
    });
    const s = stalled(r);
    expect(s.length).toBeGreaterThan(0);
    expect(s[0]!.reason).toMatch(
      new RegExp(
        `no progress for \\d+ s .*filter: index ${INDEX} is pinned to nodes by ` +
          'index.routing.allocation.require._name=i-00000000000000004 .*what to do: .*PUT ' +
          `${INDEX}/_settings \\{"index.routing.allocation.require._name": null\\}`,
      ),
    );
    // Reported once the wait passed stallSeconds, not before.
    const excluded = r.steps.find((x) => x.action === 'exclude')!;
    expect(s[0]!.t - excluded.t).toBeGreaterThanOrEqual(1200);
    // Still waiting at the end: never terminated the node that holds the pinned copies.
    expect(r.steps.at(-1)!.action).toBe('wait-for-drain (drain-stalled)');
    expect(r.terminatedInstances).not.toContain(s[0]!.node);
  });

  test('the operator removes the pin: the drain goes on and the roll completes', async () => {
    const pin = { kind: 'index-setting', index: INDEX, key: 'index.routing.allocation.require._name' };
    const r = await run(
      [
        { ...pin, at: 600, value: 'i-00000000000000004' },
        { ...pin, at: 6000, value: null },
      ],
      40_000,
    );
    expect({ outcome: r.outcome, documentsLost: r.documentsLost, secondsRed: r.secondsRed }).toEqual({
      outcome: 'completed',
      documentsLost: 0,
      secondsRed: 0,
    });
    expect(stalled(r).length).toBeGreaterThan(0);
    expect(r.finalVersions).toEqual({ '8.19.3': 6 });
  });

  test('a shards-per-node limit that leaves no room: shards_limit named with the setting to raise', async () => {
    const r = await run([
      { kind: 'index-setting', at: 600, index: INDEX, key: 'index.routing.allocation.total_shards_per_node', value: 1 },
    ]);
    expect(r.documentsLost).toBe(0);
    const s = stalled(r);
    expect(s.length).toBeGreaterThan(0);
    expect(s[0]!.reason).toMatch(/shards_limit: a shards-per-node limit .* raise the limit/);
  });
});

describe('the disk gate keeps a margin for growth', () => {
  test('a projection inside the margin blocks; without the margin it passes', async () => {
    const { world } = await stage('exclude');
    const node = dataNodes(world)[0]!;
    // Every data node 79.5 % full of 100 000 bytes: a drained copy (1 000 bytes) takes one to 80.5 %.
    const full = withEs(world, (es) => ({
      ...es,
      nodes: es.nodes.map((n) => ({ ...n, diskUsedBytes: 79_500, diskTotalBytes: 100_000 })),
    }));
    const subject = { step: 'exclude' as const, node };
    expect(diskHeadroom.evaluate(ctxIn(full), subject).status).toBe('block');
    const s = spec({ options: { ...DEFAULT_OPTIONS, drainDiskMargin: 0 } });
    expect(diskHeadroom.evaluate(ctxIn(full, s), subject).status).toBe('pass');
  });
});

describe('decide(): a stalled drain is named, diagnosed and never terminated', () => {
  /** The drain of the excluded node, with one copy left on it that does not move, stalled since t=0. */
  async function stalledWorld(now: number, stuck?: StuckCopy) {
    const { world } = await stage('dataTerminate');
    const node = world.es.allocationExcludeNames[0]!;
    const withCopy = withShards(world, [started('pinned', 0, node, true, 500)]);
    const tagged = withGroup(withCopy, 'data-asg', (g) => ({
      ...g,
      tags: { ...g.tags, [TAG.drainProgress]: `${node}:1:500:0` },
    }));
    const w = withEs(tagged, (es) => ({ ...es, ...(stuck ? { stuck: [stuck] } : {}) }));
    return { world: { ...w, now }, node };
  }
  const explained = (node: string, deciders: string[], extra: Partial<StuckCopy> = {}): StuckCopy => ({
    index: 'pinned',
    shard: 0,
    primary: true,
    node,
    canMove: 'no',
    nodeDecisions: ['i-00000002', 'i-00000003', 'i-00000007'].map((nodeName) => ({
      nodeName,
      decision: 'no',
      noDeciders: deciders,
    })),
    ...extra,
  });

  test('before stallSeconds: the ordinary drain wait', async () => {
    const { world } = await stalledWorld(1799);
    expect(decideIn(world)).toMatchObject({ action: { type: 'wait-for-drain' }, blockedBy: 'strictly-drained' });
  });

  test('after stallSeconds without an explanation: drain-stalled, says how to get one, keeps waiting', async () => {
    const { world } = await stalledWorld(1800);
    const d = decideIn(world);
    expect({ type: d.action.type, blockedBy: d.blockedBy }).toEqual({
      type: 'wait-for-drain',
      blockedBy: 'drain-stalled',
    });
    expect(d.reason).toMatch(/no progress for 1800 s.*POST _cluster\/allocation\/explain/);
  });

  test.each([
    ['awareness', /awareness: shard allocation awareness.*add a data node in that zone/],
    [
      'disk_threshold',
      /disk_threshold: every node that could take the copy is above the low disk watermark.*free disk/,
    ],
    ['max_retry', /max_retry: .*POST _cluster\/reroute\?retry_failed=true/],
    ['enable', /enable: allocation is disabled.*cluster\.routing\.allocation\.enable/],
    ['node_version', /node_version: its primary runs on a newer node.*surge/],
    ['snapshot_in_progress', /snapshot_in_progress: a snapshot of this shard is running; what to do: wait/],
    ['filter', /filter: allocation filters refuse every other node \(cluster\.routing\.allocation/],
  ])('%s: the cause and the remedy by decider name', async (decider, text) => {
    const { world, node } = await stalledWorld(0);
    const { world: w } = await stalledWorld(3600, explained(node, [decider]));
    expect(decideIn({ ...world, now: 0 }).blockedBy).toBe('strictly-drained');
    const d = decideIn(w);
    expect(d.blockedBy).toBe('drain-stalled');
    expect(d.reason).toMatch(text);
  });

  test('index-level require._id (ILM shrink) is named with the setting to remove', async () => {
    const { world: seed, node } = await stalledWorld(0);
    const stuck = explained(node, ['filter', 'same_shard'], {
      indexRouting: { 'index.routing.allocation.require._id': 'abc123' },
    });
    const { world } = await stalledWorld(3600, stuck);
    expect(seed.es.allocationExcludeNames).toContain(node);
    expect(decideIn(world).reason).toMatch(
      /index pinned is pinned to nodes by index\.routing\.allocation\.require\._id=abc123.*PUT pinned\/_settings \{"index\.routing\.allocation\.require\._id": null\}/,
    );
  });

  test('the node stays: a stalled drain never becomes a termination, however long', async () => {
    const { world, node } = await stalledWorld(10 * 86400, undefined);
    const d = decideIn(world);
    expect(d.action.type).toBe('wait-for-drain');
    expect('instanceId' in d.action ? d.action.instanceId : undefined).not.toBe(node);
  });
});

describe('drain progress record', () => {
  test('moving copies record "moving"; fewer copies or bytes reset the clock; growth does not', async () => {
    const { world } = await stage('dataTerminate');
    const node = world.es.allocationExcludeNames[0]!;
    const at = (tag: string | undefined, shards: ShardCopy[], now = 100) => {
      const w = withGroup(withShards(world, shards), 'data-asg', (g) => ({
        ...g,
        tags: { ...g.tags, ...(tag ? { [TAG.drainProgress]: tag } : {}) },
      }));
      const ctx = ctxIn({ ...w, now });
      return drainProgress(ctx, ctx.data);
    };
    const one = started('x', 0, node, true, 500);
    expect(at(undefined, [one])).toEqual({ record: `${node}:1:500:100` });
    expect(at(`${node}:1:500:40`, [one])).toEqual({ stalledFor: 60 });
    expect(at(`${node}:2:900:40`, [one])).toEqual({ record: `${node}:1:500:100` });
    // Writes make the copy grow: no progress.
    expect(at(`${node}:1:400:40`, [{ ...one, bytes: 600 }])).toEqual({ stalledFor: 60 });
    const moving: ShardCopy = { ...one, state: 'RELOCATING', relocatingTo: 'i-00000007' };
    expect(at(`${node}:1:500:40`, [moving])).toEqual({ record: 'moving' });
    expect(at('moving', [moving])).toEqual({});
    expect(at('moving', [one])).toEqual({ record: `${node}:1:500:100` });
    // A record of an earlier drain (other nodes) starts a new clock.
    expect(at('i-0000dead:1:500:40', [one])).toEqual({ record: `${node}:1:500:100` });
  });
});
