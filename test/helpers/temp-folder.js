/**
 * Jest globalSetup/globalTeardown: every test run gets its own system temp folder, removed at the end. Apps built in
 * tests stage files in temp folders that live until the process exits (lib/bundling/temp.ts: rule bundles, Lambda
 * bundles) and CDK gives an App without outdir a temp cdk.out; jest's sandboxed `process` never delivers the exit
 * event, and workers are ended by jest, so without this they pile up in the system temp folder. Set before jest starts
 * its workers, which inherit it; restored at the end (a runner that calls jest again in the same process).
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

const KEYS = ['TMPDIR', 'TMP', 'TEMP'];

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-jest-'));
  // Like the system temp folder: sticky and open to every user (the boot rehearsal, run as root, runs nodes as nobody).
  fs.chmodSync(dir, 0o1777);
  process.env.ELK_JEST_TEMP = dir;
  process.env.ELK_JEST_TEMP_SAVED = JSON.stringify(Object.fromEntries(KEYS.map((k) => [k, process.env[k] ?? null])));
  for (const k of KEYS) process.env[k] = dir;
}

async function teardown() {
  const dir = process.env.ELK_JEST_TEMP;
  const saved = JSON.parse(process.env.ELK_JEST_TEMP_SAVED ?? '{}');
  for (const k of KEYS) {
    if (typeof saved[k] === 'string') process.env[k] = saved[k];
    else delete process.env[k];
  }
  delete process.env.ELK_JEST_TEMP;
  delete process.env.ELK_JEST_TEMP_SAVED;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

module.exports = { setup, teardown };
