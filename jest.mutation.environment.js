/**
 * Test environment for mutation testing: once a test has failed for the active mutant, every later test of that
 * mutant's run fails at once instead of running. Jest cannot bail on the first failing test when run programmatically
 * (Stryker's jest runner), and a mutant that stops a roll from progressing makes each whole-roll test run to its step
 * limit. The mutant is killed either way; only the time spent differs. Outside Stryker nothing changes.
 */
const { TestEnvironment } = require('jest-environment-node');
const index = require('./jest.mutation.index');

class MutationEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    // Stryker's initial run (no active mutant) records each test's file: jest.mutation.index.js.
    this.indexing = index.underStryker(config.projectConfig) ? config.projectConfig.rootDir : undefined;
    this.testPath = context.testPath;
  }

  async handleTestEvent(event) {
    const active = process.env[index.ACTIVE_MUTANT];
    if (active === undefined) {
      if (this.indexing && event.name === 'test_start') index.record(this.indexing, this.testPath, event.test);
      return;
    }
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') index.markKilled(active);
    if (event.name === 'test_start' && index.killed() === active) {
      event.test.fn = () => {
        throw new Error(`mutant ${active} is already killed by an earlier test`);
      };
    }
  }
}

module.exports = MutationEnvironment;
