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

/**
 * The suites that run on-instance scripts or the real openssl (measured with a PATH lacking python3, openssl, jq and
 * flock on test/alerter, test/cluster, test/security, test/monitoring and test/termination-drain: these fail there;
 * test/boot runs the boot scripts). Without a program, `npm test` skips them and says so in one line, so the
 * README's test command works on a machine with only Node.js; with ELK_TEST_TOOLS=require (set by .ci/run, which
 * installs the programs) a missing program fails the run instead.
 */
const SCRIPT_SUITES = [
  'test/boot/',
  'test/alerter/deploy-hardening\\.test\\.ts$',
  'test/alerter/deploy-wait-run\\.test\\.ts$',
  'test/alerter/deploy-adverse\\.test\\.ts$',
  'test/alerter/deploy-script\\.test\\.ts$',
  'test/alerter/bundle-archive\\.test\\.ts$',
  'test/alerter/heartbeat\\.test\\.ts$',
  'test/cluster/node-scripts\\.test\\.ts$',
  'test/security/node-scripts\\.test\\.ts$',
  'test/security/node-cert-renew\\.test\\.ts$',
  'test/security/ClusterSecurity\\.test\\.ts$',
  'test/security/cert-issuer\\.test\\.ts$',
  'test/security/cluster-ca\\.test\\.ts$',
  'test/security/es-client\\.test\\.ts$',
  'test/security/security-bootstrap\\.test\\.ts$',
  'test/monitoring/collector\\.test\\.ts$',
];

/**
 * jest's testPathIgnorePatterns for the programs missing on `searchPath`: the script suites when one is missing and
 * ELK_TEST_TOOLS is not `require`, else none. Throws (the run fails before any test) when it is `require`.
 */
function scriptSuitePatterns(searchPath = process.env.PATH ?? '', mode = process.env.ELK_TEST_TOOLS) {
  const missing = missingTools(searchPath);
  if (missing.length === 0) return [];
  const packages = [...new Set(missing.map((t) => TEST_TOOLS[t]))].join(' ');
  if (mode === 'require')
    throw new Error(
      `npm test: ${missing.join(', ')} not found and ELK_TEST_TOOLS=require: apt-get install ${packages}, or unset ELK_TEST_TOOLS to skip the script suites`,
    );
  return SCRIPT_SUITES;
}

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

module.exports = { TEST_TOOLS, SCRIPT_SUITES, missingTools, scriptSuitePatterns };
