import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_ROOT } from '../helpers/app';

describe('exit codes of the npm scripts', () => {
  test('diff:base exits 2 when a synth fails (a git checkout whose cdk fails)', () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-diff-base-'));
    try {
      fs.mkdirSync(path.join(repo, 'scripts'));
      fs.copyFileSync(path.join(PROJECT_ROOT, 'scripts', 'diff-base.sh'), path.join(repo, 'scripts', 'diff-base.sh'));
      fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules/\n');
      fs.mkdirSync(path.join(repo, 'node_modules', '.bin'), { recursive: true });
      fs.writeFileSync(
        path.join(repo, 'node_modules', '.bin', 'cdk'),
        '#!/bin/sh\necho "synth: bad config" >&2\nexit 1\n',
        {
          mode: 0o755,
        },
      );
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: repo });
      git('init', '-q', '-b', 'main');
      git('add', '-A');
      git('commit', '-qm', 'base');
      const r = spawnSync('bash', ['scripts/diff-base.sh'], {
        cwd: repo,
        encoding: 'utf8',
        env: { ...process.env, DIFF_BASE_REF: 'HEAD', TMPDIR: repo },
      });
      expect(r.stderr).toContain('diff:base: synthesizing the base');
      expect(r.stderr).toMatch(/failed; see above/);
      expect(r.status).toBe(2);
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });

  test('npm run bench -- <unknown> fails and names the benchmarks', () => {
    const r = spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), path.join(PROJECT_ROOT, 'bench', 'run.ts'), 'no-such-bench'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toMatch(/no benchmark matches "no-such-bench"; choose one of .*rules/);
    expect(r.status).toBe(2);
  });
});
