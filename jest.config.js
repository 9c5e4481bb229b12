const path = require('path');
const { scriptSuitePatterns } = require('./test/helpers/tools');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // *.slow.test.ts take minutes (several full synths): `npm run test:slow`, run by .ci/run, not by `npm test`.
  // Without python3, openssl, jq or flock the suites of the on-instance scripts are skipped (test/helpers/tools.js).
  testPathIgnorePatterns: ['/node_modules/', '\\.slow\\.test\\.ts$', ...scriptSuitePatterns()],
  transform: {
    // Type-checking is done once by `tsc --noEmit` (npm run build); ts-jest only transpiles.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
  },
  testTimeout: 60000,
  // One temp folder per run, removed at its end: tests leave nothing in the system temp folder (absolute paths, for
  // runners that do not expand <rootDir>).
  globalSetup: path.join(__dirname, 'test', 'helpers', 'temp-setup.js'),
  globalTeardown: path.join(__dirname, 'test', 'helpers', 'temp-teardown.js'),
};
