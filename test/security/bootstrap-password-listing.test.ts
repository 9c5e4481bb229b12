import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { nodePython } from '../../lib/boot/tools';
import { ClusterSecurity } from '../../lib/security/ClusterSecurity';
import { tempDir } from './helpers/pki';

/**
 * Regression test of 369c771 (es-bootstrap-password.sh). The script drops the RPM auto-configuration's keystore
 * passwords when the keystore listing names them. It tested the listing with `printf '%s\n' "$existing" | grep -qx`
 * under `set -o pipefail`: grep -q exits at its first match, and a writer still writing gets SIGPIPE, so the
 * pipeline failed and the entry stayed (Elasticsearch then refuses to start). With a small listing the writer had
 * usually finished first: the boot rehearsal failed now and then, under load. Here the listing is 512 KiB (far more than
 * a pipe holds, 64 KiB, plus what grep reads at once) with the entries on its first lines: the writer is always still
 * writing when grep exits, so the old test fails on every run, not at random.
 */
const SCRIPT = ClusterSecurity.bootstrapPasswordScriptPath;
const AUTO_CONFIG_ENTRIES = [
  'xpack.security.http.ssl.keystore.secure_password',
  'xpack.security.transport.ssl.keystore.secure_password',
  'xpack.security.transport.ssl.truststore.secure_password',
];
const FIXED_LINE = 'if grep -qx "$entry" <<<"$existing"; then';
const OLD_LINE = `if printf '%s\\n' "$existing" | grep -qx "$entry"; then`;

// python3 first on PATH as a real interpreter, not a version manager's shim (0.7 s a call).
const python = nodePython();
const PYTHON_DIR = python ? `${path.dirname(python.file)}:` : '';
const tmp = tempDir('es-bootstrap-listing-');
afterAll(() => tmp.cleanup());

/** A keystore tool whose `list` prints the auto-configuration entries first, then 512 KiB of other entries. */
function setUp(): { bin: string; tool: string; calls: string } {
  const bin = path.join(tmp.dir, 'bin');
  const tool = path.join(tmp.dir, 'es', 'bin', 'elasticsearch-keystore');
  const calls = path.join(tmp.dir, 'keystore-calls.log');
  if (!fs.existsSync(bin)) {
    fs.mkdirSync(bin, { recursive: true });
    fs.mkdirSync(path.dirname(tool), { recursive: true });
    fs.mkdirSync(path.join(tmp.dir, 'es', 'config'));
    fs.writeFileSync(path.join(tmp.dir, 'es', 'config', 'elasticsearch.keystore'), '');
    const filler = Array.from(
      { length: (4 * 1024 * 1024) / 32 },
      (_, n) => `filler.secure_setting.${String(n).padStart(9, '0')}`,
    );
    fs.writeFileSync(
      path.join(tmp.dir, 'listing'),
      ['keystore.seed', ...AUTO_CONFIG_ENTRIES, ...filler, ''].join('\n'),
    );
    fs.writeFileSync(
      tool,
      [
        '#!/usr/bin/env bash',
        `echo "$*" >>${JSON.stringify(calls)}`,
        `case "$1" in list) cat ${JSON.stringify(path.join(tmp.dir, 'listing'))} ;; add) cat >/dev/null ;; esac`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    fs.writeFileSync(
      path.join(bin, 'aws'),
      '#!/usr/bin/env bash\nprintf \'{"username": "elastic", "password": "rehearsal-pw"}\\n\'\n',
      { mode: 0o755 },
    );
  }
  fs.writeFileSync(calls, '');
  return { bin, tool, calls };
}

/** Runs `script` against the big listing; the keystore entries it removed. */
function removedBy(script: string): string[] {
  const { bin, tool, calls } = setUp();
  const r = spawnSync(
    'bash',
    [script, '--secret-id', 'elk/test/users/elastic', '--region', 'eu-west-1', '--keystore-tool', tool],
    { encoding: 'utf8', env: { PATH: `${bin}:${PYTHON_DIR}${process.env.PATH}`, HOME: tmp.dir } },
  );
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return fs
    .readFileSync(calls, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('remove '))
    .map((l) => l.slice('remove '.length));
}

test('the script removes every auto-configuration entry named early in a listing far larger than a pipe', () => {
  for (let run = 0; run < 2; run++) expect(removedBy(SCRIPT)).toEqual(AUTO_CONFIG_ENTRIES);
});

test('the same listing makes the code before 369c771 (printf | grep -q under pipefail) miss every entry, every run', () => {
  const text = fs.readFileSync(SCRIPT, 'utf8');
  // If this fails, the listing test of the script changed: make this regression test follow it.
  expect(text).toContain(FIXED_LINE);
  const old = path.join(tmp.dir, 'es-bootstrap-password.old.sh');
  fs.writeFileSync(old, text.replace(FIXED_LINE, OLD_LINE), { mode: 0o755 });
  for (let run = 0; run < 2; run++) expect(removedBy(old)).toEqual([]);
});
