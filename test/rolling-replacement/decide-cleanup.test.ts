/**
 * Cleanup (abort, failure, completion) removes surge capacity only with a node whose termination cannot lose data or
 * the quorum, and clears marks only once the terminated node has left.
 */
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import type { Decision } from '../../lambda/rolling-replacement/core/types';
import { type Reached, type World, decideIn, stage, withEs, withGroup, withHealth, withInstance } from './gate-worlds';
import { spec } from './helpers';

const abort = spec({ mode: 'abort', abortReason: 'stack rollback' });
const nodeOf = (d: Decision) => ('node' in d.action ? d.action.node : (d.action as { instanceId: string }).instanceId);
const terminated = (d: Decision) => (d.action.type === 'terminate' ? d.action.instanceId : undefined);

// Each world is built inside the test that uses it (see decide-gates.test.ts).
const reachWaitJoin = () => stage('waitJoin');
const reachExclude = () => stage('exclude');
const reachDataTerminate = () => stage('dataTerminate');
const reachVoting = () => stage('voting');
const reachMasterTerminate = () => stage('masterTerminate');

/** The surge instance (target template) of a group. */
const surgeInstance = (w: World, g: string) =>
  w.fleet.find((x) => x.name === g)!.instances.find((i) => i.launchTemplateVersion === '2')!.instanceId;

describe('cleanup removes surge capacity safely', () => {
  test('removes a surge instance that never joined', async () => {
    const waitJoin = await reachWaitJoin();
    const d = decideIn(waitJoin.world, abort);
    expect(terminated(d)).toBe(surgeInstance(waitJoin.world, 'data-asg'));
  });

  test('does not terminate an instance that has not joined while the cluster is red (it may be needed)', async () => {
    const waitJoin = await reachWaitJoin();
    const world = withHealth(waitJoin.world, { status: 'red' });
    expect(decideIn(world, abort).action.type).not.toBe('terminate');
  });

  test('removes the empty surge data node when the roll is aborted before the drain', async () => {
    const exclude = await reachExclude();
    const d = decideIn(exclude.world, abort);
    expect(terminated(d)).toBe(surgeInstance(exclude.world, 'data-asg'));
    expect(d.reason).toMatch(/stopping \(stack rollback\)/);
  });

  test('removes the drained, excluded node rather than leaving the surge capacity', async () => {
    const dataTerminate = await reachDataTerminate();
    const d = decideIn(dataTerminate.world, abort);
    expect(terminated(d)).toBe(nodeOf(dataTerminate.decision));
  });

  test.each([
    ['initialize', { initializingShards: 1 }],
    ['relocate', { relocatingShards: 1 }],
  ])('does not terminate an empty data node while shards %s', async (_n, health) => {
    const exclude = await reachExclude();
    const d = decideIn(withHealth(exclude.world, health), abort);
    expect(d.action.type).not.toBe('terminate');
  });

  test('does not remove surge capacity when every node holds data', async () => {
    const exclude = await reachExclude();
    const world = withEs(exclude.world, (es) => ({
      ...es,
      shards: [
        ...es.shards,
        {
          index: 'more',
          shard: 0,
          primary: true,
          state: 'STARTED',
          node: surgeInstance(exclude.world, 'data-asg'),
          bytes: 1,
        },
      ],
    }));
    const d = decideIn(world, abort);
    expect(d.action.type).not.toBe('terminate');
  });

  test('does not terminate an empty master-eligible node without a voting exclusion during cleanup', async () => {
    const voting = await reachVoting();
    // The master group is surged; its new master and the old ones are empty but none is voting-excluded.
    const d = decideIn(voting.world, abort);
    expect(d.action.type).not.toBe('terminate');
  });

  test('removes the surge capacity of the masters with the voting-excluded master', async () => {
    const masterTerminate = await reachMasterTerminate();
    const d = decideIn(masterTerminate.world, abort);
    expect(terminated(d)).toBe(nodeOf(masterTerminate.decision));
  });

  test('does not terminate the elected master during cleanup, even when it is voting-excluded', async () => {
    const masterTerminate = await reachMasterTerminate();
    const node = nodeOf(masterTerminate.decision);
    const world = withEs(masterTerminate.world, (es) => ({ ...es, electedMaster: node }));
    expect(decideIn(world, abort).action.type).not.toBe('terminate');
  });

  test('a failed roll cleans up the same way (failure mark)', async () => {
    const masterTerminate = await reachMasterTerminate();
    const world = withGroup(masterTerminate.world, 'data-asg', (g) => ({
      ...g,
      tags: { ...g.tags, [TAG.failed]: 'replacement did not join' },
    }));
    const d = decideIn(world);
    expect(terminated(d)).toBe(nodeOf(masterTerminate.decision));
    expect(d.reason).toMatch(/stopping \(replacement did not join\)/);
  });
});

