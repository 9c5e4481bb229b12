import { nextWaitSeconds } from '../../lambda/rolling-replacement/reconcile';
import { decide } from '../../lambda/rolling-replacement/core/decide';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { FakeWorld } from './fake-world';
import { drive, spec } from './helpers';

const types = (ds: { action: { type: string } }[]) => ds.map((d) => d.action.type);

describe('decide: a whole roll over the fake world', () => {
  test('replaces every data node, then every master, one at a time, and cleans up', async () => {
    const w = new FakeWorld();
    const before = w.groups.flatMap((g) => g.instances.map((i) => i.id));
    const r = await drive(w, spec());
    expect(r.outcome).toBe('completed');
    expect([...w.terminations].sort()).toEqual([...before].sort());
    expect(w.lostCopies).toBe(0);
    expect(w.maxOut).toBeLessThanOrEqual(1);
    // Data nodes first: every data termination comes before every master termination.
    const dataIds = new Set(before.slice(0, 3));
    const firstMaster = w.terminations.findIndex((id) => !dataIds.has(id));
    expect(w.terminations.slice(0, firstMaster).every((id) => dataIds.has(id))).toBe(true);
    // Everything temporary is gone; capacities are back; the result mark is left.
    expect(w.exclude).toEqual([]);
    expect(w.voting).toEqual([]);
    expect(w.rebalance).toBeNull();
    for (const g of w.groups) {
      expect(g.desired).toBe(3);
      expect(g.suspended).toEqual([]);
      expect(g.tags).toEqual({ [TAG.result]: 'completed:r1' });
      expect(g.instances.every((i) => i.lt === '2')).toBe(true);
    }
  });

  test('orders the steps of one data node: surge, join, exclude, drain, terminate, clear', async () => {
    const w = new FakeWorld();
    const r = await drive(w, spec());
    const seq = types(r.decisions).filter((t) => t !== 'wait');
    const firstTerminate = seq.indexOf('terminate');
    expect(seq.slice(0, firstTerminate + 1)).toEqual([
      'begin',
      'begin',
      'suspend-processes',
      'suspend-processes',
      'set-rebalance',
      'surge',
      'wait-for-join',
      'joined',
      'exclude',
      'wait-for-drain',
      'terminate',
    ]);
    expect(seq[firstTerminate + 1]).toBe('clear-exclusion');
  });

  test('gives masters a voting exclusion before termination and clears it once they are gone', async () => {
    const w = new FakeWorld();
    const r = await drive(w, spec());
    const seq = types(r.decisions).filter((t) => t !== 'wait');
    expect(seq.filter((t) => t === 'voting-exclusion')).toHaveLength(3);
    expect(seq.filter((t) => t === 'clear-voting-exclusions')).toHaveLength(3);
    const v = seq.indexOf('voting-exclusion');
    expect(seq.slice(v, v + 3)).toEqual(['voting-exclusion', 'terminate', 'clear-voting-exclusions']);
  });

  test('never has two masters out: at most one master is voting-excluded or missing at any time', async () => {
    const w = new FakeWorld({ masters: 5 });
    let worst = 0;
    await drive(w, spec(), {
      onStep: (_s, world) => {
        const mg = world.group('master-asg');
        const joinedOld = mg.instances.filter(
          (i) => i.lt === '1' && world.joined.has(i.id) && !world.voting.includes(i.id),
        );
        const joinedNew = mg.instances.filter((i) => i.lt === '2' && world.joined.has(i.id));
        worst = Math.max(worst, 5 - (joinedOld.length + joinedNew.length));
      },
    });
    expect(worst).toBeLessThanOrEqual(1);
  });

  test('a duplicate invocation after every step does nothing twice', async () => {
    const once = new FakeWorld();
    const twice = new FakeWorld();
    const a = await drive(once, spec());
    const b = await drive(twice, spec(), { duplicate: true });
    expect(b.outcome).toBe('completed');
    expect(twice.terminations).toHaveLength(once.terminations.length);
    expect(twice.lostCopies).toBe(0);
    // Every mutating write happened once per step, as in the single run.
    expect(twice.writes.filter((x) => x.startsWith('desired')).length).toBe(
      once.writes.filter((x) => x.startsWith('desired')).length,
    );
    expect(twice.writes.filter((x) => x.startsWith('exclude')).length).toBe(6 - 3);
    expect(a.outcome).toBe('completed');
  });

  test('a restart after a finished rollout does nothing (the result tag is in the world)', async () => {
    const w = new FakeWorld();
    await drive(w, spec());
    const writes = w.writes.length;
    const again = await drive(w, spec());
    expect(again.outcome).toBe('completed');
    expect(w.writes.length).toBe(writes);
  });

  test('an Elasticsearch timeout means wait, reported by name', async () => {
    const w = new FakeWorld();
    w.esDown = true;
    const r = await drive(w, spec(), { maxSteps: 3 });
    expect(r.outcome).toBeUndefined();
    expect(r.decisions.every((d) => d.action.type === 'wait' && d.blockedBy === 'observed-state-known')).toBe(true);
    expect(w.writes).toEqual([]);
  });

  test('an outage mid-roll pauses the roll; it resumes where it stopped', async () => {
    const w = new FakeWorld();
    const r = await drive(w, spec(), {
      onStep: (s, world) => {
        world.esDown = s >= 10 && s < 20;
      },
    });
    expect(r.outcome).toBe('completed');
    expect(w.lostCopies).toBe(0);
  });

  test('refuses 8.10 → 9.x before touching anything', async () => {
    const w = new FakeWorld({ fromVersion: '8.10.4', toVersion: '9.1.0' });
    const r = await drive(w, spec({ targetVersion: '9.1.0' }));
    expect(r.outcome).toBe('failed');
    expect(r.decisions.at(-1)?.reason).toMatch(/must start from 8\.19\.x/);
    expect(r.decisions.at(-1)?.blockedBy).toBe('version-path-allowed');
    expect(w.writes).toEqual([]);
    expect(w.groups.every((g) => Object.keys(g.tags).length === 0)).toBe(true);
  });

  test('a replacement that never joins fails the roll and restores the original capacity', async () => {
    const w = new FakeWorld({ failBoot: true });
    const r = await drive(w, spec({ options: { ...spec().options, joinTimeoutSeconds: 300 } }));
    expect(r.outcome).toBe('failed');
    expect(
      r.decisions.some((d) => d.blockedBy === 'replacement-joins-in-time' && d.action.type === 'mark-failed'),
    ).toBe(true);
    expect(w.group('data-asg').desired).toBe(3);
    expect(w.lostCopies).toBe(0);
    expect(w.group('data-asg').tags[TAG.result]).toBe('failed:r1');
    expect(w.group('data-asg').suspended).toEqual([]);
  });

  test('a rollback (abort mode) mid-drain stops safely: no node holding data is terminated, marks are cleared', async () => {
    const w = new FakeWorld({ shards: 6 });
    // Run forward until the first node is excluded and still holds data.
    await drive(w, spec(), { maxSteps: 9 });
    expect(w.exclude).toHaveLength(1);
    const excluded = w.exclude[0]!;
    expect(w.shards.some((s) => s.node === excluded)).toBe(true);
    // CloudFormation rolls back: the target launch template goes back to 1.
    for (const g of w.groups) g.target = '1';
    const r = await drive(w, spec({ mode: 'abort', abortReason: 'stack rollback' }));
    expect(r.outcome).toBe('aborted');
    expect(w.terminations).toEqual([]);
    expect(w.lostCopies).toBe(0);
    expect(w.exclude).toEqual([]);
    expect(w.rebalance).toBeNull();
    expect(w.group('data-asg').suspended).toEqual([]);
    // The surge node holds data now, so capacity stays one above and the result says so.
    expect(w.group('data-asg').desired).toBe(4);
    expect(r.decisions.at(-1)?.reason).toMatch(/left at 4 instances \(baseline 3\)/);
  });

  test('a rollback never starts a reverse version roll', async () => {
    const w = new FakeWorld();
    await drive(w, spec(), { maxSteps: 32 });
    expect(w.terminations.length).toBeGreaterThan(0);
    // The reverted template launches 8.18.2 again while 8.19.3 nodes exist: a roll back would be a downgrade.
    for (const g of w.groups) g.target = '1';
    const before = w.terminations.length;
    const r = await drive(w, spec({ targetVersion: '8.18.2', rolloutId: 'r0' }));
    expect(r.outcome).toBe('failed');
    expect(r.decisions.some((d) => /downgrade/.test(d.reason))).toBe(true);
    expect(w.terminations.length).toBe(before);
    expect(w.lostCopies).toBe(0);
  });

  test('an operator pause holds the roll and resume continues it', async () => {
    const w = new FakeWorld();
    await drive(w, spec(), { maxSteps: 6 });
    w.group('data-asg').tags[TAG.paused] = 'true';
    const held = await drive(w, spec(), { maxSteps: 5 });
    expect(held.decisions.every((d) => d.blockedBy === 'not-paused')).toBe(true);
    delete w.group('data-asg').tags[TAG.paused];
    expect((await drive(w, spec())).outcome).toBe('completed');
  });

  test('an operator abort cleans up and releases the lock', async () => {
    const w = new FakeWorld();
    await drive(w, spec(), { maxSteps: 6 });
    w.group('data-asg').tags[TAG.abort] = 'requested';
    const r = await drive(w, spec());
    expect(r.outcome).toBe('aborted');
    expect(w.group('data-asg').tags[TAG.rollout]).toBeUndefined();
    expect(w.group('master-asg').tags[TAG.rollout]).toBeUndefined();
  });

  test('does nothing when every instance already runs the target template', async () => {
    const w = new FakeWorld({ toVersion: '8.18.2' });
    for (const g of w.groups) g.target = '1';
    const d = decide(
      { es: await w.observe(), fleet: await w.describeGroups(['data-asg', 'master-asg']), now: 0 },
      spec({ targetVersion: '8.18.2' }),
    );
    expect(d.action).toEqual({ type: 'done', outcome: 'completed' });
  });
});

describe('poll pacing', () => {
  const drain = (bytesLeft: number) => ({
    executed: false,
    decision: { action: { type: 'wait-for-drain' as const, node: 'i-1', shardsLeft: 1, bytesLeft }, reason: '' },
  });
  test.each([
    [
      'looks again soon after an executed action',
      { executed: true, decision: { action: { type: 'surge' }, reason: '' } },
      5,
    ],
    ['waits pollSeconds while blocked', { executed: false, decision: { action: { type: 'wait' }, reason: '' } }, 30],
    ['waits a quarter of a long drain, at most 5 minutes', drain(400 * 1024 ** 3), 300],
    ['waits a quarter of a medium drain', drain(40 * 1024 ** 2 * 480), 120],
    ['never less than pollSeconds near the end of a drain', drain(1024), 30],
  ])('%s', (_n, r, expected) => {
    expect(nextWaitSeconds(r as never, 30)).toBe(expected);
  });
});
