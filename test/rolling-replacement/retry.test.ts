/**
 * Issue 12, finding 5: a failed or aborted rollout can be retried. Deploying the same change again (a new workflow
 * start, so a new attempt) starts from where the cluster is; a retry within the same attempt (a duplicate invocation
 * after the release) does nothing.
 */
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { FakeWorld } from './fake-world';
import { drive, spec } from './helpers';

describe('retrying a rollout after a failure or an abort', () => {
  test('the same change deployed again after a failed attempt runs a new attempt to completion', async () => {
    const w = new FakeWorld({ failBoot: true });
    const first = await drive(w, spec({ attempt: 'a1' }));
    expect(first.outcome).toBe('failed');
    expect(w.group('data-asg').tags[TAG.result]).toBe('failed:r1:a1');
    w.failBoot = false; // the cause is fixed (for instance a subnet without free addresses)
    const second = await drive(w, spec({ attempt: 'a2' }));
    expect(second.decisions[0]!.action.type).toBe('begin');
    expect(second.outcome).toBe('completed');
    expect(w.groups.every((g) => g.instances.every((i) => i.lt === '2'))).toBe(true);
    expect(w.group('data-asg').tags[TAG.result]).toBe('completed:r1:a2');
  });

  test('after an abort, a new attempt starts from where the cluster is (replaced nodes stay replaced)', async () => {
    const w = new FakeWorld();
    await drive(w, spec({ attempt: 'a1' }), {
      onStep: (_s, world) => {
        if (world.terminations.length === 1) world.group('data-asg').tags[TAG.abort] = 'operator';
      },
    });
    expect(w.group('data-asg').tags[TAG.result]).toBe('aborted:r1:a1');
    const replacedBefore = w.terminations.length;
    const second = await drive(w, spec({ attempt: 'a2' }));
    expect(second.outcome).toBe('completed');
    expect(replacedBefore).toBe(1);
    // The five nodes left, each once: the node replaced in the first attempt is not replaced again.
    expect(w.terminations).toHaveLength(6);
    expect(new Set(w.terminations).size).toBe(6);
    expect(w.groups.every((g) => g.instances.every((i) => i.lt === '2'))).toBe(true);
    expect(w.primariesLost).toBe(0);
  });

  test('a duplicate invocation of the same attempt after the release does not start again', async () => {
    const w = new FakeWorld({ failBoot: true });
    await drive(w, spec({ attempt: 'a1' }));
    const again = await drive(w, spec({ attempt: 'a1' }), { maxSteps: 3 });
    expect(again.outcome).toBe('failed');
    expect(again.decisions).toHaveLength(1);
    expect(again.decisions[0]!.reason).toMatch(/already finished: failed/);
  });

  test('a completed rollout is never run again, in any attempt', async () => {
    const w = new FakeWorld();
    await drive(w, spec({ attempt: 'a1' }));
    const again = await drive(w, spec({ attempt: 'a2' }), { maxSteps: 3 });
    expect(again.outcome).toBe('completed');
    expect(again.decisions).toHaveLength(1);
  });
});
