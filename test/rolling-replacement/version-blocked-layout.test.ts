/**
 * Issue 12, finding 2: a rollover mid-roll creates one replica per new shard that only an upgraded node may take.
 * Only a few unassigned copies are explained (one request each); the rest must still be classified, from the shard
 * layout, or they block every step, including the surge that would unblock them.
 */
import { decide } from '../../lambda/rolling-replacement/core/decide';
import { classifyUnassigned, clusterGreenOrVersionYellow } from '../../lambda/rolling-replacement/core/predicates';
import type { EsView, ShardCopy, UnassignedExplanation } from '../../lambda/rolling-replacement/core/types';
import { ctxOf, spec } from './helpers';
import { midRoll, observedOf } from './worlds';

/** `n` new shards whose primaries sit on `newNode`, replicas unassigned; only the first `explained` are explained. */
const rollover =
  (newNode: string, n: number, explained = 20) =>
  (es: EsView): EsView => {
    const fresh: ShardCopy[] = [];
    const explanations: UnassignedExplanation[] = [];
    for (let s = 0; s < n; s++) {
      fresh.push({ index: 'logs-hourly', shard: s, primary: true, state: 'STARTED', node: newNode, bytes: 10 });
      fresh.push({ index: 'logs-hourly', shard: s, primary: false, state: 'UNASSIGNED', bytes: 0 });
      if (s < explained) {
        explanations.push({
          index: 'logs-hourly',
          shard: s,
          primary: false,
          canAllocate: 'no',
          reason: 'INDEX_CREATED',
          nodeDecisions: es.nodes
            .filter((x) => x.roles.includes('data'))
            .map((x) => ({
              nodeName: x.name,
              decision: 'no',
              noDeciders: x.name === newNode ? ['same_shard'] : ['node_version'],
            })),
        });
      }
    }
    return {
      ...es,
      health: { ...es.health, status: 'yellow', unassignedShards: n },
      shards: [...es.shards, ...fresh],
      explanations,
    };
  };

describe('version-blocked replicas beyond the explanation cap', () => {
  test('300 replicas whose primaries sit on the only upgraded node are version-blocked, 280 of them unexplained', async () => {
    const w = midRoll({ data: 4, replaced: 1 });
    const upgraded = w.group('data-asg').instances[0]!.id;
    const ctx = await ctxOf(w, rollover(upgraded, 300));
    const classes = classifyUnassigned(ctx);
    expect(classes).toHaveLength(300);
    expect(classes.every((c) => c.klass === 'version-blocked')).toBe(true);
    expect(clusterGreenOrVersionYellow.evaluate(ctx, { step: 'surge' }).status).toBe('pass');
  });

  test('the surge that would give those replicas a home is not blocked by them (no deadlock)', async () => {
    const w = midRoll({ data: 4, replaced: 1 });
    const upgraded = w.group('data-asg').instances[0]!.id;
    const d = decide(await observedOf(w, rollover(upgraded, 300)), spec());
    expect(d.blockedBy).toBeUndefined();
    expect(d.action).toMatchObject({ type: 'surge', group: 'data-asg', desiredCapacity: 5 });
  });

  test('the layout does not settle a replica an older-or-equal node could take: it stays blocked until explained', async () => {
    const w = midRoll({ data: 4, replaced: 2 });
    const upgraded = w.group('data-asg').instances[0]!.id;
    // Another upgraded node could take the replicas: if they are unassigned, something else refuses them.
    const ctx = await ctxOf(w, rollover(upgraded, 30, 0));
    const classes = classifyUnassigned(ctx);
    expect(classes.every((c) => c.klass === 'unexplained')).toBe(true);
    expect(clusterGreenOrVersionYellow.evaluate(ctx, { step: 'surge' })).toMatchObject({ status: 'block' });
  });

  test('a node being drained by the roll is not a place the replica could go', async () => {
    const w = midRoll({ data: 4, replaced: 2 });
    const [upgraded, otherUpgraded] = w.group('data-asg').instances.map((i) => i.id);
    w.exclude = [otherUpgraded!];
    const ctx = await ctxOf(w, rollover(upgraded!, 30, 0));
    expect(classifyUnassigned(ctx).every((c) => c.klass === 'version-blocked')).toBe(true);
  });
});
