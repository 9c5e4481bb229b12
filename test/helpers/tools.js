/**
 * Programs besides Node.js that `npm test` runs: the tests of the on-instance scripts (boot rehearsal, alerter deploy
 * and heartbeat, node scripts) run them with the tools an instance has. The README names them; .ci/run installs the
 * missing ones; jest's globalSetup names the missing ones in one line before the run.
 */
const fs = require('fs');
const path = require('path');

/** Program → the Debian package that provides it. */
const TEST_TOOLS = {
  bash: 'bash',
  git: 'git',
  tar: 'tar',
  python3: 'python3',
  openssl: 'openssl',
  jq: 'jq',
  flock: 'util-linux',
};

/** The programs of TEST_TOOLS not found on `searchPath`. */
function missingTools(searchPath = process.env.PATH ?? '') {
  const dirs = searchPath.split(path.delimiter).filter(Boolean);
  const found = (name) =>
    dirs.some((d) => {
      try {
        fs.accessSync(path.join(d, name), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return Object.keys(TEST_TOOLS).filter((t) => !found(t));
}

module.exports = { TEST_TOOLS, missingTools };
