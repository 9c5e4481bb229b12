import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../helpers/app';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const buildCli = require('../../scripts/build-cli.js') as { stale(): boolean; OUT: string };

describe('elkctl ships bundled (no TypeScript compiled at each call)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
    scripts: Record<string, string>;
  };

  test('npm run elkctl and the bin run the launcher with node; npm ci builds the bundle (prepare)', () => {
    expect(pkg.scripts.elkctl).toBe('node bin/elkctl.js');
    expect(pkg.bin.elkctl).toBe('bin/elkctl.js');
    expect(pkg.scripts.prepare).toBe('node scripts/build-cli.js');
    expect(fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'diff-base.sh'), 'utf8')).toContain(
      'node bin/elkctl.js diff',
    );
  });

  test('the bundle finds config/, rules/ and data files as the sources do, and is fresh afterwards', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(PROJECT_ROOT, 'bin', 'elkctl.js'), 'rules', 'check', '--env', 'dev'],
      {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toMatch(/\d+ valid rule\(s\), 0 error\(s\).*environment dev/);
    expect(r.status).toBe(0);
    expect(fs.existsSync(buildCli.OUT)).toBe(true);
    expect(buildCli.stale()).toBe(false);
    expect(fs.readFileSync(buildCli.OUT, 'utf8')).not.toMatch(/\brequire\("tsx/);
  });
});
