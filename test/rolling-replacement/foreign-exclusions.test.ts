/**
 * Issue 12, finding 3: exclusions and voting exclusions the rollout did not write. It records what it writes (group
 * tags), refuses to begin when someone else's names a live node, waits when one appears mid-roll, and never clears
 * one, on abort included.
 */
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { FakeWorld } from './fake-world';
import { drive, spec } from './helpers';

describe('exclusions the rollout did not write', () => {
  test("an operator's exclusion of a live data node: refuses to begin, names it, changes nothing", async () => {
    const w = new FakeWorld();
    const maintenance = w.group('data-asg').instances[1]!.id;
    w.exclude = [maintenance];
    const r = await drive(w, spec(), { maxSteps: 50 });
    expect(r.outcome).toBe('failed');
    expect(r.decisions).toHaveLength(1);
    expect(r.decisions[0]!.blockedBy).toBe('no-foreign-exclusions');
    expect(r.decisions[0]!.reason).toContain(maintenance);
    expect(w.terminations).toEqual([]);
    expect(w.exclude).toEqual([maintenance]);
    expect(w.group('data-asg').desired).toBe(3);
  });

  test('a voting exclusion someone else left: refuses to begin', async () => {
    const w = new FakeWorld();
    w.voting = ['i-0000dead'];
    const r = await drive(w, spec(), { maxSteps: 5 });
    expect(r.outcome).toBe('failed');
    expect(r.decisions[0]!.reason).toMatch(/voting config exclusions name i-0000dead/);
    expect(w.voting).toEqual(['i-0000dead']);
  });

  test('an operator excludes a live data node mid-roll: the roll waits, never drains or clears it; abort leaves it', async () => {
    const w = new FakeWorld({ shards: 12 });
    const theirs = w.group('data-asg').instances[2]!.id;
    let waited = 0;
    const r = await drive(w, spec(), {
      maxSteps: 200,
      onStep: (step, world) => {
        // After the first node is replaced, an operator starts their own drain of another old node.
        if (world.terminations.length === 1 && !world.exclude.includes(theirs)) world.exclude.push(theirs);
        if (step === 150) world.group('data-asg').tags[TAG.abort] = 'operator';
      },
    });
    waited = r.decisions.filter((d) => d.blockedBy === 'no-foreign-exclusions').length;
    expect(waited).toBeGreaterThan(10);
    expect(r.outcome).toBe('aborted');
    expect(w.terminations).not.toContain(theirs);
    expect(w.exclude).toEqual([theirs]);
    expect(w.primariesLost).toBe(0);
    expect(w.group('data-asg').tags[TAG.excluded]).toBeUndefined();
  });
});
