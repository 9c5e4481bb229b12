/**
 * Snapshot shards in progress before terminating a node (issue #23): `_snapshot/_status` shards on the node hold its
 * termination like a reindex, bounded the same way; Elasticsearch does not redo a shard snapshot of a removed node.
 */
import { inFlightWorkOn } from '../../lambda/rolling-replacement/core/in-flight-snapshots';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import type { EsSnapshotShardView, RolloutSpec } from '../../lambda/rolling-replacement/core/types';
import { DEFAULT_OPTIONS } from '../../lambda/rolling-replacement/core/types';
import { decideIn, stage, withEs, withGroup, type World } from './gate-worlds';
import { spec } from './helpers';

const NODE = 'i-00000001';
const shard = (stage: string, node = NODE): EsSnapshotShardView => ({
  repository: 'backups',
  snapshot: 'nightly',
  index: 'logs',
  shard: 2,
  node,
  stage,
  runningSeconds: 40,
});
const withShards = (w: World, snapshotShards: readonly EsSnapshotShardView[]): World =>
  withEs(w, (es) => ({ ...es, snapshotShards }));
const at = (w: World, now: number): World => ({ ...w, now });
const marked = (w: World, value: string): World =>
  withGroup(w, 'data-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.tasksWait]: value } }));
const bounded = (seconds: number): RolloutSpec =>
  spec({ options: { ...DEFAULT_OPTIONS, inFlightTaskTimeoutSeconds: seconds } });

describe('snapshot shards in progress before a termination', () => {
  test('a running shard snapshot on the node: waits, names it, starts the clock', async () => {
    const { world } = await stage('dataTerminate');
    const d = decideIn(at(withShards(world, [shard('STARTED')]), 1000));
    expect(d.blockedBy).toBe('in-flight-tasks');
    expect(d.action).toEqual({
      type: 'wait-for-tasks',
      group: 'data-asg',
      node: NODE,
      tasks: ['snapshot shard (backups:nightly[logs][2] STARTED, running 40 s)'],
      since: 1000,
    });
  });

  test('a shard waiting for its turn (INIT) holds the node too; done, failed or elsewhere does not', async () => {
    const { world } = await stage('dataTerminate');
    expect(decideIn(withShards(world, [shard('INIT')])).action).toMatchObject({ type: 'wait-for-tasks' });
    for (const s of [shard('DONE'), shard('FAILURE'), shard('STARTED', 'i-00000002')]) {
      expect(decideIn(withShards(world, [s])).action).toMatchObject({ type: 'terminate', instanceId: NODE });
    }
  });

  test('past the bound it still waits (Elasticsearch does not redo it) and says how to abort the snapshot', async () => {
    const { world } = await stage('dataTerminate');
    const d = decideIn(at(marked(withShards(world, [shard('STARTED')]), `${NODE}@0`), 700), bounded(600));
    expect(d.blockedBy).toBe('in-flight-tasks');
    expect(d.reason).toMatch(/past the bound of 600 s.*does not resume snapshot shard/);
    expect(d.reason).toContain('DELETE _snapshot/backups/nightly');
  });

  test('in-flight work of a node: its tasks and its unfinished shard snapshots', () => {
    const task = { id: 'x:1', node: NODE, action: 'indices:admin/forcemerge', runningSeconds: 5 };
    expect(inFlightWorkOn({ tasks: [task], snapshotShards: [shard('STARTED'), shard('DONE')] }, NODE)).toHaveLength(2);
    expect(inFlightWorkOn({}, NODE)).toEqual([]);
  });
});
