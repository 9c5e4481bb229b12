import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// The mutation run's test-file index (jest.mutation.index.js, jest.mutation.sequencer.js): a mutant's run loads only
// the test files holding a covering test. A file left out wrongly would turn a killed mutant into a survivor, so the
// selection must match jest-circus's own (`new RegExp(testNamePattern, 'i')` tested against the test id).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const index = require('../../jest.mutation.index');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MutationSequencer = require('../../jest.mutation.sequencer');

type Block = { name: string; parent?: Block };
const root: Block = { name: 'ROOT_DESCRIBE_BLOCK' };
const test = (file: string, ...titles: string[]) => {
  let node: Block = root;
  for (const t of titles) node = { name: t, parent: node };
  return { file, node };
};
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Stryker's jest runner: the covering tests' ids, escaped, each in a group, joined by `|`. */
const strykerPattern = (...ids: string[]) => ids.map((id) => `(${escape(id)})`).join('|');

describe('mutation test index', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mutation-index-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const recordAll = (...tests: ReturnType<typeof test>[]) => {
    for (const t of tests) index.record(dir, t.file, t.node);
  };

  it('records test ids as jest-circus forms them (describe titles and the test, root left out)', () => {
    recordAll(test('/a.test.ts', 'decide()', 'does not terminate the elected master'));
    expect(fs.readFileSync(path.join(dir, '.stryker-test-index.tsv'), 'utf8')).toBe(
      '/a.test.ts\tdecide() does not terminate the elected master\n',
    );
  });

  it('selects exactly the files holding a covering test, including names that only contain the id', () => {
    recordAll(
      test('/a.test.ts', 'gates', 'health (red) blocks'),
      test('/b.test.ts', 'gates', 'quorum blocks'),
      test('/c.test.ts', 'sim', 'gates health (red) blocks twice'),
      test('/d.test.ts', 'other'),
    );
    const files = index.filesFor(dir, strykerPattern('gates health (red) blocks'));
    // c's id contains a's: jest-circus runs it too (RegExp.test is a substring match), so it must be loaded.
    expect([...files].sort()).toEqual(['/a.test.ts', '/c.test.ts']);
    expect([...index.filesFor(dir, strykerPattern('GATES QUORUM BLOCKS'))]).toEqual(['/b.test.ts']);
  });

  it('without an index selects nothing to filter by (every file runs)', () => {
    expect(index.filesFor(dir, 'x')).toBeUndefined();
  });

  describe('sequencer', () => {
    const ACTIVE = '__STRYKER_ACTIVE_MUTANT__';
    const config = (stryker: boolean) => ({
      rootDir: dir,
      globals: stryker ? { __strykerGlobalNamespace__: 'x' } : {},
    });
    const tests = (stryker: boolean) =>
      ['/t/decide.test.ts', '/t/plan.test.ts', '/t/fault-sweep.test.ts'].map((p) => ({
        path: p,
        context: { config: config(stryker) },
      }));
    const sort = (stryker: boolean, testNamePattern?: string) =>
      new MutationSequencer({ contexts: [], globalConfig: { testNamePattern } })
        .sort(tests(stryker))
        .map((t: { path: string }) => t.path);
    afterEach(() => {
      delete process.env[ACTIVE];
    });

    it("keeps a mutant's run to the files of its covering tests, fast files first", () => {
      recordAll(test('/t/fault-sweep.test.ts', 'roll', 'keeps quorum'), test('/t/decide.test.ts', 'keeps quorum'));
      process.env[ACTIVE] = '7';
      expect(sort(true, strykerPattern('keeps quorum'))).toEqual(['/t/decide.test.ts', '/t/fault-sweep.test.ts']);
      expect(sort(true, strykerPattern('roll keeps quorum'))).toEqual(['/t/fault-sweep.test.ts']);
      // A static mutant has no pattern: every file.
      expect(sort(true)).toHaveLength(3);
    });

    it("starts a fresh index on Stryker's initial run and changes nothing outside Stryker", () => {
      recordAll(test('/t/plan.test.ts', 'stale'));
      process.env[ACTIVE] = '7';
      expect(sort(false, strykerPattern('stale'))).toHaveLength(3);
      delete process.env[ACTIVE];
      expect(sort(true)).toHaveLength(3);
      expect(index.filesFor(dir, 'stale')).toBeUndefined();
    });
  });
});

describe('mutation runner', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const TestRunner = require('jest-runner').default;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const MutationRunner = require('../../jest.mutation.runner');
  const ACTIVE = '__STRYKER_ACTIVE_MUTANT__';
  const files = ['/t/decide.test.ts', '/t/plan.test.ts', '/t/fault-sweep.test.ts'].map((p) => ({ path: p }));
  let loaded: string[];
  let killAt: string | undefined;
  beforeEach(() => {
    loaded = [];
    killAt = undefined;
    // The real runner would load and run each file; here a file "fails" for the active mutant as the environment
    // marks it when one of its tests fails.
    jest.spyOn(TestRunner.prototype, 'runTests').mockImplementation(async (...args: unknown[]) => {
      for (const t of args[0] as { path: string }[]) {
        loaded.push(t.path);
        if (t.path === killAt) index.markKilled(process.env[ACTIVE]);
      }
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    delete process.env[ACTIVE];
    delete process.env.ELK_MUTATION_KILLED;
  });
  const run = (serial = true) => new MutationRunner({}, {}).runTests(files, { isInterrupted: () => false }, { serial });

  it('loads no further test file once the active mutant is killed', async () => {
    process.env[ACTIVE] = '12';
    killAt = '/t/plan.test.ts';
    await run();
    expect(loaded).toEqual(['/t/decide.test.ts', '/t/plan.test.ts']);
  });

  it('runs every file for a surviving mutant, after a kill of another mutant, and outside Stryker', async () => {
    index.markKilled('11');
    process.env[ACTIVE] = '12';
    await run();
    expect(loaded).toHaveLength(3);
    delete process.env[ACTIVE];
    loaded = [];
    await run();
    expect(loaded).toHaveLength(3);
  });
});
