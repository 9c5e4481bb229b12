import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

let python: string | undefined;

/**
 * The real interpreter behind `python3` on PATH. A version manager's shim (pyenv, asdf) is a script that costs about
 * 0.7 s per call; a boot calls python3 a dozen times per node, so a fleet would spend most of its time in shims.
 */
function realPython(): string | undefined {
  if (python === undefined) {
    try {
      python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    } catch {
      python = '';
    }
  }
  return python || undefined;
}

/** A folder of the world that puts the real interpreters on the nodes' PATH (after the stubs, before the rest). */
export function makeToolsDir(worldDir: string): string {
  const dir = path.join(worldDir, 'bin');
  fs.mkdirSync(dir, { recursive: true });
  const py = realPython();
  if (py && !fs.existsSync(path.join(dir, 'python3'))) fs.symlinkSync(py, path.join(dir, 'python3'));
  return dir;
}
