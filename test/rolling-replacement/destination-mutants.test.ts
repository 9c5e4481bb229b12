/**
 * Whether every copy on a node has somewhere to go (destination.ts), as unit cases over a built world (issue 21): the
 * relocations in flight, a second index sharing shard numbers, the version floor of a replica whose primary is
 * unassigned or whose index has primaries on nodes of other versions. capacity-above-baseline.test.ts checks the
 * gate through whole rolls; these cases decide on one shard layout each, in milliseconds.
 */
import { drainHasDestination, strandedCopy } from '../../lambda/rolling-replacement/core/destination';
import type { EsNodeView, EsView, ShardCopy } from '../../lambda/rolling-replacement/core/types';
import { ctxIn, stage, started, withEs, withOwnedExclusions, type World } from './gate-worlds';

const OLD = '8.18.2';
const NEW = '8.19.3';

const dataNode = (name: string, version = OLD): EsNodeView => ({ name, id: `id-${name}`, version, roles: ['data'] });

/** The world about to exclude a node, with exactly these data nodes (the masters kept) and these copies. */
async function layout(nodes: readonly EsNodeView[], shards: readonly ShardCopy[]): Promise<World> {
  const { world } = await stage('exclude');
  return withEs(world, (es) => ({
    ...es,
    nodes: [...es.nodes.filter((n) => !n.roles.includes('data')), ...nodes],
    shards: [...shards],
  }));
}

const es = async (nodes: readonly EsNodeView[], shards: readonly ShardCopy[]): Promise<EsView> =>
  (await layout(nodes, shards)).es;

const relocating = (copy: ShardCopy, to: string): ShardCopy => ({ ...copy, state: 'RELOCATING', relocatingTo: to });

describe('strandedCopy: relocations in flight', () => {
  test('does not hold a node whose copy is already relocating to a node that stays', async () => {
    // Every other data node holds a copy of [x][0] once the relocation ends: it is the copy's place, not a refusal.
    const view = await es(
      [dataNode('a'), dataNode('b'), dataNode('c')],
      [relocating(started('x', 0, 'a', true), 'c'), started('x', 0, 'b')],
    );
    expect(strandedCopy(view, 'a', new Set())).toBeUndefined();
  });

  test('holds a node whose copy is relocating to a node that is leaving too', async () => {
    const view = await es(
      [dataNode('a'), dataNode('b'), dataNode('l')],
      [relocating(started('x', 0, 'a', true), 'l'), started('x', 0, 'b')],
    );
    expect(strandedCopy(view, 'a', new Set(['l']))?.why).toBe(
      '[x][0] primary: every other data node holds a copy of it (same_shard)',
    );
  });

  test('holds a node receiving a copy from a draining node when no other node can take that copy', async () => {
    // The drain of l moves [x][0] to a; excluding a too would leave the copy nowhere (b has its replica).
    const view = await es(
      [dataNode('a'), dataNode('b'), dataNode('l')],
      [relocating(started('x', 0, 'l', true), 'a'), started('x', 0, 'b')],
    );
    expect(strandedCopy(view, 'a', new Set(['l']))?.why).toMatch(/^\[x\]\[0\] primary: .*\(same_shard\)$/);
  });
});

describe('strandedCopy: copies of other shards', () => {
  test('does not take a copy of the same shard number in another index for a copy of this shard', async () => {
    const view = await es(
      [dataNode('a'), dataNode('b'), dataNode('c')],
      [started('logs-1', 0, 'a', true), started('logs-1', 0, 'b'), started('logs-2', 0, 'c', true)],
    );
    expect(strandedCopy(view, 'a', new Set())).toBeUndefined();
  });

  test("takes the version floor of a replica from its own shard's primary, not another shard's", async () => {
    // [x][1]'s primary is on a new node that is leaving (listed first); [x][0]'s primary is on an old node: the
    // replica of [x][0] on a may go to the old node f.
    const view = await es(
      [dataNode('a'), dataNode('o'), dataNode('n', NEW), dataNode('f')],
      [started('x', 1, 'n', true), started('x', 0, 'o', true), started('x', 0, 'a')],
    );
    expect(strandedCopy(view, 'a', new Set(['n']))).toBeUndefined();
    // The same replica with its primary on the new node: no node as new is left.
    const newer = await es(
      [dataNode('a'), dataNode('n', NEW), dataNode('f')],
      [started('x', 0, 'n', true), started('x', 0, 'a')],
    );
    expect(strandedCopy(newer, 'a', new Set(['n']))?.why).toMatch(
      /^\[x\]\[0\] replica: every data node without a copy runs a version older than its primary's node n \(8\.19\.3;/,
    );
  });
});

describe('strandedCopy: no version floor', () => {
  test.each([
    ['unassigned', [{ index: 'x', shard: 0, primary: true, state: 'UNASSIGNED', bytes: 0 } as ShardCopy]],
    ['not listed', []],
  ])('a replica whose primary is %s: any free data node will do (no error)', async (_, primary) => {
    const view = await es([dataNode('a'), dataNode('b', '7.17.0')], [...primary, started('x', 0, 'a')]);
    expect(strandedCopy(view, 'a', new Set())).toBeUndefined();
  });

  test('a primary on a node whose version does not parse: no floor, any free data node will do', async () => {
    const view = await es([dataNode('a', 'unknown'), dataNode('b')], [started('x', 0, 'a', true)]);
    expect(strandedCopy(view, 'a', new Set())).toBeUndefined();
  });

  test('a free node whose version does not parse is not taken for a destination', async () => {
    const view = await es(
      [dataNode('a'), dataNode('p'), dataNode('u', 'unknown')],
      [started('x', 0, 'p', true), started('x', 0, 'a')],
    );
    expect(strandedCopy(view, 'a', new Set())?.why).toMatch(/older than its primary's node p \(8\.18\.2; node_version/);
  });
});

describe('drain-has-destination, through the context', () => {
  test('blocks the exclusion of a node whose copy can only go to a node this roll already drains', async () => {
    const world = await layout(
      [dataNode('i-00000001'), dataNode('i-00000002'), dataNode('i-00000003')],
      [started('x', 0, 'i-00000001', true), started('x', 0, 'i-00000002')],
    );
    const subject = { step: 'exclude' as const, node: 'i-00000001' };
    expect(drainHasDestination.evaluate(ctxIn(world), subject).status).toBe('pass');
    const draining = withOwnedExclusions(world, ['i-00000003']);
    expect(drainHasDestination.evaluate(ctxIn(draining), subject)).toEqual({
      status: 'block',
      reason: 'i-00000001 would not drain: [x][0] primary: every other data node holds a copy of it (same_shard)',
    });
  });
});
