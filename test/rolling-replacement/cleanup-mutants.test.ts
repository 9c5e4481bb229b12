/**
 * What cleanup (cleanup.ts) says it does (issue 21): the reasons of its actions and the notes of its released lock
 * name the outcome, the restored setting, the tasks a termination lets Elasticsearch resume and why zone rebalancing
 * stopped. The actions themselves are covered by decide-cleanup.test.ts and cleanup-edges.test.ts.
 */
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { type World, decideIn, snapshot, stageWorld, withEs, withGroup } from './gate-worlds';
import { spec } from './helpers';

const abort = spec({ mode: 'abort', abortReason: 'stack rollback' });
const SURGE = 'i-00000007';

describe('the reason of a surge removal', () => {
  test('an aborted roll is "stopping", with the abort reason', async () => {
    const w = await snapshot(stageWorld('exclude'));
    expect(decideIn(w, abort).reason).toBe(
      `stopping (stack rollback): removing surge capacity of data-asg with ${SURGE}, which holds no data`,
    );
  });
});

test('a surge removal past the tasks bound names the tasks Elasticsearch resumes elsewhere', async () => {
  const w = withGroup(await snapshot(stageWorld('exclude')), 'data-asg', (g) => ({
    ...g,
    tags: { ...g.tags, [TAG.tasksWait]: `${SURGE}@0` },
  }));
  const busy = withEs(w, (es) => ({
    ...es,
    tasks: [{ id: 'n7:9', node: SURGE, action: 'indices:data/write/reindex[c]', runningSeconds: 4000 }],
  }));
  const d = decideIn({ ...busy, now: 3601 }, abort);
  expect(d.action).toMatchObject({ type: 'terminate', instanceId: SURGE });
  expect(d.reason).toMatch(
    /which holds no data; after waiting 3601 s \(bound 3600 s\) for indices:data\/write\/reindex\[c\] .*resumes or retries/,
  );
});

describe('the reason of restoring the rebalance setting names the value restored', () => {
  test.each([
    ['-', 'its default (unset)'],
    ['primaries', 'primaries'],
  ])('recorded %s: restoring it to %s', async (recorded, text) => {
    const w = withGroup(await snapshot(stageWorld('complete')), 'data-asg', (g) => ({
      ...g,
      tags: { ...g.tags, [TAG.rebalance]: recorded },
    }));
    const d = decideIn(w);
    expect(d.action.type).toBe('set-rebalance');
    expect(d.reason).toBe(`cleanup (completed): restoring cluster.routing.rebalance.enable to ${text}`);
  });
});

describe('the note of AZRebalance left suspended', () => {
  /** Everything else undone, unbalanced zones, the zone rebalancing stopped by the roll. */
  async function unbalanced(): Promise<World> {
    const w = await snapshot(stageWorld('complete'));
    const restored = withEs(
      w.fleet.reduce((acc, g) => withGroup(acc, g.name, (x) => ({ ...x, suspendedProcesses: [] })), w),
      (es) => ({ ...es, rebalanceEnable: { persistent: null, transient: null } }),
    );
    return withGroup(restored, 'data-asg', (g) => ({
      ...g,
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      suspendedProcesses: ['AZRebalance'],
      tags: { ...g.tags, [TAG.zoneRebalance]: 'stopped:the surge landed in eu-west-1a' },
    }));
  }

  test('a completed roll says why zone rebalancing stopped', async () => {
    const d = decideIn(await unbalanced());
    expect(d.action).toMatchObject({
      type: 'release',
      left: expect.stringMatching(/AZRebalance left suspended on data-asg: .*; zone rebalancing stopped: the surge/),
    });
  });

  test('an aborted roll names the unbalanced zones only', async () => {
    const d = decideIn(await unbalanced(), abort);
    expect(d.action).toMatchObject({ type: 'release', left: expect.stringMatching(/AZRebalance left suspended/) });
    expect(JSON.stringify(d.action)).not.toMatch(/zone rebalancing stopped/);
  });
});
