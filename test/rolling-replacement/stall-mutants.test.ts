/**
 * Stall detection of a drain (stall.ts) as unit cases over a built world (issue 21): the progress record, the cause and
 * remedy by decider name, and the diagnosis of a stalled drain. drain-stall.test.ts checks the same through whole rolls
 * in the simulator; these cases decide on one world each, in milliseconds.
 */
import type { Ctx } from '../../lambda/rolling-replacement/core/context';
import { causeOf, diagnose, drainProgress } from '../../lambda/rolling-replacement/core/stall';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import type { ShardCopy, StuckCopy } from '../../lambda/rolling-replacement/core/types';
import { ctxIn, stage, started, withGroup, withOwnedExclusions, withShards, withEs, type World } from './gate-worlds';

const A = 'i-00000001';
const B = 'i-00000002';
const C = 'i-00000003';
const NEW = 'i-00000007';

/** The roll about to terminate A (drained), as decide() sees it: data nodes A, B, C and the surge node NEW. */
async function draining(): Promise<World> {
  return (await stage('dataTerminate')).world;
}

/** drainProgress of the data group, with these copies added and this progress tag (none: no tag), at `now`. */
function progressIn(world: World, shards: readonly ShardCopy[], tag: string | undefined, now = 100) {
  const w = withGroup(withShards(world, shards), 'data-asg', (g) => {
    const tags = { ...g.tags };
    delete tags[TAG.drainProgress];
    return { ...g, tags: tag === undefined ? tags : { ...tags, [TAG.drainProgress]: tag } };
  });
  const ctx = ctxIn({ ...w, now });
  return drainProgress(ctx, ctx.data);
}

describe('drainProgress: the record of what is left on the draining nodes', () => {
  test('records the draining node, its copies and bytes, and the time, when nothing moves', async () => {
    const w = await draining();
    const copies = [started('x', 0, A, true, 500), started('x', 1, A, false, 300)];
    expect(progressIn(w, copies, undefined)).toEqual({ record: `${A}:2:800:100` });
  });

  test('reports how long nothing left, from an unchanged record', async () => {
    const w = await draining();
    expect(progressIn(w, [started('x', 0, A, true, 500)], `${A}:1:500:40`, 100.7)).toEqual({ stalledFor: 60 });
  });

  test('reads a record of 12 copies and 6000 bytes since 4000 (numbers of several digits)', async () => {
    const w = await draining();
    const copies = Array.from({ length: 12 }, (_, k) => started('x', k, A, true, 500));
    expect(progressIn(w, copies, `${A}:12:6000:4000`, 4100)).toEqual({ stalledFor: 100 });
  });

  test('does not count copies of a node whose exclusion outlived its instance (terminated, not live)', async () => {
    const w = withOwnedExclusions(await draining(), [A, 'i-0000dead']);
    const copies = [started('x', 0, A, true, 500), started('x', 1, 'i-0000dead', false, 300)];
    expect(progressIn(w, copies, undefined)).toEqual({ record: `${A}:1:500:100` });
  });

  test('names several draining nodes in sorted order, whatever the exclusion order', async () => {
    const w = withOwnedExclusions(await draining(), [B, A]);
    const copies = [started('x', 0, A, true, 500), started('x', 1, B, false, 300)];
    // B also holds two copies of the world's index, 1000 bytes each.
    expect(progressIn(w, copies, undefined)).toEqual({ record: `${A}+${B}:4:2800:100` });
    expect(progressIn(w, copies, `${A}+${B}:4:2800:40`)).toEqual({ stalledFor: 60 });
  });

  test.each([
    ['RELOCATING', { state: 'RELOCATING' as const, relocatingTo: NEW }],
    ['INITIALIZING (a copy arriving on the node)', { state: 'INITIALIZING' as const }],
  ])('a %s copy on a draining node is progress: records "moving", once', async (_, patch) => {
    const w = await draining();
    const copy: ShardCopy = { ...started('x', 0, A, true, 500), ...patch };
    expect(progressIn(w, [copy], `${A}:1:500:40`)).toEqual({ record: 'moving' });
    expect(progressIn(w, [copy], 'moving')).toEqual({});
  });

  test('a STARTED copy is no progress: a "moving" record is replaced by the numbers', async () => {
    const w = await draining();
    expect(progressIn(w, [started('x', 0, A, true, 500)], 'moving')).toEqual({ record: `${A}:1:500:100` });
  });

  test('a moving copy of a node that is not draining does not count as progress', async () => {
    const w = await draining();
    const elsewhere: ShardCopy = { ...started('x', 1, B, true, 300), state: 'RELOCATING', relocatingTo: C };
    expect(progressIn(w, [started('x', 0, A, true, 500), elsewhere], `${A}:1:500:40`)).toEqual({ stalledFor: 60 });
  });

  test.each([
    ['fewer copies', `${A}:2:500:40`],
    ['fewer bytes', `${A}:1:900:40`],
    ['other draining nodes (an earlier drain)', `${B}:1:500:40`],
    ['a record with text before it', `junk:${A}:1:500:40`],
    ['a record with text after it', `${A}:1:500:40x`],
    ['a record with no numbers', `${A}:one:500:40`],
    ['a record without the node', ':1:500:40'],
  ])('%s: a new record, the clock starts again', async (_, tag) => {
    const w = await draining();
    expect(progressIn(w, [started('x', 0, A, true, 500)], tag)).toEqual({ record: `${A}:1:500:100` });
  });

  test.each([
    ['the same copies and bytes', 1, 500],
    ['more bytes (writes make a copy grow)', 1, 400],
    ['more copies (a copy arrived)', 0, 500],
  ])('%s: no progress, the clock runs on', async (_, copies, bytes) => {
    const w = await draining();
    expect(progressIn(w, [started('x', 0, A, true, 500)], `${A}:${copies}:${bytes}:40`)).toEqual({ stalledFor: 60 });
  });
});

