/**
 * rollout.snapshotBeforeRoll on the core: before the lock, a snapshot of the cluster is taken and verified; the roll
 * waits for it and refuses to begin on a failed or partial one. Then end to end over the fake world, with the
 * snapshot calls of the port.
 */
import { PRE_ROLL_GATE, preRollSnapshotName } from '../../lambda/rolling-replacement/core/pre-roll-snapshot';
import type { EsPort } from '../../lambda/rolling-replacement/core/es-port';
import { DEFAULT_OPTIONS, type RolloutSpec, type SnapshotView } from '../../lambda/rolling-replacement/core/types';
import { reconcile } from '../../lambda/rolling-replacement/reconcile';
import { FakeWorld } from './fake-world';
import { decideIn, snapshot, withEs, type World } from './gate-worlds';
import { spec } from './helpers';

const withSnapshot: RolloutSpec = spec({ options: { ...DEFAULT_OPTIONS, snapshotBeforeRoll: 'elk-cdk' } });
const NAME = preRollSnapshotName('r1');
const snap = (patch: Partial<SnapshotView> = {}): SnapshotView => ({
  name: NAME,
  state: 'SUCCESS',
  totalShards: 10,
  successfulShards: 10,
  failedShards: 0,
  ...patch,
});
const snapshots = (w: World, list: readonly SnapshotView[] | undefined): World =>
  withEs(w, (es) => ({ ...es, snapshots: list }));

async function idle(): Promise<World> {
  return snapshot(new FakeWorld(), 0, withSnapshot);
}

describe('snapshot before a roll: the decision before the lock', () => {
  test('without the option, the roll begins at once (no snapshot asked for)', async () => {
    const d = decideIn(await idle());
    expect(d.action.type).toBe('begin');
  });

  test('no pre-roll snapshot yet: creates it, one per rollout id, in the configured repository', async () => {
    const d = decideIn(snapshots(await idle(), []), withSnapshot);
    expect(d.action).toEqual({ type: 'create-snapshot', repository: 'elk-cdk', snapshot: 'pre-roll-r1' });
    expect(d.blockedBy).toBe(PRE_ROLL_GATE);
  });

  test('snapshots not observed (the listing failed): waits, changes nothing', async () => {
    const d = decideIn(snapshots(await idle(), undefined), withSnapshot);
    expect(d.action.type).toBe('wait');
    expect(d.reason).toMatch(/not observed/);
  });

  test('in progress: waits and says how far it is; another rollout’s snapshot does not count', async () => {
    const w = snapshots(await idle(), [
      snap({ state: 'IN_PROGRESS', successfulShards: 4 }),
      snap({ name: 'pre-roll-r0' }),
    ]);
    const d = decideIn(w, withSnapshot);
    expect(d).toMatchObject({ action: { type: 'wait' }, blockedBy: PRE_ROLL_GATE });
    expect(d.reason).toMatch(/in progress \(4\/10 shards\)/);
  });

  test('verified (SUCCESS, no failed shard): the roll takes its lock', async () => {
    const d = decideIn(snapshots(await idle(), [snap()]), withSnapshot);
    expect(d.action.type).toBe('begin');
  });

  test.each([
    ['PARTIAL', snap({ state: 'PARTIAL', successfulShards: 8, failedShards: 2 }), /PARTIAL with 2 of 10 shards failed/],
    ['FAILED', snap({ state: 'FAILED', reason: 'repository is readonly' }), /FAILED \(repository is readonly\)/],
  ])('%s: refuses to begin, names the snapshot and how to retry; nothing changed', async (_s, s, expected) => {
    const d = decideIn(snapshots(await idle(), [s]), withSnapshot);
    expect(d.action).toEqual({ type: 'done', outcome: 'failed' });
    expect(d.reason).toMatch(expected);
    expect(d.reason).toMatch(/DELETE _snapshot\/elk-cdk\/pre-roll-r1 and deploy again/);
  });
});

/** The fake world plus a repository: snapshots complete after `ticks` observations. */
function withRepository(world: FakeWorld, ticks = 2): { port: EsPort; created: string[] } {
  const created: string[] = [];
  const progress = new Map<string, number>();
  const port: EsPort = {
    observe: () => world.observe(),
    addAllocationExclusion: (n) => world.addAllocationExclusion(n),
    removeAllocationExclusions: (n) => world.removeAllocationExclusions(n),
    setRebalanceEnable: (v) => world.setRebalanceEnable(v),
    addVotingExclusion: (n) => world.addVotingExclusion(n),
    clearVotingExclusions: () => world.clearVotingExclusions(),
    async listSnapshots(repository: string): Promise<SnapshotView[]> {
      expect(repository).toBe('elk-cdk');
      return [...progress].map(([name, seen]) => {
        progress.set(name, seen + 1);
        return snap({ name, state: seen >= ticks ? 'SUCCESS' : 'IN_PROGRESS' });
      });
    },
    async createSnapshot(repository: string, name: string): Promise<void> {
      created.push(`${repository}/${name}`);
      if (!progress.has(name)) progress.set(name, 0);
    },
  };
  return { port, created };
}

test('end to end: the snapshot is taken once and completes before the lock is taken', async () => {
  const world = new FakeWorld();
  const { port, created } = withRepository(world);
  const types: string[] = [];
  for (let step = 0; step < 8; step++) {
    const r = await reconcile({ es: port, fleet: world, spec: withSnapshot, now: step * 30, log: () => undefined });
    types.push(r.decision.action.type);
    if (r.decision.action.type === 'begin') break;
  }
  expect(created).toEqual(['elk-cdk/pre-roll-r1']);
  expect(types[0]).toBe('create-snapshot');
  expect(types.indexOf('begin')).toBeGreaterThan(types.lastIndexOf('wait'));
  expect(types.filter((t) => t === 'wait').length).toBeGreaterThanOrEqual(1);
});
