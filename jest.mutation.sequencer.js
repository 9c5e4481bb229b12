/**
 * Test order for mutation testing: the fast, targeted unit tests first and the whole-roll tests last. Stryker bails
 * at the first failing test file, so most mutants are killed before a whole roll runs (a mutant that stops a roll
 * from progressing makes each whole-roll test run to its step limit).
 */
const Sequencer = require('@jest/test-sequencer').default;
const index = require('./jest.mutation.index');

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
  // `*suffix`: every file whose name ends so (each module's mutant-killing cases).
  '*-mutants.test.ts',
];
const rank = (path) => {
  const i = ORDER.findIndex((name) =>
    name.startsWith('*') ? path.endsWith(name.slice(1)) : path.endsWith(`/${name}`),
  );
  return i < 0 ? ORDER.length : i;
};

class MutationSequencer extends Sequencer {
  constructor(options) {
    super(options);
    this.globalConfig = options.globalConfig;
  }

  sort(tests) {
    const sorted = [...tests].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
    const config = sorted.length ? sorted[0].context.config : undefined;
    if (!index.underStryker(config)) return sorted;
    // Stryker's initial run starts a fresh index; a mutant's run keeps only the files holding a covering test
    // (jest.mutation.index.js). A static mutant (no pattern) runs every file.
    if (process.env[index.ACTIVE_MUTANT] === undefined) {
      index.reset(config.rootDir);
      return sorted;
    }
    const pattern = this.globalConfig && this.globalConfig.testNamePattern;
    const files = pattern ? index.filesFor(config.rootDir, pattern) : undefined;
    return files ? sorted.filter((t) => files.has(t.path)) : sorted;
  }
}

module.exports = MutationSequencer;
