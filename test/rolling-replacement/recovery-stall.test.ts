/**
 * Stall detection of a recovery (issue 12, finding 8): a roll waiting at a health gate for unassigned copies that are
 * never recovered reports `drain-stalled` after stallSeconds, with the cause by decider name and what to do; it keeps
 * waiting.
 */
import { recoveryProgress } from '../../lambda/rolling-replacement/core/recovery-stall';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import type { ShardCopy, UnassignedExplanation } from '../../lambda/rolling-replacement/core/types';
import {
  ctxIn,
  dataNodes,
  decideIn,
  stage,
  withEs,
  withGroup,
  withHealth,
  withShards,
  type World,
} from './gate-worlds';

const unassigned = (index: string, shard: number): ShardCopy => ({
  index,
  shard,
  primary: false,
  state: 'UNASSIGNED',
  bytes: 0,
});

function explanation(world: World, index: string, deciders: string[], extra: Partial<UnassignedExplanation> = {}) {
  return {
    index,
    shard: 0,
    primary: false,
    canAllocate: 'no',
    reason: 'NODE_LEFT',
    nodeDecisions: dataNodes(world).map((nodeName) => ({ nodeName, decision: 'no', noDeciders: deciders })),
    ...extra,
  };
}

/** The roll about to exclude a node, with one replica of `index` unassigned and refused by `deciders`. */
async function yellowWorld(now: number, tag: string | undefined, deciders = ['filter'], extra = {}) {
  const { world } = await stage('exclude');
  const withCopy = withHealth(withShards(world, [unassigned('pinned', 0)]), {
    status: 'yellow',
    unassignedShards: 1,
  });
  const explained = withEs(withCopy, (es) => ({
    ...es,
    explanations: [explanation(withCopy, 'pinned', deciders, extra)],
  }));
  const tagged = withGroup(explained, 'data-asg', (g) => ({
    ...g,
    tags: { ...g.tags, ...(tag !== undefined ? { [TAG.recoveryProgress]: tag } : {}) },
  }));
  return { ...tagged, now };
}

describe('decide(): a stalled recovery is named and diagnosed, and the roll keeps waiting', () => {
  test('first sight: the ordinary gate wait, with the progress record to write', async () => {
    const d = decideIn(await yellowWorld(100, undefined));
    expect(d).toMatchObject({
      action: { type: 'wait', recoveryProgress: { group: 'data-asg', value: '1:pinned/0/r:100' } },
      blockedBy: 'cluster-green-or-version-yellow',
    });
  });

  test('before stallSeconds: the gate wait, nothing to write', async () => {
    const d = decideIn(await yellowWorld(1799, '1:pinned/0/r:0'));
    expect(d).toMatchObject({ action: { type: 'wait' }, blockedBy: 'cluster-green-or-version-yellow' });
    expect(d.action).toEqual({ type: 'wait' });
  });

  test('after stallSeconds: drain-stalled, with the index setting that pins it and how to remove it', async () => {
    const routing = { indexRouting: { 'index.routing.allocation.require._name': 'i-gone' } };
    const d = decideIn(await yellowWorld(1800, '1:pinned/0/r:0', ['filter', 'same_shard'], routing));
    expect(d.action).toEqual({ type: 'wait' });
    expect(d.blockedBy).toBe('drain-stalled');
    expect(d.reason).toMatch(
      /the recovery of \[pinned\]\[0\] replica made no progress for 1800 s .*filter: index pinned is pinned to nodes by index\.routing\.allocation\.require\._name=i-gone.*PUT pinned\/_settings \{"index\.routing\.allocation\.require\._name": null\}; still waiting/,
    );
  });

  test.each([
    ['shards_limit', /shards_limit: a shards-per-node limit .*raise the limit/],
    ['enable', /enable: allocation is disabled .*index\.routing\.allocation\.enable of pinned/],
    ['same_shard', /same_shard: every other data node already holds a copy.*lower number_of_replicas of pinned/],
    ['max_retry', /max_retry: .*retry_failed=true/],
  ])('%s: named with its remedy', async (decider, text) => {
    const d = decideIn(await yellowWorld(3600, '1:pinned/0/r:0', [decider]));
    expect(d.blockedBy).toBe('drain-stalled');
    expect(d.reason).toMatch(text);
  });

  test('no explanation: says how to get one', async () => {
    const w = withEs(await yellowWorld(3600, '1:pinned/0/r:0'), (es) => ({ ...es, explanations: [] }));
    const d = decideIn(w);
    expect(d.blockedBy).toBe('drain-stalled');
    expect(d.reason).toMatch(/no allocation explanation of it \(POST _cluster\/allocation\/explain/);
  });

  test('never a step that removes data while stalled, however long', async () => {
    const d = decideIn(await yellowWorld(30 * 86400, '1:pinned/0/r:0'));
    expect(d.action.type).toBe('wait');
  });
});

describe('recovery progress record', () => {
  test('initializing copies record "moving"; fewer, more or other copies left start a new clock', async () => {
    const base = await yellowWorld(100, undefined);
    const at = (tag: string | undefined, extra: ShardCopy[] = []) =>
      recoveryProgress(ctxIn(withShards(base, extra)), tag);
    expect(at(undefined)).toMatchObject({ record: '1:pinned/0/r:100' });
    expect(at('1:pinned/0/r:40')).toEqual({ stalledFor: 60, left: [expect.objectContaining({ index: 'pinned' })] });
    expect(at('2:pinned/0/r:40')).toMatchObject({ record: '1:pinned/0/r:100' });
    expect(at('1:other/0/r:40')).toMatchObject({ record: '1:pinned/0/r:100' });
    const init: ShardCopy = { index: 'x', shard: 0, primary: false, state: 'INITIALIZING', node: 'n', bytes: 1 };
    expect(at('1:pinned/0/r:40', [init])).toMatchObject({ record: 'moving' });
    expect(at('moving', [init])).not.toHaveProperty('record');
    expect(at('moving')).toMatchObject({ record: '1:pinned/0/r:100' });
    // Nothing to recover: no record.
    const { world } = await stage('exclude');
    expect(recoveryProgress(ctxIn(world), '1:pinned/0/r:40')).toBeUndefined();
  });
});
