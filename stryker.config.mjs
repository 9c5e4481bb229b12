/**
 * Mutation testing of the rolling replacement's safety core (npm run test:mutation). Not part of `npm test` or CI:
 * it takes minutes. The README's "Mutation testing" section gives the score and every surviving mutant.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: { configFile: 'jest.mutation.config.js', enableFindRelatedTests: false },
  coverageAnalysis: 'perTest',
  mutate: [
    'lambda/rolling-replacement/core/predicates.ts',
    'lambda/rolling-replacement/core/decide.ts',
    'lambda/rolling-replacement/core/actions.ts',
    'lambda/rolling-replacement/core/start.ts',
    'lambda/rolling-replacement/core/steps.ts',
    'lambda/rolling-replacement/core/candidate.ts',
    'lambda/rolling-replacement/core/cleanup.ts',
    'lambda/rolling-replacement/core/zone-rebalance.ts',
    'lambda/rolling-replacement/core/destination.ts',
    'lambda/rolling-replacement/core/disk.ts',
    'lambda/rolling-replacement/core/stall.ts',
    'lambda/rolling-replacement/core/context.ts',
    'lambda/rolling-replacement/core/versions.ts',
    'lambda/rolling-replacement/core/zone-order.ts',
    'lambda/rolling-replacement/core/plan.ts',
    'lambda/rolling-replacement/core/zone-launch.ts',
    'lambda/rolling-replacement/core/parallel.ts',
  ],
  // Messages and reasons are not behaviour the gates depend on; their mutants would only be noise.
  mutator: { excludedMutations: ['StringLiteral'] },
  thresholds: { high: 90, low: 85, break: 85 },
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // Two workers: the machine is shared.
  concurrency: 2,
  tempDirName: '.stryker-tmp',
  // The initial run loads every test file once with coverage; on a shared machine it takes longer than the default 5 min.
  dryRunTimeoutMinutes: 30,
  ignorePatterns: ['cdk.out', 'coverage', 'reports', 'docs', 'rules', 'scripts', '.ci'],
  // `npm run test:mutation -- --incremental` retests only mutants whose code or covering tests changed.
  incrementalFile: 'reports/mutation/stryker-incremental.json',
};
