/**
 * A node process that cannot start (its sandbox root is gone) fails that node's boot with the reason in its output,
 * instead of an unhandled 'error' event that ends the whole rehearsal (seen once in CI as `spawn bash ENOENT`).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { type Instance, runInSandbox } from '../../lib/boot/node';
import type { World } from '../../lib/boot/world';

test('a missing sandbox root fails the boot with the reason, and the promise settles', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-sandbox-error-'));
  try {
    const world = { dir } as unknown as World;
    const instance = { id: 'i-0', root: path.join(dir, 'no-such-root') } as unknown as Instance;
    const r = await runInSandbox(world, instance, ['-c', 'echo never'], { timeoutMs: 5000 });
    expect(r.ok).toBe(false);
    expect(r.exitCode).toBeNull();
    expect(r.timedOut).toBe(false);
    expect(r.output).toMatch(/runInSandbox: bash could not start in .*no-such-root: .*ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
