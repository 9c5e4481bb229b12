/**
 * Which outdated node the roll drains next (candidate.ts), as decide() takes it at the exclude step of the default
 * roll (3 data nodes, one zone, the surge instance joined): by default the lowest id, i-00000001. Cases where that
 * node must wait for another one to go first, and a world where no outdated node is a member.
 */
import { type World, decideIn, snapshot, stageWorld, withEs, withoutNode } from './gate-worlds';
import { midRoll } from './worlds';

const FIRST = 'i-00000001';
let exclude: World;
beforeAll(async () => {
  exclude = await snapshot(stageWorld('exclude'));
});

const excluded = (w: World) => {
  const d = decideIn(w);
  expect(d.action.type).toBe('exclude');
  return (d.action as { node?: string }).node;
};

describe('next node to drain', () => {
  test('by default the roll drains the lowest id among equals (the reference for the cases below)', () => {
    expect(excluded(exclude)).toBe(FIRST);
  });

  test('a node running a long task (a reindex) goes after the nodes running none', () => {
    const w = withEs(exclude, (es) => ({
      ...es,
      tasks: [{ id: 'n1:42', node: FIRST, action: 'indices:data/write/reindex', runningSeconds: 600 }],
    }));
    const next = excluded(w);
    expect(next).not.toBe(FIRST);
    expect(next).toBe('i-00000002');
  });

  test('a node holding a copy that could go nowhere goes after the nodes whose copies have a destination', () => {
    // A replica on the first node whose primary sits on the upgraded surge instance: only a node at least as new as
    // the primary's may take it, and that is the one holding the primary (same_shard).
    const w = withEs(exclude, (es) => ({
      ...es,
      shards: [
        ...es.shards,
        { index: 'fresh', shard: 0, primary: true, state: 'STARTED' as const, node: 'i-00000007', bytes: 0 },
        { index: 'fresh', shard: 0, primary: false, state: 'STARTED' as const, node: FIRST, bytes: 0 },
      ],
    }));
    expect(excluded(w)).toBe('i-00000002');
  });
});

describe('no outdated node is a member', () => {
  test('the roll waits for the node that left, and does not fail', async () => {
    // Two data nodes already replaced; the last outdated one has left the cluster (its instance stays InService).
    const w = withoutNode(await snapshot(midRoll({ replaced: 2 })), 'i-00000003');
    const d = decideIn(w);
    expect(d.action.type).toBe('wait');
    expect(d.blockedBy).toBe('every-expected-node-present');
  });
});
