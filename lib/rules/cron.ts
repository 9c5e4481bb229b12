/**
 * Cron expressions as croniter (ElastAlert's cron library) accepts them, for `aggregation: {schedule: …}` and
 * `limit_execution`. Covered: the aliases (@hourly …), 5 fields (minute hour day-of-month month day-of-week), 6
 * (seconds last) and 7 (year last); per field `*`, `?`, numbers and names within range, ranges `a-b`, steps `/n`,
 * lists `a,b`, and `L`, `nW`, `n#k`, `Ln` where croniter allows them. Not covered: croniter's `H`/`R` hash and
 * random forms (refused here).
 */

const ALIASES = new Set(['@midnight', '@hourly', '@daily', '@weekly', '@monthly', '@yearly', '@annually']);
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface Field {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** first value of `names` */
  readonly namesFrom?: number;
}

const MINUTE: Field = { name: 'minute', min: 0, max: 59 };
const HOUR: Field = { name: 'hour', min: 0, max: 23 };
const DOM: Field = { name: 'day of month', min: 1, max: 31 };
const MONTH: Field = { name: 'month', min: 1, max: 12, names: MONTHS, namesFrom: 1 };
const DOW: Field = { name: 'day of week', min: 0, max: 7, names: DAYS, namesFrom: 0 };
const SECOND: Field = { name: 'second', min: 0, max: 59 };
const YEAR: Field = { name: 'year', min: 1970, max: 2099 };

function value(text: string, f: Field): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const i = f.names?.indexOf(text.toLowerCase()) ?? -1;
  return i >= 0 ? i + (f.namesFrom ?? 0) : undefined;
}

function partProblem(part: string, f: Field): string | undefined {
  if (part === '') return `empty ${f.name} list item`;
  if (f === DOM && /^(L|LW|\d{1,2}W)$/i.test(part)) return undefined;
  if (f === DOW && /^(L[0-7]|[0-7]L|[0-7]#[1-5]|[a-z]{3}#[1-5])$/i.test(part)) return undefined;
  const [range, step, extra] = part.split('/');
  if (extra !== undefined) return `"${part}" has two steps`;
  if (step !== undefined && !/^\d+$/.test(step)) return `step "${step}" in the ${f.name} field is not a number`;
  if (step !== undefined && Number(step) === 0) return `step 0 in the ${f.name} field`;
  if (range === '*' || range === '?') return undefined;
  const bounds = range!.split('-');
  if (bounds.length > 2) return `"${range}" is not a range`;
  const values = bounds.map((b) => value(b, f));
  if (values.some((v) => v === undefined)) return `"${range}" is not a ${f.name}`;
  if (values.some((v) => v! < f.min || v! > f.max)) {
    return `"${range}" is out of range for the ${f.name} field (${f.min}-${f.max})`;
  }
  return undefined;
}

/** Why croniter would refuse the expression, or undefined when it is valid. */
export function cronProblem(expression: string): string | undefined {
  const text = expression.trim();
  if (text === '') return 'it is empty';
  if (text.startsWith('@')) return ALIASES.has(text.toLowerCase()) ? undefined : `unknown alias ${text}`;
  const fields = text.split(/\s+/);
  const layout = [MINUTE, HOUR, DOM, MONTH, DOW, SECOND, YEAR];
  if (fields.length < 5 || fields.length > 7) {
    return `it has ${fields.length} field(s): write 5 (minute hour day-of-month month day-of-week), optionally seconds and a year`;
  }
  for (let i = 0; i < fields.length; i++) {
    for (const part of fields[i]!.split(',')) {
      const problem = partProblem(part, layout[i]!);
      if (problem) return problem;
    }
  }
  return undefined;
}
