import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stubsDir } from '../../lib/boot/node';
import { STUBS_DIR } from '../../lib/boot/project';
import { instanceBash } from '../../lib/boot/tools';

/** Every file of a folder, relative names, sorted. */
function files(dir: string, under = ''): string[] {
  return fs
    .readdirSync(path.join(dir, under), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(dir, path.join(under, e.name)) : [path.join(under, e.name)]))
    .sort();
}

describe("the nodes' copy of the stubs", () => {
  const world = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-stubs-copy-'));
  afterAll(() => fs.rmSync(world, { recursive: true, force: true }));

  test('names the instance bash in its "#!" lines (no env start per stub call) and is otherwise the shipped stubs', () => {
    const bash = instanceBash();
    expect(bash).toBeDefined();
    const copy = stubsDir({ dir: world });
    expect(copy).toBe(path.join(world, 'stubs'));
    expect(files(copy)).toEqual(files(STUBS_DIR));
    let rewritten = 0;
    for (const f of files(STUBS_DIR)) {
      const shipped = fs.readFileSync(path.join(STUBS_DIR, f), 'utf8');
      const copied = fs.readFileSync(path.join(copy, f), 'utf8');
      if (shipped.startsWith('#!/usr/bin/env bash\n')) {
        rewritten++;
        expect(copied).toBe(shipped.replace('#!/usr/bin/env bash\n', `#!${bash}\n`));
      } else expect(copied).toBe(shipped);
      expect(fs.statSync(path.join(copy, f)).mode).toBe(fs.statSync(path.join(STUBS_DIR, f)).mode);
    }
    expect(rewritten).toBeGreaterThan(15);
  });

  test('a copied stub runs as a command (getent of the sandbox passwd)', () => {
    const root = path.join(world, 'node');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(root, '.rehearsal'));
    fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'kibana:x:990:990::/nonexistent:/sbin/nologin\n');
    const r = spawnSync(path.join(stubsDir({ dir: world }), 'getent'), ['passwd', 'kibana'], {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin', ELK_ROOT: root, ELK_REHEARSAL_WORLD: world },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('kibana:x:990:990::/nonexistent:/sbin/nologin\n');
  });
});
