/**
 * decide() cases the quick mutation run (npm run test:mutation:unit) found uncovered: Auto Scaling unknown while
 * Elasticsearch answers, and work that remains once every node runs the target (a planned scale-in, a volume handoff
 * whose replacement is still catching up): the roll must not clean up and report completion then.
 */
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { decide } from '../../lambda/rolling-replacement/core/decide';
import { type World, decideIn, snapshot, stageWorld, withEs, withGroup } from './gate-worlds';
import { spec } from './helpers';

/** What cleanup() does first at the end of the default roll (then release). */
const CLEANUP = ['set-rebalance', 'resume-processes', 'clear-exclusion', 'clear-voting-exclusions', 'release'];

let complete: World;
beforeAll(async () => {
  complete = await snapshot(stageWorld('complete'));
});

describe('decide with Auto Scaling unknown', () => {
  test('waits, naming it, when Elasticsearch answers but Auto Scaling does not', () => {
    const d = decide({ es: complete.es, fleet: { unknown: 'throttled' }, now: 0 }, spec());
    expect(d).toEqual({
      action: { type: 'wait' },
      reason: 'Auto Scaling state unknown: throttled',
      blockedBy: 'observed-state-known',
    });
  });
});

describe('work left once every node runs the target', () => {
  test('the baseline of the default roll ends in cleanup (the reference for the cases below)', () => {
    expect(CLEANUP).toContain(decideIn(complete).action.type);
  });

  test('a planned scale-in (a count below the baseline) still runs: the extra data node leaves, no cleanup yet', () => {
    const d = decideIn(complete, spec({ counts: { data: 2, master: 3 } }));
    expect(CLEANUP).not.toContain(d.action.type);
    expect(d.action.type).toBe('scale-in');
  });

  test("a handed-off node's replicas still recovering hold the roll: it waits, the handoff mark stays", () => {
    // The last data node was handed off; its replacement joined and allocation is enabled again, but its replicas
    // are still initializing: the handoff is done only once they are started.
    const w = withEs(
      withGroup(complete, 'data-asg', (g) => ({ ...g, tags: { ...g.tags, [TAG.handoff]: 'i-00000003' } })),
      (es) => ({
        ...es,
        allocationEnable: null,
        health: { ...es.health, status: 'yellow', initializingShards: 1, unassignedShards: 0 },
      }),
    );
    const d = decideIn(w);
    expect(d.action.type).toBe('wait');
    expect(d.blockedBy).toBe('cluster-green-or-version-yellow');
    // Once they are started, the handoff is done (and only then the cleanup follows).
    const caughtUp = withEs(w, (es) => ({ ...es, health: { ...es.health, status: 'green', initializingShards: 0 } }));
    expect(decideIn(caughtUp).action).toEqual({ type: 'handoff-done', group: 'data-asg', node: 'i-00000003' });
  });
});
