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
