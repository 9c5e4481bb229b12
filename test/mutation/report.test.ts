import { formatSurvivors, readMutationReport, totalScore } from '../../lib/mutation/report';

const at = (line: number, column = 1) => ({ start: { line, column }, end: { line, column: column + 1 } });
const mutant = (id: string, status: string, line: number, replacement?: string) => ({
  id,
  mutatorName: 'ConditionalExpression',
  status,
  location: at(line),
  ...(replacement === undefined ? {} : { replacement }),
});

const report = {
  schemaVersion: '2',
  thresholds: { high: 90, low: 85 },
  files: {
    'core/b.ts': {
      language: 'typescript',
      source: 'const a = 1;\nif (x || y) go();\n',
      mutants: [
        mutant('1', 'Killed', 1),
        mutant('2', 'Survived', 2, 'x && y'),
        mutant('3', 'Timeout', 2),
        mutant('4', 'Ignored', 1),
        mutant('5', 'CompileError', 1),
      ],
    },
    'core/a.ts': {
      language: 'typescript',
      source: 'return z;\n',
      mutants: [mutant('6', 'NoCoverage', 1, 'undefined'), mutant('7', 'Killed', 1)],
    },
  },
};

describe('mutation report reader', () => {
  test('scores a module as detected (killed, timed out) over detected plus undetected (survived, no coverage)', () => {
    const [a, b] = readMutationReport(report, 'm.json');
    expect(a).toMatchObject({ file: 'core/a.ts', detected: 1, undetected: 1, score: 50 });
    // Ignored and compile errors are not in the score, as in Stryker's own.
    expect(b).toMatchObject({ file: 'core/b.ts', detected: 2, undetected: 1 });
    expect(b.score).toBeCloseTo(66.67, 1);
    expect(totalScore([a, b])).toBeCloseTo(60, 5);
  });

  test('lists each undetected mutant with its line, replacement and source line', () => {
    const [, b] = readMutationReport(report, 'm.json');
    expect(b.survivors).toEqual([
      {
        line: 2,
        column: 1,
        mutator: 'ConditionalExpression',
        replacement: 'x && y',
        status: 'Survived',
        code: 'if (x || y) go();',
      },
    ]);
    const text = formatSurvivors(readMutationReport(report, 'm.json'), true);
    expect(text).toContain('| 2 | ConditionalExpression → `x && y` | Survived | `if (x \\|\\| y) go();` |');
    expect(text).toMatch(/^a\.ts: 50\.0 % \(1 detected, 1 undetected\)$/m);
    expect(text).toMatch(/^total: 60\.0 %$/m);
    expect(formatSurvivors(readMutationReport(report, 'm.json'), false)).not.toContain('| line |');
  });

  test('a file that is not a report fails naming the file and the field', () => {
    expect(() => readMutationReport({ files: { 'a.ts': { source: 1, mutants: [] } } }, 'x.json')).toThrow(
      /^x\.json: not a Stryker JSON report \(files\.a\.ts\.source: .*\); run `npm run test:mutation`/,
    );
    expect(() => readMutationReport([], 'y.json')).toThrow(/^y\.json: not a Stryker JSON report \(\(root\)/);
  });
});
