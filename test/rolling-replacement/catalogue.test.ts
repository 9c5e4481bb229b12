/**
 * The predicate catalogue is load-bearing: every gate decide() runs is in PREDICATES (which the table tests of
 * predicates.test.ts walk), the README's catalogue lists exactly PREDICATES and DECISION_RULES, and the gates of a
 * node joining running drains are what the README says they are.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as P from '../../lambda/rolling-replacement/core/predicates';

const names = (list: readonly { name: string }[]) => [...new Set(list.map((p) => p.name))].sort();

function readmeCatalogue(): string[] {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = doc.indexOf('\n## Safety predicates catalogue');
  expect(start).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n## ', start + 1);
  const rows = doc
    .slice(start, end < 0 ? undefined : end)
    .split('\n')
    .map((line) => /^\| `([a-z0-9-]+)` \|/.exec(line)?.[1])
    .filter((n): n is string => n !== undefined);
  return rows.sort();
}

describe('predicate catalogue', () => {
  test("the README's catalogue lists exactly the predicates and decision rules, one row each", () => {
    const rows = readmeCatalogue();
    expect(new Set(rows).size).toBe(rows.length);
    expect(rows).toEqual(names([...P.PREDICATES, ...P.DECISION_RULES]));
  });

  test('every gate of every step, and of a node joining running drains, is a catalogued predicate', () => {
    const gates = [...Object.values(P.GATES).flat(), ...P.ADD_TO_DRAIN_GATES];
    expect(names(gates)).toEqual(names(P.PREDICATES));
    for (const g of gates) expect(P.PREDICATES).toContain(g);
  });

  test('every predicate predicates.ts exports is catalogued', () => {
    const exported = Object.values(P).filter(
      (v): v is P.Predicate => typeof v === 'object' && v !== null && 'evaluate' in v && 'name' in v,
    );
    expect(exported.length).toBeGreaterThan(0);
    for (const p of exported)
      expect({ name: p.name, catalogued: P.PREDICATES.includes(p) }).toMatchObject({ catalogued: true });
  });

  test('a node joining running drains gets the exclude gates without no-shard-activity, plus one-copy-per-shard-draining', () => {
    const expected = [...P.GATES.exclude.filter((p) => p !== P.noShardActivity), P.oneCopyPerShardDraining];
    expect(names(P.ADD_TO_DRAIN_GATES)).toEqual(names(expected));
  });
});

/**
 * Kebab-case literals of the core that are not gates: action types, a predicate status, a shard class, a value of
 * rollout.surgePlacement.
 */
function notGates(core: string): Set<string> {
  const types = fs.readFileSync(path.join(core, 'types.ts'), 'utf8');
  const actions = [...types.matchAll(/type: '([a-z]+(?:-[a-z]+)+)'/g)].map((m) => m[1]!);
  return new Set([...actions, 'not-applicable', 'version-blocked', 'auto-scaling']);
}

describe('every blockedBy name of the core is catalogued', () => {
  test('each kebab-case name in the core sources (not an action type) has a catalogue entry and a README row', () => {
    const core = path.join(__dirname, '..', '..', 'lambda', 'rolling-replacement', 'core');
    const skip = notGates(core);
    expect(skip.has('wait-for-drain')).toBe(true);
    const found = new Set<string>();
    for (const f of fs.readdirSync(core).filter((x) => x.endsWith('.ts'))) {
      const text = fs.readFileSync(path.join(core, f), 'utf8');
      for (const m of text.matchAll(/'([a-z]+(?:-[a-z]+)+)'/g)) if (!skip.has(m[1]!)) found.add(m[1]!);
    }
    // The scan reads the sources it should: gates written as literals and as constants elsewhere are found.
    expect([...found]).toEqual(expect.arrayContaining(['drain-stalled', 'strictly-drained', 'node-down']));
    const catalogued = new Set(names([...P.PREDICATES, ...P.DECISION_RULES]));
    const rows = new Set(readmeCatalogue());
    for (const name of [...found].sort()) {
      expect({ name, catalogued: catalogued.has(name), readme: rows.has(name) }).toEqual({
        name,
        catalogued: true,
        readme: true,
      });
    }
  });
});
