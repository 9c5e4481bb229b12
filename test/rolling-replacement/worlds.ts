/**
 * Builders of worlds in the middle of a roll, for decide() cases: a FakeWorld whose groups already carry the rollout's
 * setup (lock, baseline, suspended processes, balancer off), and the observation decide() sees of it.
 */
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { type EsView, type Observed, type RolloutSpec, isUnknown } from '../../lambda/rolling-replacement/core/types';
import { FakeWorld, type FakeWorldOptions } from './fake-world';
import { spec } from './helpers';

/** A world whose rollout `r1` has taken the lock and done its setup; `replaced` data nodes already run the target. */
export function midRoll(o: FakeWorldOptions & { replaced?: number; rolloutId?: string } = {}): FakeWorld {
  const w = new FakeWorld(o);
  for (const g of w.groups) {
    g.tags = {
      [TAG.rollout]: o.rolloutId ?? 'r1',
      [TAG.capacity]: String(g.desired),
      [TAG.suspended]: 'AZRebalance',
      ...(g.role === 'data' ? { [TAG.rebalance]: '-' } : {}),
    };
    g.suspended = ['AZRebalance'];
  }
  w.rebalance = 'none';
  const data = w.group('data-asg');
  for (const i of data.instances.slice(0, o.replaced ?? 0)) {
    i.lt = '2';
    w.joined.set(i.id, { version: w.ltVersions['2']!, roles: ['data'] });
  }
  return w;
}

/** The observation of a world, with the Elasticsearch view edited. */
export async function observedOf(
  w: FakeWorld,
  edit: (es: EsView) => EsView = (e) => e,
  now = 0,
  s: RolloutSpec = spec(),
): Promise<Observed> {
  const es = await w.observe();
  if (isUnknown(es)) throw new Error('es unknown');
  return { es: edit(es), fleet: await w.describeGroups([s.groups.data, s.groups.master]), now };
}
