/**
 * `npm run diff:base` on an unchanged tree reports no change in any stack: the base is synthesized in a `git worktree`
 * in the temp folder with linked node_modules, the working tree where it is, so any dependence of a template or an
 * asset hash on the folder shows here as a changed stack. A README-only change is no change either. Two full synths
 * of every environment: `npm run test:slow`, not `npm test`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkoutFiles, copyCheckout, linkNodeModules } from '../helpers/checkout';

interface Report {
  stacks: Array<{ name: string; stage?: string; status: string }>;
}

describe('npm run diff:base', () => {
  let base: string;
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-diff-base-test-'));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('reports no change in any stack for an unchanged tree, and for a README-only change', () => {
    const repo = path.join(base, 'repo');
    copyCheckout(checkoutFiles(), repo);
    linkNodeModules(repo);
    const git = (...args: string[]) =>
      spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: repo,
        encoding: 'utf8',
      });
    expect(git('init', '-q', '-b', 'main').status).toBe(0);
    expect(git('add', '-A').status).toBe(0);
    expect(git('commit', '-qm', 'base').status).toBe(0);
    fs.appendFileSync(path.join(repo, 'README.md'), '\nA README-only change.\n');

    const out = path.join(base, 'diff.json');
    const env: NodeJS.ProcessEnv = { ...process.env, DIFF_BASE_REF: 'main', TMPDIR: path.join(base, 'tmp') };
    for (const k of ['GITHUB_HEAD_REF', 'GITHUB_REF_NAME', 'DIFF_HEAD_OUT', 'DIFF_KEEP', 'ELK_VERSION']) delete env[k];
    fs.mkdirSync(env.TMPDIR!);
    const r = spawnSync('bash', ['scripts/diff-base.sh', '--format', 'json', '--output', out, '--fail-on', 'any'], {
      cwd: repo,
      env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr.slice(-2000) }).toEqual({
      status: 0,
      stderr: '',
    });
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as Report;
    const environments = fs
      .readdirSync(path.join(repo, 'config', 'environments'))
      .filter((f) => f.endsWith('.yaml') && f !== 'default.yaml');
    expect(report.stacks.length).toBeGreaterThanOrEqual(environments.length * 2);
    expect(report.stacks.filter((s) => s.status !== 'unchanged')).toEqual([]);
    // the temporary base worktree and both synths are gone
    expect(fs.readdirSync(env.TMPDIR!).filter((e) => e.startsWith('elk-'))).toEqual([]);
  });
});
