import base from './stryker.config.mjs';

/**
 * The quick mutation run (npm run test:mutation:unit -- --mutate <file>): the unit tests only (jest.mutation.unit.config.js),
 * a lower bound of the full run's score, in minutes instead of hours on a shared machine. No break threshold.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  ...base,
  jest: { ...base.jest, configFile: 'jest.mutation.unit.config.js' },
  thresholds: { ...base.thresholds, break: null },
  timeoutMS: 20000,
  jsonReporter: { fileName: 'reports/mutation/unit.json' },
  htmlReporter: { fileName: 'reports/mutation/unit.html' },
  incrementalFile: 'reports/mutation/unit-incremental.json',
};
