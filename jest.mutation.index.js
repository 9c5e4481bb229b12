/**
 * Which test file holds which test, for mutation testing (npm run test:mutation). Stryker's jest runner runs every
 * test file of the configuration for each mutant and selects the covering tests by name only, so every file's
 * imports and module-level set-up run for every mutant, tests or not (about 5 s of the 7 s a mutant took). The
 * environment (jest.mutation.environment.js) records each test's file during Stryker's initial run; the sequencer
 * (jest.mutation.sequencer.js) then runs, for a mutant, only the files holding a test whose name matches the pattern
 * of covering tests. Outside Stryker, and without an index, nothing changes.
 */
const fs = require('fs');
const path = require('path');

const INDEX = '.stryker-test-index.tsv';
const ACTIVE_MUTANT = '__STRYKER_ACTIVE_MUTANT__';
/** The mutant a test has failed for (set by the environment, read by the runner: one process, runInBand). */
const KILLED = 'ELK_MUTATION_KILLED';

/** Stryker's jest runner adds this global to the project configuration. */
const underStryker = (projectConfig) =>
  Boolean(projectConfig && projectConfig.globals && projectConfig.globals.__strykerGlobalNamespace__);

const indexPath = (rootDir) => path.join(rootDir, INDEX);

/** Jest's test id (jest-circus getTestID): the describe titles and the test's own, root excluded, joined by spaces. */
function testId(test) {
  const titles = [];
  for (let node = test; node && node.parent; node = node.parent) titles.unshift(node.name);
  return titles.join(' ');
}

function record(rootDir, testPath, test) {
  fs.appendFileSync(indexPath(rootDir), `${testPath}\t${testId(test).replace(/[\t\n]/g, ' ')}\n`);
}

/** The files holding a test that `pattern` selects (as jest-circus applies it), or undefined without an index. */
function filesFor(rootDir, pattern) {
  let text;
  try {
    text = fs.readFileSync(indexPath(rootDir), 'utf8');
  } catch {
    return undefined;
  }
  const re = new RegExp(pattern, 'i');
  const files = new Set();
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab > 0 && re.test(line.slice(tab + 1))) files.add(line.slice(0, tab));
  }
  return files;
}

function reset(rootDir) {
  fs.rmSync(indexPath(rootDir), { force: true });
}

const markKilled = (mutant) => {
  process.env[KILLED] = mutant;
};
const killed = () => process.env[KILLED];

module.exports = { ACTIVE_MUTANT, underStryker, record, filesFor, reset, markKilled, killed };
