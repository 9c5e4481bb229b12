import { TIME_UNITS } from './catalog';
import { cronProblem } from './cron';

/**
 * Time periods as ElastAlert builds them: `datetime.timedelta(**value)` (loaders.py load_options, config.py).
 * `{}` is a zero period; a unit that is not a timedelta argument is a TypeError; a value Python cannot hold in a
 * timedelta (more than 999,999,999 days, infinity) is an OverflowError and NaN a ValueError, both of which stop
 * ElastAlert at start-up.
 */

const SECONDS: Readonly<Record<(typeof TIME_UNITS)[number], number>> = {
  weeks: 604800,
  days: 86400,
  hours: 3600,
  minutes: 60,
  seconds: 1,
  milliseconds: 0.001,
};
/** timedelta.max.days */
const MAX_DAYS = 999_999_999;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${String(v)}`;
}

/** Total seconds of a valid period, or a message saying why ElastAlert cannot build it. */
export function periodSeconds(v: unknown): { seconds: number } | { problem: string } {
  const units = `units: ${TIME_UNITS.join(', ')}`;
  if (!isObject(v)) {
    return { problem: `must be a time period such as {minutes: 5} (${units}), got ${describe(v)}` };
  }
  let total = 0;
  for (const [k, n] of Object.entries(v)) {
    if (!(k in SECONDS)) return { problem: `${k} is not a time unit (${units})` };
    if (typeof n !== 'number' && typeof n !== 'bigint') {
      return { problem: `${k} must be a number, got ${describe(n)}` };
    }
    const x = Number(n);
    if (Number.isNaN(x))
      return { problem: `${k} is .nan: Python's timedelta refuses it (ValueError) and ElastAlert stops` };
    total += x * SECONDS[k as keyof typeof SECONDS];
  }
  if (!Number.isFinite(total) || Math.abs(total) / 86400 > MAX_DAYS) {
    return {
      problem: `is beyond what Python's timedelta holds (at most ${MAX_DAYS} days): ElastAlert stops with an OverflowError; use a realistic period`,
    };
  }
  return { seconds: total };
}

/** Problem of one time option (`aggregation` may also be `{schedule: CRON}`, with or without units), or undefined. */
export function timeOptionProblem(key: string, v: unknown): string | undefined {
  if (key === 'aggregation' && isObject(v) && 'schedule' in v && v.schedule) {
    // a truthy schedule: ElastAlert keeps the mapping as it is and runs croniter on the schedule when it sends
    if (typeof v.schedule !== 'string') return `schedule must be a cron expression (text), got ${describe(v.schedule)}`;
    const cron = cronProblem(v.schedule);
    return cron ? `schedule ${JSON.stringify(v.schedule)} is not a valid cron expression: ${cron}` : undefined;
  }
  if (key === 'aggregation' && isObject(v) && 'schedule' in v) {
    return 'schedule is empty: write a cron expression (e.g. "*/15 * * * *") or remove it (ElastAlert passes an empty schedule to timedelta and stops with a TypeError)';
  }
  const r = periodSeconds(v);
  return 'problem' in r ? r.problem : undefined;
}