describe('causeOf: what a decider NO means and what the operator can do', () => {
  test.each([
    ['awareness', /shard allocation awareness/, /add a data node in that zone/],
    ['disk_threshold', /above the low disk watermark/, /free disk/],
    ['shards_limit', /total_shards_per_node of logs-1/, /PUT logs-1\/_settings \{"index.routing.allocation.total/],
    ['max_retry', /max_retries times/, /retry_failed=true/],
    ['enable', /allocation is disabled .*of logs-1/, /"cluster.routing.allocation.enable": null/],
    ['same_shard', /already holds a copy of this shard/, /lower number_of_replicas of logs-1/],
    ['node_version', /its primary runs on a newer node/, /a surge/],
    ['index_version', /its primary runs on a newer node/, /a surge/],
    ['snapshot_in_progress', /a snapshot of this shard is running/, /wait for the snapshot to finish/],
    ['resize', /a resize \(shrink, split, clone\) of logs-1 is in progress/, /wait for it to finish/],
    ['throttling', /throttles recoveries/, /node_concurrent_recoveries/],
    ['rebalance_only', /the rebalance_only decider refuses every other node/, /POST _cluster\/allocation\/explain/],
  ])('%s', (decider, cause, remedy) => {
    const c = causeOf(decider, { index: 'logs-1' });
    expect(c.cause).toMatch(cause);
    expect(c.remedy).toMatch(remedy);
  });

  test('filter without index settings: the cluster-level filters', () => {
    expect(causeOf('filter', { index: 'logs-1' })).toEqual({
      cause: expect.stringMatching(/allocation filters refuse every other node \(cluster\.routing\.allocation/),
      remedy: expect.stringMatching(/GET _cluster\/settings/),
    });
  });

  test('filter with an index pinned to a node: names every pin and the setting to remove', () => {
    const c = causeOf('filter', {
      index: 'logs-1',
      indexRouting: {
        'index.routing.allocation.total_shards_per_node': '2',
        'index.routing.allocation.require._id': 'abc',
        'index.routing.allocation.include._host': 'h1',
      },
    });
    expect(c.cause).toBe(
      'index logs-1 is pinned to nodes by index.routing.allocation.require._id=abc, ' +
        "index.routing.allocation.include._host=h1 (ILM's shrink action writes require._id; or an operator)",
    );
    expect(c.remedy).toMatch(/PUT logs-1\/_settings \{"index.routing.allocation.require._id": null\}$/);
  });

  test('filter with index settings that pin no node (a shards-per-node limit): the cluster-level filters', () => {
    const c = causeOf('filter', {
      index: 'logs-1',
      indexRouting: { 'index.routing.allocation.total_shards_per_node': '2' },
    });
    expect(c.cause).toMatch(/^allocation filters refuse every other node/);
  });
});

describe('diagnose: why a stalled drain does not move, from allocation explain', () => {
  /** The roll draining A (owned exclusion), with these explanations. */
  async function ctxWith(stuck?: readonly StuckCopy[], owned: readonly string[] = [A]): Promise<Ctx> {
    const w = withOwnedExclusions(await draining(), owned);
    return ctxIn(withEs(w, (es) => ({ ...es, ...(stuck ? { stuck } : {}) })));
  }
  const explained = (node: string, decisions: [string, string[]][], extra: Partial<StuckCopy> = {}): StuckCopy => ({
    index: 'logs-1',
    shard: 0,
    primary: false,
    node,
    canMove: 'no',
    nodeDecisions: decisions.map(([nodeName, noDeciders]) => ({ nodeName, decision: 'no', noDeciders })),
    ...extra,
  });

  test('no explanation: says how to get one, still waiting', async () => {
    const text = diagnose(await ctxWith(), A, 1800);
    expect(text).toMatch(/^the drain of i-00000001 made no progress for 1800 s .*; no allocation explanation/);
  });

  test("takes the explanation of the stalled node's copy, not another node's", async () => {
    const other = explained(B, [[C, ['awareness']]]);
    const own = explained(A, [[C, ['disk_threshold']]], { primary: true });
    const text = diagnose(await ctxWith([other, own]), A, 60);
    expect(text).toMatch(/\[logs-1\]\[0\] primary cannot move: disk_threshold: /);
    expect(text).not.toMatch(/awareness/);
  });

  test('an explanation of another node only: no explanation of this one', async () => {
    const text = diagnose(await ctxWith([explained(B, [[C, ['awareness']]])]), A, 60);
    expect(text).toMatch(/no allocation explanation/);
  });

  test.each(['yes', 'throttled'])('a copy that may move (%s) but has not: throttling', async (canMove) => {
    const text = diagnose(await ctxWith([explained(A, [[C, ['awareness']]], { canMove })]), A, 60);
    expect(text).toMatch(/\[logs-1\]\[0\] replica may move but has not: .*throttles recoveries/);
    expect(text).not.toMatch(/awareness/);
  });

  test('the NO of a node this roll drains is left out (our own exclusion refuses there)', async () => {
    const stuck = explained(A, [
      [B, ['filter']],
      [C, ['awareness']],
    ]);
    const text = diagnose(await ctxWith([stuck], [A, B]), A, 60);
    expect(text).toMatch(/cannot move: awareness: shard allocation awareness/);
    expect(text).not.toMatch(/filter/);
  });

  test('only draining nodes refused: no other node says why', async () => {
    const stuck = explained(A, [[B, ['filter']]]);
    expect(diagnose(await ctxWith([stuck], [A, B]), A, 60)).toMatch(/cannot move and no other node says why/);
  });

  test('the most common NO first, then by name; two at most; a decider named twice by one node counts once', async () => {
    const stuck = explained(A, [
      [C, ['enable', 'awareness', 'awareness']],
      [NEW, ['same_shard', 'enable']],
      ['i-00000008', ['same_shard']],
    ]);
    const text = diagnose(await ctxWith([stuck]), A, 60);
    const named = [...text.matchAll(/(?:cannot move: | \| )([a-z_]+): /g)].map((m) => m[1]);
    expect(named).toEqual(['enable', 'same_shard']);
    expect(text).toMatch(/enable: allocation is disabled .*; what to do: set it back.* \| same_shard: every other/);
    expect(text).toMatch(/still waiting, never terminating a node that holds data$/);
  });

  test('equally common NOs: by name, whatever the order the nodes gave them', async () => {
    const stuck = explained(A, [
      [C, ['same_shard']],
      [NEW, ['awareness']],
    ]);
    const named = [...diagnose(await ctxWith([stuck]), A, 60).matchAll(/(?:cannot move: | \| )([a-z_]+): /g)];
    expect(named.map((m) => m[1])).toEqual(['awareness', 'same_shard']);
  });
});
