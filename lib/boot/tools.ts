import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** An instance's PATH (Amazon Linux), not the caller's: a script must not rely on tools of the developer's machine. */
export const INSTANCE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The first `name` on `searchPath` that is a file this process may run, resolved through links. */
function which(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(':')) {
    const f = path.join(dir, name);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return fs.realpathSync(f);
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** The bash of the instance PATH (resolved), which the stubs' "#!" line names directly. */
export function instanceBash(): string | undefined {
  return which('bash', INSTANCE_PATH);
}

/** A script (a version manager's shim starts with "#!"), not a program. */
function isScript(file: string): boolean {
  const head = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 2, 0);
  } finally {
    fs.closeSync(fd);
  }
  return head.toString('latin1') === '#!';
}

let python: string | null | undefined;

/**
 * The python3 the nodes run. The one on the instance PATH when it is a program (an instance has /usr/bin/python3):
 * the nodes then find it by themselves and nothing is linked. Else (a machine whose only python3 is a version
 * manager's shim, a script costing about 0.7 s per call, or none on the instance PATH) the real interpreter behind
 * the caller's `python3`. A boot calls python3 a few dozen times per node: this choice is a large part of a fleet's
 * time (an interpreter with a large site-packages starts in twice the time of the system's).
 */
export function nodePython(): { readonly file: string; readonly onInstancePath: boolean } | undefined {
  const system = which('python3', INSTANCE_PATH);
  if (system && !isScript(system)) return { file: system, onInstancePath: true };
  if (python === undefined) {
    try {
      python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    } catch {
      python = null;
    }
  }
  return python ? { file: python, onInstancePath: false } : undefined;
}

/**
 * A folder of the world that puts the real interpreter on the nodes' PATH (after the stubs, before the rest) when
 * the instance PATH has none of its own.
 */
export function makeToolsDir(worldDir: string): string {
  const dir = path.join(worldDir, 'bin');
  fs.mkdirSync(dir, { recursive: true });
  const py = nodePython();
  if (py && !py.onInstancePath && !fs.existsSync(path.join(dir, 'python3')))
    fs.symlinkSync(py.file, path.join(dir, 'python3'));
  return dir;
}
