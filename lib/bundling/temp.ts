import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const folders = new Set<string>();

/**
 * A new folder in the system temp folder, removed when the process exits. For files that an asset stages (copies
 * into the cloud assembly) while the app is built: they are not needed afterwards, but the asset may be staged again
 * by a later stack of the same process, so they live until the end of it.
 */
export function processTempDir(prefix: string): string {
  if (folders.size === 0) {
    process.once('exit', () => folders.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  folders.add(dir);
  return dir;
}
