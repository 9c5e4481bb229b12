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
  test("an operator's voting exclusion appears while one of ours is in place: abort clears neither, and says why", async () => {
    const w = new FakeWorld();
    let ours: string | undefined;
    const r = await drive(w, spec(), {
      maxSteps: 400,
      onStep: (_step, world) => {
        // Our first voting exclusion of an old master: an operator adds their own, then the roll is aborted.
        if (ours === undefined && world.voting.length === 1) {
          ours = world.voting[0];
          world.voting.push('i-0000dead');
          world.group('data-asg').tags[TAG.abort] = 'operator';
        }
      },
    });
    expect(ours).toBeDefined();
    expect(r.outcome).toBe('aborted');
    // DELETE _cluster/voting_config_exclusions would clear theirs with ours: both stay, with the reason.
    expect(w.voting).toEqual([ours, 'i-0000dead']);
    expect(r.decisions.at(-1)!.reason).toMatch(/left in place: clearing them would also clear i-0000dead/);
  });
});
