/**
 * `npm run test:slow`: the tests that take minutes (full synths of the app in other folders), left out of `npm test`.
 * .ci/run runs them after `npm test`.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['**/*.slow.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 900000,
};
