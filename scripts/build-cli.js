// Bundles the operator CLI (bin/elkctl.ts and what it imports from this project) into dist/elkctl.js once, so that
// `elkctl` starts without compiling TypeScript on every call. Packages stay in node_modules (required at run time).
// Run by `npm ci`/`npm install` (the `prepare` script) and by bin/elkctl.js whenever a source is newer than the bundle.
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const OUT = path.join(ROOT, 'dist', 'elkctl.js');
/** Folders whose TypeScript the CLI bundles; a newer file in them makes the bundle stale. */
const SOURCES = ['bin', 'lib', 'lambda', 'sim'];

function newestSource(dir = ROOT, top = true) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (top && !SOURCES.includes(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p, false));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** True when dist/elkctl.js is missing or older than a source file. */
function stale() {
  try {
    return fs.statSync(OUT).mtimeMs < newestSource();
  } catch {
    return true;
  }
}

/**
 * Each module's `__dirname` as it would be when run from source (lib/config, lib/rules, …), so paths to config/,
 * rules/ and data files resolve the same from the bundle in dist/.
 */
const keepDirname = {
  name: 'keep-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const rel = path.relative(path.dirname(OUT), path.dirname(args.path)).split(path.sep).join('/');
      const text = fs.readFileSync(args.path, 'utf8');
      const dirname = `require("path").join(__dirname, ${JSON.stringify(rel)})`;
      const filename = `require("path").join(__dirname, ${JSON.stringify(`${rel}/${path.basename(args.path)}`)})`;
      return {
        contents: text.replace(/\b__dirname\b/g, dirname).replace(/\b__filename\b/g, filename),
        loader: 'ts',
      };
    });
  },
};

function build() {
  const esbuild = require('esbuild');
  const tmp = `${OUT}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  return esbuild
    .build({
      absWorkingDir: ROOT,
      entryPoints: [path.join(ROOT, 'bin', 'elkctl.ts')],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: 'inline',
      sourcesContent: false,
      logLevel: 'warning',
      plugins: [keepDirname],
    })
    .then(() => fs.renameSync(tmp, OUT))
    .then(buildRuleValidators);
}

/**
 * The rule schema's validators as code (lib/rules/schema-code.ts): made here once instead of compiled by ajv in every
 * `elkctl rules` process. Used only while the schema, ajv and the options are the ones they were made from.
 */
function buildRuleValidators() {
  const esbuild = require('esbuild');
  const gen = path.join(path.dirname(OUT), `.rule-validators-gen.${process.pid}.js`);
  return esbuild
    .build({
      absWorkingDir: ROOT,
      entryPoints: [path.join(ROOT, 'lib', 'rules', 'schema-code.ts')],
      outfile: gen,
      bundle: true,
      platform: 'node',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    })
    .then(() => {
      const schema = fs.readFileSync(path.join(ROOT, 'lib', 'rules', 'data', 'elastalert-schema.json'), 'utf8');
      require(gen).writeValidators(schema, path.join(path.dirname(OUT), 'rule-validators'));
    })
    .finally(() => fs.rmSync(gen, { force: true }));
}

module.exports = { build, stale, OUT };

if (require.main === module) {
  build().catch((e) => {
    process.stderr.write(`build-cli: ${e.message}\n`);
    process.exit(1);
  });
}
