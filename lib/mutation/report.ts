/**
 * Reads a Stryker JSON report (mutation-testing-report-schema, `reports/mutation/mutation.json`) and lists what the
 * README's "Mutation testing" section needs: each module's score and every mutant that no test detected.
 * Pure: the caller reads the file (scripts/mutation-survivors.ts, `npm run test:mutation:survivors`).
 */
import { z } from 'zod';

const Position = z.object({ line: z.number().int(), column: z.number().int() });
const Mutant = z.object({
  id: z.string(),
  mutatorName: z.string(),
  replacement: z.string().optional(),
  status: z.string(),
  location: z.object({ start: Position, end: Position }),
});
const Report = z.object({
  files: z.record(z.string(), z.object({ source: z.string(), mutants: z.array(Mutant) })),
});

/** Statuses Stryker counts in the score's denominator; detected ones are in the numerator. */
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

export interface Undetected {
  readonly line: number;
  readonly column: number;
  readonly mutator: string;
  readonly replacement: string;
  readonly status: 'Survived' | 'NoCoverage';
  /** The mutated source line, trimmed. */
  readonly code: string;
}

export interface ModuleScore {
  readonly file: string;
  readonly detected: number;
  readonly undetected: number;
  /** Detected ÷ (detected + undetected), in percent; undefined when nothing was tested. */
  readonly score: number | undefined;
  readonly survivors: readonly Undetected[];
}

/** Parses the report; a file that is not one fails with its name and the first field that does not fit. */
export function readMutationReport(json: unknown, file: string): ModuleScore[] {
  const parsed = Report.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${file}: not a Stryker JSON report (${issue.path.join('.') || '(root)'}: ${issue.message}); ` +
        'run `npm run test:mutation` (or test:mutation:unit) to write one',
    );
  }
  return Object.entries(parsed.data.files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, f]) => {
      const lines = f.source.split('\n');
      const detected = f.mutants.filter((m) => DETECTED.has(m.status)).length;
      const survivors = f.mutants
        .filter((m) => UNDETECTED.has(m.status))
        .map((m) => ({
          line: m.location.start.line,
          column: m.location.start.column,
          mutator: m.mutatorName,
          replacement: m.replacement ?? '',
          status: m.status as Undetected['status'],
          code: (lines[m.location.start.line - 1] ?? '').trim(),
        }))
        .sort((a, b) => a.line - b.line || a.column - b.column);
      const total = detected + survivors.length;
      return {
        file: name,
        detected,
        undetected: survivors.length,
        score: total === 0 ? undefined : (100 * detected) / total,
        survivors,
      };
    });
}

/** The whole run's score over the given modules (Stryker's: detected ÷ valid mutants). */
export function totalScore(modules: readonly ModuleScore[]): number | undefined {
  const detected = modules.reduce((n, m) => n + m.detected, 0);
  const total = modules.reduce((n, m) => n + m.detected + m.undetected, 0);
  return total === 0 ? undefined : (100 * detected) / total;
}

const pct = (s: number | undefined) => (s === undefined ? 'n/a' : `${s.toFixed(1)} %`);
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

/** Markdown: a score line per module and, with `list`, a README row per undetected mutant to classify. */
export function formatSurvivors(modules: readonly ModuleScore[], list: boolean): string {
  const out: string[] = [];
  for (const m of modules) {
    const name = m.file.split('/').pop() ?? m.file;
    out.push(`${name}: ${pct(m.score)} (${m.detected} detected, ${m.undetected} undetected)`);
    if (list && m.survivors.length > 0) {
      out.push('', '| line | mutant | status | code |', '| --- | --- | --- | --- |');
      for (const s of m.survivors) {
        const mutant = s.replacement ? `${s.mutator} → \`${cell(s.replacement)}\`` : s.mutator;
        out.push(`| ${s.line} | ${mutant} | ${s.status} | \`${cell(s.code)}\` |`);
      }
      out.push('');
    }
  }
  out.push(`total: ${pct(totalScore(modules))}`);
  return out.join('\n');
}
