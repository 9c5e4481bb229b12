/**
 * A fleet that can hand volumes off still says, per node, when this node's volume cannot move (FleetInstance
 * .volumeHandoffBlocked: no volume of its own, or a storage change): that node is drained, with the fleet's reason.
 */
import { plan, progress } from '../../lambda/rolling-replacement/core/plan';
import type { Observed } from '../../lambda/rolling-replacement/core/types';
import { type World, stage } from './gate-worlds';
import { spec } from './helpers';

const model = { recoveryBytesPerSecond: 100, joinSeconds: 60, pollSeconds: 10 };
const observed = (w: World): Observed => ({ es: w.es, fleet: w.fleet, now: w.now });

function withVolumes(w: World, blocked: Record<string, string>): World {
  return {
    ...w,
    es: { ...w.es, allocationEnable: null },
    fleet: w.fleet.map((g) =>
      g.role === 'data'
        ? {
            ...g,
            volumesOutliveInstances: true,
            instances: g.instances.map((i) =>
              blocked[i.instanceId] ? { ...i, volumeHandoffBlocked: blocked[i.instanceId] } : i,
            ),
          }
        : g,
    ),
  };
}

describe('a node whose own volume cannot be handed off', () => {
  test('is drained with the fleet reason; the other data nodes keep the handoff', async () => {
    const base = (await stage('dataSurge')).world;
    const data = base.fleet.find((g) => g.role === 'data')!;
    const [first, ...rest] = data.instances.map((i) => i.instanceId);
    const why = 'a storage change: its data volume vol-1 is gp3/100/k, the group asks for gp3/200/k';
    const p = progress(observed(withVolumes(base, { [first!]: why })), spec(), model);
    if ('unknown' in p) throw new Error(p.unknown);
    const byId = new Map(p.nodes.map((n) => [n.instanceId, n]));
    expect(byId.get(first!)).toMatchObject({ method: 'drain', methodWhy: `drain instead of handoff: ${why}` });
    for (const id of rest) expect(byId.get(id)?.method).toBe('handoff');
  });

  test('with every node blocked the plan has no handoff step', async () => {
    const base = (await stage('dataSurge')).world;
    const data = base.fleet.find((g) => g.role === 'data')!;
    const all = Object.fromEntries(data.instances.map((i) => [i.instanceId, 'no data volume of its own is attached']));
    const steps = plan(observed(withVolumes(base, all)), spec(), model);
    if ('unknown' in steps) throw new Error(steps.unknown);
    expect(steps.some((s) => s.action.startsWith('handoff'))).toBe(false);
    expect(steps.some((s) => s.action === 'surge')).toBe(true);
  });
});
