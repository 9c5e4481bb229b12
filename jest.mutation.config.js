/**
 * Jest for mutation testing (npm run test:mutation): the unit tests of the rolling replacement's core only. Left out:
 * the CDK construct, the CLI against the simulator and the simulator end-to-end tests (minutes), and the adapter and
 * Lambda handler tests (they mutate nothing of the core and add seconds to every mutant that runs all tests).
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/rolling-replacement'],
  testSequencer: '<rootDir>/jest.mutation.sequencer.js',
  testEnvironment: '<rootDir>/jest.mutation.environment.js',
  testPathIgnorePatterns: [
    '/node_modules/',
    '/construct\\.test\\.ts$',
    '/sim-e2e\\.test\\.ts$',
    '/cli\\.test\\.ts$',
    '/handlers\\.test\\.ts$',
    '-adapter\\.test\\.ts$',
  ],
};
