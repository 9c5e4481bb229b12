/**
 * Issue 12, finding 4: the join timeout counts from when the current wait for a joining instance began, not from the
 * roll's first surge. A node lost during a long drain is replaced by Auto Scaling; its replacement gets its own
 * joinTimeoutSeconds.
 */
import { decide } from '../../lambda/rolling-replacement/core/decide';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { drive, spec } from './helpers';
import { FakeWorld } from './fake-world';
import { midRoll, observedOf } from './worlds';

describe('per-wait join timeout', () => {
  test('the drained node dies 45 minutes after the surge: its replacement is waited for, the roll completes', async () => {
    const w = new FakeWorld({ shards: 200 });
    let killed: string | undefined;
    let killedAt = -1;
    const r = await drive(w, spec(), {
      maxSteps: 2000,
      onStep: (step, world) => {
        // drive() runs at 30 s per step: step 90 is 45 min in, well past the 30 min join timeout of the first surge.
        if (step === 90) {
          killed = world.exclude[0];
          const inst = world.group('data-asg').instances.find((i) => i.id === killed)!;
          inst.state = 'Terminating'; // EC2 lost it; Auto Scaling launches a replacement (no decrement)
          world.failBoot = true; // the replacement takes a few minutes to boot
          killedAt = step;
        }
        if (killedAt >= 0 && step === killedAt + 10) world.failBoot = false;
      },
    });
    expect(killed).toBeDefined();
    expect(r.decisions.filter((d) => d.action.type === 'mark-failed')).toEqual([]);
    expect(r.outcome).toBe('completed');
    expect(w.primariesLost).toBe(0);
    expect(w.groups.every((g) => g.instances.every((i) => i.lt === '2'))).toBe(true);
  });

  test('a replacement that never boots still fails the roll after joinTimeoutSeconds of its own wait', async () => {
    const w = new FakeWorld({ failBoot: true });
    const r = await drive(w, spec(), { maxSteps: 400 });
    expect(r.outcome).toBe('failed');
    expect(r.decisions.some((d) => /did not join within 1800 s/.test(d.reason))).toBe(true);
  });

  test('the wait begins when it is first seen: a missing mark is written with the current time, not failed', async () => {
    const w = midRoll();
    const data = w.group('data-asg');
    data.desired = 4;
    data.instances.push({ id: 'i-0000abcd', lt: '2', state: 'Pending', az: 'eu-west-1a' });
    data.tags[TAG.surgeAt] = '0';
    const d = decide(await observedOf(w, (e) => e, 100_000), spec());
    expect(d.action).toEqual({ type: 'wait-for-join', group: 'data-asg', since: 100_000 });
    data.tags[TAG.joinWait] = '100000';
    const later = decide(await observedOf(w, (e) => e, 100_000 + 1801), spec());
    expect(later.action).toMatchObject({ type: 'mark-failed' });
    expect(later.blockedBy).toBe('replacement-joins-in-time');
  });
});
