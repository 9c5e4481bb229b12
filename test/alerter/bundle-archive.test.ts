import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { tar } from '../../lib/rules/tar';
import { lastLine, ruleText, World, world } from './deploy-world';

/**
 * deploy-rules.sh checks the bundle archive before it writes anything from it (issue #13): the pinned hash of its
 * SHA256SUMS, only regular files and folders, relative names without '..', exactly the listed files.
 */

let w: World;
beforeEach(() => {
  w = world();
});
afterEach(() => fs.rmSync(w.dir, { recursive: true, force: true }));

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const RULE = ruleText('A');
const sums = (files: Record<string, string>) =>
  Object.entries(files)
    .map(([name, text]) => `${sha(text)}  ${name}\n`)
    .join('');

/** Puts an archive into the fake S3 and deploys it with the hash of its SHA256SUMS. */
function deploy(archive: Buffer, sumsText: string) {
  fs.writeFileSync(path.join(w.s3, 'assets', 'hostile.tar'), archive);
  return w.run('s3://assets/hostile.tar', sha(sumsText));
}

/** Nothing of the archive was written: no release, nothing next to the instance's folders. */
function nothingWritten() {
  const releases = path.join(w.root, 'releases');
  expect(fs.existsSync(releases) ? fs.readdirSync(releases) : []).toEqual([]);
  expect(fs.readdirSync(w.dir).sort()).toEqual(['root', 's3', 'ssm', 'state']);
}

test('an entry named ../escape.yaml: refused before extraction, nothing written outside', () => {
  const s = sums({ 'rules/a.yaml': RULE });
  const r = deploy(
    tar([
      { path: 'SHA256SUMS', content: s },
      { path: 'rules/a.yaml', content: RULE },
      { path: '../../../escape.yaml', content: 'x' },
    ]),
    s,
  );
  expect(r.status).toBe(1);
  expect(r.out).toContain("DEPLOY FAILED: the bundle holds absolute or '..' paths: ../../../escape.yaml");
  expect(lastLine(r.stdout)).toBe('STATE: unchanged: nothing was changed on the instance');
  nothingWritten();
});

test('a symbolic link entry: refused, never written through', () => {
  const src = fs.mkdtempSync(path.join(w.dir, 'src-'));
  fs.mkdirSync(path.join(src, 'rules'));
  fs.writeFileSync(path.join(src, 'rules', 'a.yaml'), RULE);
  const s = sums({ 'rules/a.yaml': RULE });
  fs.writeFileSync(path.join(src, 'SHA256SUMS'), s);
  fs.symlinkSync(path.join(w.dir, 'state'), path.join(src, 'rules', 'link'));
  const made = spawnSync('tar', ['-cf', path.join(w.dir, 'l.tar'), '-C', src, 'SHA256SUMS', 'rules']);
  expect(made.status).toBe(0);
  const archive = fs.readFileSync(path.join(w.dir, 'l.tar'));
  fs.rmSync(src, { recursive: true });
  fs.rmSync(path.join(w.dir, 'l.tar'));
  const r = deploy(archive, s);
  expect(r.status).toBe(1);
  expect(r.out).toMatch(/DEPLOY FAILED: the bundle holds entries that are not regular files or folders .*rules\/link/);
  nothingWritten();
});

test('a file that SHA256SUMS does not list: refused', () => {
  const s = sums({ 'rules/a.yaml': RULE });
  const r = deploy(
    tar([
      { path: 'SHA256SUMS', content: s },
      { path: 'rules/a.yaml', content: RULE },
      { path: 'rules/smuggled.yaml', content: RULE },
    ]),
    s,
  );
  expect(r.status).toBe(1);
  expect(r.out).toContain("DEPLOY FAILED: the bundle's files are not exactly those of its SHA256SUMS");
  nothingWritten();
});

test('a SHA256SUMS that is not the pinned one: refused before any entry is looked at', () => {
  const s = sums({ 'rules/a.yaml': RULE });
  fs.writeFileSync(
    path.join(w.s3, 'assets', 'other.tar'),
    tar([
      { path: 'SHA256SUMS', content: s },
      { path: 'rules/a.yaml', content: RULE },
    ]),
  );
  const r = w.run('s3://assets/other.tar', sha('something else'));
  expect(r.status).toBe(1);
  expect(r.out).toContain('DEPLOY FAILED: bundle hash mismatch');
  nothingWritten();
});
