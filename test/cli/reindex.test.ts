import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_ROOT } from '../helpers/app';

const elkctl = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'elkctl.js'), 'reindex', ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });

describe('elkctl reindex (the command line)', () => {
  let dir: string;
  let scenario: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-reindex-'));
    scenario = path.join(dir, 'scenario.json');
    fs.writeFileSync(
      scenario,
      JSON.stringify({
        name: 'reindex',
        cluster: {
          version: '8.19.3',
          masters: 3,
          dataNodes: 3,
          diskBytesPerDataNode: 1e12,
          indices: [
            { name: 'logs-a', shards: 2, replicas: 1, docs: 20000, bytes: 2e7 },
            { name: 'logs-b', shards: 1, replicas: 1, docs: 500, bytes: 5e5 },
          ],
        },
        change: { ami: 'ami-unused' }, // a scenario needs one; no roll runs here
      }),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('changes nothing without --yes or --plan: exit 2 and says how', () => {
    const r = elkctl('--env', 'dev', '--source', 'logs-*', '--sim', scenario);
    expect(r.stderr).toMatch(/pass --yes to do it, or --plan/);
    expect(r.status).toBe(2);
  });

  it('refuses a malformed option value with exit 2', () => {
    const r = elkctl('--env', 'dev', '--source', 'logs-*', '--slices', '0', '--plan');
    expect(r.stderr).toMatch(/--slices.*must be auto or an integer/);
    expect(r.status).toBe(2);
  });

  it('--plan prints the steps per index and exits 0; --yes reindexes and prints one line per step', () => {
    const plan = elkctl('--env', 'dev', '--source', 'logs-*', '--sim', scenario, '--plan', '--quiet-seconds', '0');
    expect(plan.stdout).toContain('logs-b → logs-b-r:\n  1. set index.blocks.write on logs-b\n');
    expect(plan.status).toBe(0);
    const run = elkctl('--env', 'dev', '--source', 'logs-*', '--sim', scenario, '--yes', '--quiet-seconds', '0');
    expect(run.stdout).toMatch(/^logs-a: block-writes — /m);
    expect(run.stdout).toMatch(/^logs-b: swap — 500 documents in both/m);
    expect(run.stdout).toMatch(/reindex: 2 swapped, 0 already done, 0 refused\n$/);
    expect(run.status).toBe(0);
  });
});
