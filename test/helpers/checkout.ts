import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from './app';

/** The files of this checkout as git sees them: tracked and untracked, not ignored (so node_modules, cdk.out: not). */
export function checkoutFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  return out
    .split('\0')
    .filter(Boolean)
    .filter((f) => fs.existsSync(path.join(PROJECT_ROOT, f)));
}

/** Copies `files` (relative to this checkout) to `to`, keeping modes (scripts stay executable). */
export function copyCheckout(files: readonly string[], to: string): void {
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_ROOT, f), path.join(to, f));
    fs.chmodSync(path.join(to, f), fs.statSync(path.join(PROJECT_ROOT, f)).mode);
  }
}

/** Like scripts/diff-base.sh: a real folder of symlinks to this checkout's packages. */
export function linkNodeModules(to: string): void {
  const dir = path.join(to, 'node_modules');
  fs.mkdirSync(dir);
  for (const e of fs.readdirSync(path.join(PROJECT_ROOT, 'node_modules'))) {
    fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules', e), path.join(dir, e));
  }
}
