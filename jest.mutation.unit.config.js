/**
 * Jest for the quick mutation run (npm run test:mutation:unit): only the targeted unit tests of the core, in the
 * order of jest.mutation.sequencer.js, without the whole-roll tests. Its score is a lower bound of the full run's:
 * a mutant only the left-out tests kill counts as a survivor here.
 */
const base = require('./jest.mutation.config');

const UNIT = [
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
  'decide-lock.test.ts',
  'actions.test.ts',
  'context.test.ts',
  'disk-projection.test.ts',
  'candidate.test.ts',
  'cleanup-edges.test.ts',
  'plan.test.ts',
  'zone-order.test.ts',
  'decide.test.ts',
  'zone-rebalance.test.ts',
  'zone-launch.test.ts',
  // Each module's mutant-killing cases (plan-mutants.test.ts, start-mutants.test.ts, …).
  '*-mutants.test.ts',
];

/** @type {import('jest').Config} */
module.exports = { ...base, testMatch: UNIT.map((f) => `**/test/rolling-replacement/${f}`) };
