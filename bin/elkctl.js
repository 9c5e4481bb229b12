#!/usr/bin/env node
// elkctl launcher: runs the bundle dist/elkctl.js (built at npm ci by the `prepare` script), rebuilding it first
// when it is missing or a source file is newer, so an edited checkout never runs stale code.
'use strict';
const { build, stale, OUT } = require('../scripts/build-cli.js');

if (stale()) {
  build().then(
    () => require(OUT),
    (e) => {
      process.stderr.write(`elkctl: building dist/elkctl.js failed: ${e.message}\n`);
      process.exit(2);
    },
  );
} else {
  require(OUT);
}
