/**
 * Scale-in protection (issue 12, finding 1): every instance of the Elasticsearch groups is protected from scale in, and
 * the orchestrator lifts it only on the instance it has drained, right before terminating it.
 */
import { reconcile } from '../../lambda/rolling-replacement/reconcile';
import { FakeWorld } from './fake-world';
import { drive, spec } from './helpers';

describe('scale-in protection', () => {
  test('a group deployed before the protection: its first steps after the lock protect every instance', async () => {
    const w = new FakeWorld({ unprotected: true });
    const r = await drive(w, spec());
    expect(r.outcome).toBe('completed');
    const protects = w.writes.filter((x) => x.startsWith('protect '));
    expect(protects.slice(0, 2)).toEqual([
      expect.stringMatching(/^protect data-asg (i-[0-9a-f]+,){2}i-[0-9a-f]+ true$/),
      expect.stringMatching(/^protect master-asg (i-[0-9a-f]+,){2}i-[0-9a-f]+ true$/),
    ]);
    // No instance left unprotected at the end.
    for (const g of await w.describeGroups(['data-asg', 'master-asg'])) {
      expect(g.instances.filter((i) => !i.protectedFromScaleIn)).toEqual([]);
    }
  });

  test('protection is lifted on the terminated instance only, right before its termination', async () => {
    const w = new FakeWorld();
    await drive(w, spec());
    expect(w.terminations).toHaveLength(6);
    for (const id of w.terminations) {
      const k = w.writes.indexOf(`terminate ${id}`);
      expect(w.writes[k - 1]).toMatch(new RegExp(`^protect (data|master)-asg ${id} false$`));
    }
    const lifted = w.writes.filter((x) => x.endsWith(' false'));
    expect(lifted).toHaveLength(6);
  });

  test('a crash between lifting and terminating: the next step protects the instance again', async () => {
    const v = new FakeWorld();
    // Drive until a terminate is decided, execute only the protection lift (the crash), then decide again.
    for (let step = 0; step < 200; step++) {
      const dry = await reconcile({
        es: v,
        fleet: v,
        spec: spec(),
        now: step * 30,
        log: () => undefined,
        dryRun: true,
      });
      if (dry.decision.action.type === 'terminate') {
        const a = dry.decision.action;
        await v.setInstanceProtection(a.group, [a.instanceId], false);
        const next = await reconcile({ es: v, fleet: v, spec: spec(), now: step * 30, log: () => undefined });
        expect(next.decision.action).toEqual({ type: 'protect', group: a.group, instanceIds: [a.instanceId] });
        return;
      }
      await reconcile({ es: v, fleet: v, spec: spec(), now: step * 30, log: () => undefined });
      v.tick();
    }
    throw new Error('no termination decided');
  });
});
