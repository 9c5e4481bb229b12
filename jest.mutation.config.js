/**
 * Jest for mutation testing (npm run test:mutation): the unit tests of the rolling replacement's core only. Left out:
 * the CDK construct, the CLI against the simulator and the simulator end-to-end tests (minutes), and the adapter and
 * Lambda handler tests (they mutate nothing of the core and add seconds to every mutant that runs all tests).
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
  ],
};
