const { setup } = require('./temp-folder');
const { TEST_TOOLS, missingTools } = require('./tools');

module.exports = async () => {
  await setup();
  const missing = missingTools();
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => TEST_TOOLS[t]))].join(' ');
    process.stderr.write(
      `\nnpm test: ${missing.join(', ')} not found: the tests of the on-instance scripts need them and will fail ` +
        `(Debian/Ubuntu: apt-get install ${packages}; README, "Needs")\n`,
    );
  }
};
