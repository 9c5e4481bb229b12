/**
 * Test order for mutation testing: the fast, targeted unit tests first and the whole-roll tests last. Stryker bails
 * at the first failing test file, so most mutants are killed before a whole roll runs (a mutant that stops a roll
 * from progressing makes each whole-roll test run to its step limit).
 */
const Sequencer = require('@jest/test-sequencer').default;

const ORDER = [
  'versions.test.ts',
  'versions-fixtures.test.ts',
  'predicates.test.ts',
  'predicates-fixtures.test.ts',
  'predicates-edges.test.ts',
  'catalogue.test.ts',
  'version-blocked-layout.test.ts',
  'decide-gates.test.ts',
  'decide-cleanup.test.ts',
  'decide-steps.test.ts',
  'decide-edges.test.ts',
  'candidate.test.ts',
  'cleanup-edges.test.ts',
  'plan.test.ts',
  'zone-order.test.ts',
  'decide.test.ts',
  'zone-rebalance.test.ts',
];
const rank = (path) => {
  const i = ORDER.findIndex((name) => path.endsWith(`/${name}`));
  return i < 0 ? ORDER.length : i;
};

class MutationSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  }
}

module.exports = MutationSequencer;
