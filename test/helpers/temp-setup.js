const { setup } = require('./temp-folder');
const { TEST_TOOLS, SCRIPT_SUITES, missingTools } = require('./tools');

module.exports = async () => {
  await setup();
  const missing = missingTools();
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => TEST_TOOLS[t]))].join(' ');
    process.stderr.write(
      `\nnpm test: ${missing.join(', ')} not found: the ${SCRIPT_SUITES.length} suites of the on-instance scripts and openssl ` +
        `are skipped (${SCRIPT_SUITES.map((s) => s.replace(/\\/g, '').replace(/\$$/, '')).join(', ')}); ` +
        `to run them: apt-get install ${packages} (Debian/Ubuntu; README, "Needs")\n`,
    );
  }
};
