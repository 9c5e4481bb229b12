import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { processTempDir } from '../../lib/bundling';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { setup, teardown } = require('../helpers/temp-folder') as {
  setup: () => Promise<void>;
  teardown: () => Promise<void>;
};

/**
 * Tests leave no elk-cdk-bundle-*, elk-alerter-bundle-* or cdk.out* folder in the system temp folder (issue 14): the
 * process-lifetime folders of lib/bundling/temp.ts are removed at process exit, an event jest's sandbox never
 * delivers, so each jest run gets its own temp folder (jest.config.js globalSetup) that its teardown removes.
 */
describe('the temp folder of a test run', () => {
  test('is the run’s own folder, not the system one: bundle folders made here go with it', () => {
    const runFolder = process.env.ELK_JEST_TEMP;
    expect(runFolder).toBeDefined();
    expect(os.tmpdir()).toBe(runFolder);
    expect(path.basename(runFolder!)).toMatch(/^elk-jest-/);
    // Every user may create folders in it, as in /tmp (the boot rehearsal run as root boots its nodes as nobody).
    expect((fs.statSync(runFolder!).mode & 0o7777).toString(8)).toBe('1777');
    expect(path.dirname(processTempDir('elk-cdk-bundle-test-'))).toBe(runFolder);
  });

  test('setup points TMPDIR at a new folder; teardown removes it with its content and restores TMPDIR', async () => {
    const saved = { TMPDIR: process.env.TMPDIR, ELK_JEST_TEMP: process.env.ELK_JEST_TEMP };
    try {
      await setup();
      const dir = process.env.ELK_JEST_TEMP!;
      expect(process.env.TMPDIR).toBe(dir);
      expect(path.dirname(dir)).toBe(saved.TMPDIR);
      fs.mkdirSync(path.join(dir, 'elk-alerter-bundle-x'));
      await teardown();
      expect(fs.existsSync(dir)).toBe(false);
      expect(process.env.TMPDIR).toBe(saved.TMPDIR);
    } finally {
      process.env.TMPDIR = saved.TMPDIR;
      process.env.ELK_JEST_TEMP = saved.ELK_JEST_TEMP;
    }
  });
});