describe('cleanup clears marks only once the node has left', () => {
  /** The data node was terminated (with decrement) and is still a cluster member, its exclusion still set. */
  const leaving = (dataTerminate: Reached) => {
    const node = nodeOf(dataTerminate.decision);
    return withGroup(withInstance(dataTerminate.world, node, { lifecycleState: 'Terminating' }), 'data-asg', (g) => ({
      ...g,
      desiredCapacity: g.desiredCapacity - 1,
    }));
  };

  test('does not clear the allocation exclusion of a terminated node that is still a member (abort)', async () => {
    const dataTerminate = await reachDataTerminate();
    const d = decideIn(leaving(dataTerminate), abort);
    expect({ type: d.action.type, blockedBy: d.blockedBy }).toEqual({
      type: 'wait',
      blockedBy: 'previous-replacement-complete',
    });
  });

  test('does not clear the allocation exclusion of a terminated node that is still a member (roll)', async () => {
    const dataTerminate = await reachDataTerminate();
    const d = decideIn(leaving(dataTerminate));
    expect({ type: d.action.type, blockedBy: d.blockedBy }).toEqual({
      type: 'wait',
      blockedBy: 'previous-replacement-complete',
    });
  });

  test('clears the allocation exclusion once the terminated node has left', async () => {
    const dataTerminate = await reachDataTerminate();
    const node = nodeOf(dataTerminate.decision);
    const world = withEs(leaving(dataTerminate), (es) => ({ ...es, nodes: es.nodes.filter((n) => n.name !== node) }));
    const d = decideIn(world, abort);
    expect(d.action).toMatchObject({ type: 'clear-exclusion', nodes: [node], names: [] });
  });

  test("keeps an operator's own exclusions when clearing ours", async () => {
    const dataTerminate = await reachDataTerminate();
    const node = nodeOf(dataTerminate.decision);
    const world = withEs(leaving(dataTerminate), (es) => ({
      ...es,
      nodes: es.nodes.filter((n) => n.name !== node),
      allocationExcludeNames: ['hot-node-7', ...es.allocationExcludeNames],
    }));
    expect(decideIn(world).action).toMatchObject({ type: 'clear-exclusion', nodes: [node], names: ['hot-node-7'] });
  });

  test('does not clear voting exclusions while the voting-excluded master is still a member', async () => {
    const masterTerminate = await reachMasterTerminate();
    const node = nodeOf(masterTerminate.decision);
    const world = withGroup(
      withInstance(masterTerminate.world, node, { lifecycleState: 'Terminating' }),
      'master-asg',
      (g) => ({ ...g, desiredCapacity: g.desiredCapacity - 1 }),
    );
    const d = decideIn(world, abort);
    expect({ type: d.action.type, blockedBy: d.blockedBy }).toEqual({
      type: 'wait',
      blockedBy: 'previous-replacement-complete',
    });
    expect(decideIn(world).action.type).not.toBe('clear-voting-exclusions');
  });

  test('clears voting exclusions once the master has left', async () => {
    const masterTerminate = await reachMasterTerminate();
    const node = nodeOf(masterTerminate.decision);
    const world = withEs(
      withGroup(masterTerminate.world, 'master-asg', (g) => ({
        ...g,
        desiredCapacity: g.desiredCapacity - 1,
        instances: g.instances.filter((i) => i.instanceId !== node),
      })),
      (es) => ({ ...es, nodes: es.nodes.filter((n) => n.name !== node) }),
    );
    expect(decideIn(world).action.type).toBe('clear-voting-exclusions');
    expect(decideIn(world, abort).action.type).toBe('clear-voting-exclusions');
  });
});
