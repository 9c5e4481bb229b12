import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readBuildVersion, readGitFacts } from '../../lib/version';

function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

describe('readGitFacts (against a real temporary repository)', () => {
  let repo: string;
  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-version-'));
    sh(repo, 'init', '-q', '-b', 'main');
    sh(repo, 'config', 'user.email', 'test@example.invalid');
    sh(repo, 'config', 'user.name', 'test');
    sh(repo, 'config', 'commit.gpgsign', 'false');
    fs.writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ version: '2.3.4' }));
    sh(repo, 'add', 'package.json');
    sh(repo, 'commit', '-q', '-m', 'one');
    fs.writeFileSync(path.join(repo, 'a.txt'), 'a');
    sh(repo, 'add', 'a.txt');
    sh(repo, 'commit', '-q', '-m', 'two');
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  test('a clean main checkout is a release with the commit count as build number', () => {
    const facts = readGitFacts(repo);
    const sha = sh(repo, 'rev-parse', '--short=7', 'HEAD');
    expect(facts).toEqual({ sha, branch: 'main', dirty: false, commitCount: 2 });
    expect(readBuildVersion(repo, {}).version).toBe(`2.3.4+2.${/^\d+$/.test(sha) ? 'g' : ''}${sha}`);
  });

  test('an untracked file makes the tree dirty, and the build a pre-release', () => {
    fs.writeFileSync(path.join(repo, 'new.txt'), 'x');
    try {
      expect(readGitFacts(repo).dirty).toBe(true);
      expect(readBuildVersion(repo, {}).version).toMatch(/^2\.3\.4-main\.\w+\.dirty$/);
    } finally {
      fs.rmSync(path.join(repo, 'new.txt'));
    }
  });

  test('a detached HEAD has no branch', () => {
    sh(repo, 'checkout', '-q', '--detach', 'HEAD~1');
    try {
      const facts = readGitFacts(repo);
      expect(facts.branch).toBeUndefined();
      expect(facts.commitCount).toBe(1);
      expect(readBuildVersion(repo, {}).version).toMatch(/^2\.3\.4-detached\.\w+$/);
    } finally {
      sh(repo, 'checkout', '-q', 'main');
    }
  });

  test('a folder outside git yields no sha', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-nogit-'));
    try {
      expect(readGitFacts(dir)).toEqual({ dirty: false });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
