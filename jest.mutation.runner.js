/**
 * Test runner for mutation testing: once the active mutant is killed, the remaining test files of its run are not
 * loaded at all. jest.mutation.environment.js already fails their tests at once, but loading a file (its imports and
 * module-level set-up) costs more than most tests: up to seconds for a simulator file. Jest's own `bail` exits the
 * process, which would take Stryker's worker with it. Outside Stryker, or in parallel runs, nothing changes.
 */
const TestRunner = require('jest-runner').default;
const index = require('./jest.mutation.index');

class MutationRunner extends TestRunner {
  async runTests(tests, watcher, options) {
    const active = process.env[index.ACTIVE_MUTANT];
    if (active === undefined || !options.serial) return super.runTests(tests, watcher, options);
    for (const test of tests) {
      if (index.killed() === active) return;
      await super.runTests([test], watcher, options);
    }
  }
}

module.exports = MutationRunner;
