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

  /** The packages (node_modules) a run of elkctl loads, recorded by a hook on Node's module loader. */
  function packagesLoaded(args: string[]): string[] {
    const hook = `
      const Module = require('module');
      const load = Module._load;
      const seen = new Set();
      Module._load = function (request) {
        if (!/^[./]|^node:/.test(request) && !Module.builtinModules.includes(request))
          seen.add(request.split('/').slice(0, request.startsWith('@') ? 2 : 1).join('/'));
        return load.apply(this, arguments);
      };
      process.on('exit', () => process.stderr.write('\\nLOADED ' + [...seen].sort().join(' ') + '\\n'));
      process.argv = [process.argv[0], 'elkctl', ...${JSON.stringify(args)}];
      require(${JSON.stringify(path.join(PROJECT_ROOT, 'bin', 'elkctl.js'))});`;
    const r = spawnSync(process.execPath, ['-e', hook], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    const line = /\nLOADED (.*)\n/.exec(r.stderr);
    if (!line) throw new Error(`no LOADED line: ${r.stderr}`);
    return line[1]!.split(' ').filter(Boolean);
  }

  test('start-up loads only what the command needs: rules check loads no Elasticsearch client, AWS SDK or CDK', () => {
    const heavy = /^(@elastic\/elasticsearch|@aws-sdk\/.*|aws-cdk-lib|@aws-cdk\/.*|chart\.js)$/;
    for (const args of [['--help'], ['rules', 'check', '--env', 'dev']]) {
      const loaded = packagesLoaded(args);
      expect(loaded).toContain('commander');
      expect({ args, heavy: loaded.filter((p) => heavy.test(p)) }).toEqual({ args, heavy: [] });
    }
  });
});
