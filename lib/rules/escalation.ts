import { WRITEBACK_INDEX } from './catalog';
import { DEFAULT_GLOBALS, Finding, RuleGlobals } from './constructors';
import { periodSeconds } from './timeperiod';

/**
 * `escalation:` — an alert that keeps firing gets louder. Compiled at synth into ordinary ElastAlert rules: each
 * tier after the first is a `frequency` rule over ElastAlert's own writeback index of alerts (`elastalert`, one
 * document per alert of the base rule, `rule_name` = the base rule's name) that fires when the base rule has kept
 * alerting for the tier's `after`, with its own alerters and `realert`. Pure: rule objects in, rule objects out.
 *
 * Cadence: while its condition holds, the base rule alerts once every P = max(its realert, run_every) seconds
 * (realert silences it in between; ElastAlert's default realert is 1 minute). A tier with `after` = T fires when the
 * base rule has alerted n = floor(T / P) + 1 times within T + P seconds: under a regular cadence exactly when the
 * condition has held for T, tolerating one late or skipped run. When the condition clears, the base rule writes
 * no more alert documents, so no tier can fire any more (a frequency rule only matches on new documents, and it
 * starts counting again from zero after each match).
 */

type Rule = Record<string, unknown>;

/** Keys a tier may not set: they define what a tier is (generated) or would change the base condition. */
const STRUCTURAL = new Set([
  'name',
  'type',
  'index',
  'filter',
  'query_key',
  'num_events',
  'timeframe',
  'timestamp_field',
  'aggregation',
  'escalation',
  'is_enabled',
  'import',
]);

const err = (key: string, message: string): Finding => ({ key, message, severity: 'error' });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function human(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** Alerter names of an `alert:` value (a name, names, or `{name: options}` entries). */
function alerterNames(alert: unknown): string[] {
  const list = Array.isArray(alert) ? alert : alert === undefined ? [] : [alert];
  return list.map((a) => (typeof a === 'string' ? a : isObject(a) ? (Object.keys(a)[0] ?? '?') : '?'));
}

export interface EscalationResult {
  /** The generated tier rules, in order (tier 1 = the first tier after the base rule's own alert). */
  readonly tiers: readonly Rule[];
  readonly findings: readonly Finding[];
}

/** The tier rules of a base rule whose `escalation` block was removed from it; findings keyed `escalation.N…`. */
export function compileEscalation(
  base: Rule,
  escalation: unknown,
  globals: RuleGlobals = DEFAULT_GLOBALS,
): EscalationResult {
  const findings: Finding[] = [];
  if (!Array.isArray(escalation) || escalation.length === 0) {
    return {
      tiers: [],
      findings: [err('escalation', 'must be a list of tiers: - after: {minutes: 30}\\n  alert: [email] …')],
    };
  }
  const name = String(base.name);
  if (base.query_key !== undefined) {
    findings.push(
      err(
        'escalation',
        "cannot be combined with query_key: ElastAlert's alert documents carry no key, so a tier would count the alerts of every key together",
      ),
    );
  }
  if (base.aggregation !== undefined) {
    findings.push(
      err(
        'escalation',
        'cannot be combined with aggregation: aggregated alerts are sent in batches, not while the condition holds',
      ),
    );
  }
  const realert = base.realert === undefined ? { seconds: 60 } : periodSeconds(base.realert);
  const runEvery = base.run_every === undefined ? { seconds: globals.runEverySeconds } : periodSeconds(base.run_every);
  if (!('seconds' in realert) || !('seconds' in runEvery)) return { tiers: [], findings }; // reported by the validator
  const cadence = Math.max(realert.seconds, runEvery.seconds);

  const tiers: Rule[] = [];
  const seen = new Map<string, string>(alerterNames(base.alert).map((a) => [a, 'the rule itself']));
  let previous = -1;
  escalation.forEach((entry, i) => {
    const key = `escalation.${i}`;
    if (!isObject(entry)) {
      findings.push(err(key, 'must be a mapping with after: {…} and, after the first tier, alert: […]'));
      return;
    }
    const after = entry.after === undefined ? undefined : periodSeconds(entry.after);
    if (!after || !('seconds' in after)) {
      findings.push(
        err(
          `${key}.after`,
          after && 'problem' in after ? after.problem : 'is required: a time period such as {minutes: 30}',
        ),
      );
      return;
    }
    const t = after.seconds;
    if (t <= previous) {
      findings.push(
        err(
          `${key}.after`,
          `must be later than the tier before (${human(previous)}): tiers are listed from the first to the loudest`,
        ),
      );
      return;
    }
    previous = t;
    if (t === 0) {
      if (Object.keys(entry).some((k) => k !== 'after')) {
        findings.push(err(key, "the tier at 0 is the rule's own alert: set its alerters on the rule itself, not here"));
      }
      return;
    }
    for (const k of Object.keys(entry)) {
      if (STRUCTURAL.has(k))
        findings.push(
          err(
            `${key}.${k}`,
            'cannot be set in a tier: a tier only adds alerters (and their options, realert) to the same condition',
          ),
        );
    }
    if (entry.alert === undefined) {
      findings.push(err(`${key}.alert`, 'is required: the alerters this tier adds (e.g. [email])'));
      return;
    }
    for (const a of alerterNames(entry.alert)) {
      const other = seen.get(a);
      if (other) {
        findings.push(
          err(
            `${key}.alert`,
            `${a} already alerts in ${other}: every tier adds its own alerters, so that no notification is sent twice`,
          ),
        );
      }
      seen.set(a, `escalation tier ${i}`);
    }
    if (t < cadence) {
      findings.push(
        err(
          `${key}.after`,
          `(${human(t)}) is shorter than the rule's alert cadence (${human(cadence)}, its realert or run_every): put the alerters on the rule itself`,
        ),
      );
      return;
    }
    const { after: _after, ...options } = entry;
    const count = Math.floor(t / cadence) + 1;
    tiers.push({
      name: `${name} (escalation ${tiers.length + 1}: after ${human(t)})`,
      description: `Generated by elk-cdk from the escalation block of "${name}": fires when "${name}" has alerted ${count} times within ${human(t + cadence)} (its condition held for ${human(t)}).`,
      type: 'frequency',
      index: WRITEBACK_INDEX,
      num_events: count,
      timeframe: { seconds: t + cadence },
      filter: [{ term: { rule_name: name } }, { bool: { must_not: [{ exists: { field: 'aggregate_id' } }] } }],
      realert: { seconds: t },
      alert_subject: `Still firing after ${human(t)}: ${name}`,
      ...(base.run_every !== undefined ? { run_every: base.run_every } : {}),
      ...options,
    });
  });
  return { tiers, findings };
}
