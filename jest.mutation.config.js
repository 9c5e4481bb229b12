/**
 * Jest for mutation testing (npm run test:mutation): the tests of the rolling replacement's core that decide on a
 * given world (predicates, decide(), plan, cleanup, the handlers' decisions over a fake world). Left out: the CDK
 * construct tests, the CLI, the adapter and Lambda handler tests (they mutate nothing of the core), and the files that
 * run whole rolls in the simulator (2.5 to 15 s each: a surviving mutant runs every covering test, and with them a
 * run took hours instead of under one). A mutant only a whole roll kills counts as a survivor here and needs a
 * decide() case: that is what the issue asks the tests to be.
 */
const path = require('path');
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/rolling-replacement'],
  // Absolute paths: Stryker's jest runner loads the environment itself and does not expand <rootDir>.
  testSequencer: path.join(__dirname, 'jest.mutation.sequencer.js'),
  testEnvironment: path.join(__dirname, 'jest.mutation.environment.js'),
  runner: path.join(__dirname, 'jest.mutation.runner.js'),
  testPathIgnorePatterns: [
    '/node_modules/',
    '/construct\\.test\\.ts$',
    '/log-scope\\.test\\.ts$',
    '/sim-e2e\\.test\\.ts$',
    '/cli\\.test\\.ts$',
    '/handlers\\.test\\.ts$',
    '-adapter\\.test\\.ts$',
    // Whole rolls in the simulator.
    '-sim\\.test\\.ts$',
    '/fault-sweep\\.test\\.ts$',
    '/parallel-drain\\.test\\.ts$',
    '/handoff\\.test\\.ts$',
    '/capacity-above-baseline\\.test\\.ts$',
    '/sim-other-actors\\.test\\.ts$',
    '/plan-deploy-wait\\.test\\.ts$',
  ],
};
