/**
 * The disk gate's projection (disk.ts), case by case: the draining node's copies go largest first, each to the least
 * full data node allowed to take it (no copy of that shard, held or arriving; the other draining nodes take nothing
 * and give their copies too), and the fullest node must stay at or under the low watermark less the margin (85 % − 5 %
 * = 80 %, exactly). Every data node here reports a 100-byte disk.
 */
import { diskHeadroom } from '../../lambda/rolling-replacement/core/disk';
import type { ShardCopy } from '../../lambda/rolling-replacement/core/types';
import { type World, ctxIn, snapshot, stageWorld, started, withEs, withNode, withOwnedExclusions } from './gate-worlds';

const N1 = 'i-00000001';
const N2 = 'i-00000002';
const N3 = 'i-00000003';
const N7 = 'i-00000007';

let three: World;
let four: World;
beforeAll(async () => {
  three = await snapshot(stageWorld('dataSurge'));
  four = await snapshot(stageWorld('exclude'));
});

/** `w` with exactly these copies and these used bytes per node (of 100). */
function layout(w: World, used: Record<string, number>, shards: readonly ShardCopy[]): World {
  const placed = Object.entries(used).reduce(
    (acc, [name, bytes]) => withNode(acc, name, { diskUsedBytes: bytes, diskTotalBytes: 100 }),
    w,
  );
  return withEs(placed, (es) => ({ ...es, shards: [...shards] }));
}

const gate = (w: World, node = N1) => diskHeadroom.evaluate(ctxIn(w), { step: 'exclude', node }).status;

describe('the limit', () => {
  test('exactly 80 % after the drain passes; above it blocks', () => {
    const copy = [started('x', 0, N1, true, 10)];
    expect(gate(layout(four, { [N2]: 70, [N3]: 75, [N7]: 75 }, copy))).toBe('pass');
    expect(gate(layout(four, { [N2]: 71, [N3]: 75, [N7]: 75 }, copy))).toBe('block');
  });
});

describe('where each copy goes', () => {
  test('to the least full node, not the first one listed', () => {
    const copy = [started('x', 0, N1, true, 10)];
    expect(gate(layout(four, { [N2]: 79, [N3]: 50, [N7]: 50 }, copy))).toBe('pass');
  });

  test('largest first: the large copy takes the emptiest node, the small one the next', () => {
    // 30 → N2 (80), then 10 → N3 (70): 80 % at most. Smallest first would end at 90 % on N2.
    const copies = [started('x', 1, N1, true, 10), started('x', 0, N1, true, 30)];
    expect(gate(layout(three, { [N2]: 50, [N3]: 60 }, copies))).toBe('pass');
  });

  test('never to a node holding a copy of that shard (same_shard), even the emptiest', () => {
    const copies = [started('x', 0, N1, true, 10), started('x', 0, N3, false, 10)];
    expect(gate(layout(four, { [N2]: 75, [N3]: 10, [N7]: 75 }, copies))).toBe('block');
  });

  test('never to the node a copy of that shard is relocating to', () => {
    const copies = [
      started('x', 0, N1, true, 10),
      { ...started('x', 0, N2, false, 10), state: 'RELOCATING' as const, relocatingTo: N3 },
    ];
    expect(gate(layout(four, { [N2]: 75, [N3]: 10, [N7]: 75 }, copies))).toBe('block');
  });

  test('a copy of another index with the same shard number does not hold a node back', () => {
    const copies = [started('x', 0, N1, true, 10), started('y', 0, N3, false, 1)];
    expect(gate(layout(four, { [N2]: 75, [N3]: 10, [N7]: 75 }, copies))).toBe('pass');
  });

  test('another node this rollout drains takes nothing: its copies go to the others too', () => {
    const copy = [started('x', 0, N1, true, 10)];
    const w = layout(four, { [N2]: 0, [N3]: 75, [N7]: 75 }, copy);
    expect(gate(w)).toBe('pass');
    expect(gate(withOwnedExclusions(w, [N2]))).toBe('block');
    const itsCopy = layout(four, { [N2]: 0, [N3]: 60, [N7]: 60 }, [...copy, started('y', 0, N2, true, 25)]);
    expect(gate(itsCopy)).toBe('pass');
    expect(gate(withOwnedExclusions(itsCopy, [N2]))).toBe('block');
  });
});

describe('disks of different sizes and nodes without data', () => {
  test('the least full node is the one with the lowest share of its own disk after the copy, not the fewest bytes', () => {
    // N2: 150 of 200 bytes (75 %) after the copy, N3: 82 of 100 (82 %): the copy goes to N2, and nothing passes 80 %.
    const w = withEs(
      withNode(withNode(three, N2, { diskUsedBytes: 140, diskTotalBytes: 200 }), N3, {
        diskUsedBytes: 72,
        diskTotalBytes: 100,
      }),
      (es) => ({ ...es, shards: [started('x', 0, N1, true, 10)] }),
    );
    expect(gate(w)).toBe('pass');
  });

  test('a master-only node is not applicable, even with every data node reporting its disk', () => {
    const w = layout(four, { [N1]: 10, [N2]: 10, [N3]: 10, [N7]: 10 }, [started('x', 0, N1, true, 10)]);
    expect(gate(w, 'i-00000004')).toBe('not-applicable');
  });
});
