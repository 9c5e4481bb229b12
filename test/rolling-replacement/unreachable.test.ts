/** An abort with Elasticsearch unreachable is bounded (issue 12, finding 9). */
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { abortWithoutElasticsearch, leftInPlace } from '../../lambda/rolling-replacement/core/unreachable';
import { FakeWorld } from './fake-world';
import { spec } from './helpers';

const down = { unknown: 'ConnectionError: connect ECONNREFUSED' };

describe('abort without Elasticsearch', () => {
  test('only an abort past its deadline stops; a roll, or an abort without a deadline, waits', async () => {
    const w = new FakeWorld();
    w.group('data-asg').tags[TAG.rollout] = 'r1';
    const fleet = await w.describeGroups(['data-asg', 'master-asg']);
    const abort = spec({ mode: 'abort', abortReason: 'stack rollback', giveUpAt: 100 });
    expect(abortWithoutElasticsearch(down, fleet, { ...abort, mode: 'roll' }, 500)).toBeUndefined();
    expect(abortWithoutElasticsearch(down, fleet, { ...abort, giveUpAt: undefined }, 500)).toBeUndefined();
    expect(abortWithoutElasticsearch(down, fleet, abort, 99)).toBeUndefined();
    expect(abortWithoutElasticsearch(down, fleet, abort, 100)?.action).toMatchObject({
      type: 'leave',
      group: 'data-asg',
    });
  });

  test('without a lock there is nothing to leave: done', async () => {
    const w = new FakeWorld();
    const fleet = await w.describeGroups(['data-asg', 'master-asg']);
    const d = abortWithoutElasticsearch(down, fleet, spec({ mode: 'abort', giveUpAt: 0 }), 0);
    expect(d?.action).toEqual({ type: 'done', outcome: 'aborted' });
  });

  test('a stack delete or rollback with no roll in progress does not wait for the deadline (issue 20)', async () => {
    const w = new FakeWorld();
    const fleet = await w.describeGroups(['data-asg', 'master-asg']);
    const d = abortWithoutElasticsearch(
      down,
      fleet,
      spec({ mode: 'abort', abortReason: 'stack delete', giveUpAt: 900 }),
      0,
    );
    expect(d?.action).toEqual({ type: 'done', outcome: 'aborted' });
    expect(d?.reason).toContain('stack delete: no rollout in progress');
    // A roll is never ended by this path.
    expect(abortWithoutElasticsearch(down, fleet, spec({ mode: 'roll' }), 0)).toBeUndefined();
  });

  test('names every mark it leaves: exclusions, voting exclusions, the balancer, suspended processes, surge', async () => {
    const w = new FakeWorld();
    Object.assign(w.group('data-asg').tags, {
      [TAG.excluded]: 'i-1',
      [TAG.rebalance]: '-',
      [TAG.suspended]: 'AZRebalance',
      [TAG.capacity]: '3',
    });
    w.group('data-asg').suspended = ['AZRebalance'];
    w.group('data-asg').desired = 4;
    w.group('master-asg').tags[TAG.voting] = 'i-2';
    const [data, master] = await w.describeGroups(['data-asg', 'master-asg']);
    expect(leftInPlace(data!, master!)).toEqual([
      'allocation exclusions of i-1',
      'voting config exclusions of i-2',
      'cluster.routing.rebalance.enable=none (was unset)',
      'AZRebalance suspended on data-asg',
      'data-asg at 4 instances (baseline 3)',
    ]);
    w.group('data-asg').desired = 3;
    w.group('data-asg').suspended = [];
    const [d2] = await w.describeGroups(['data-asg']);
    expect(leftInPlace(d2!, master!)).toHaveLength(3);
  });
});
