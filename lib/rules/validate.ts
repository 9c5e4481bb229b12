import { ALERTER_REQUIRED_OPTIONS, RULE_TYPES, SECRET_FIELDS, TIME_FIELDS, TIME_UNITS } from './catalog';
import { constructorFindings, RuleGlobals } from './constructors';
import { didYouMean } from './problem';
import { ErrorObject, ruleSchema } from './schema';
import { timeOptionProblem } from './timeperiod';
import { AlerterPolicy, alerterPolicyFindings } from './policy';

export type { RuleGlobals };

/** A finding without file and rule (the compiler adds them). */
export interface Finding {
  readonly key: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

export interface ValidateOptions {
  /** Accept literal credentials (for checking third-party rules; never used by a deployment). */
  readonly allowLiteralSecrets?: boolean;
  /** True for a string that is (or contains) a secret reference produced by the compiler. */
  readonly isSecretReference: (value: string) => boolean;
  /** Environment name, for the fix in the literal-secret message. */
  readonly environment?: string;
  /** config.yaml's run_every and buffer_time (inherited by rules that do not set them). */
  readonly globals?: RuleGlobals;
  /** The environment's policy on the command alerter and HTTP hosts (lib/rules/policy.ts). */
  readonly policy?: AlerterPolicy;
}

type Rule = Record<string, unknown>;

const err = (key: string, message: string): Finding => ({ key, message, severity: 'error' });
const warn = (key: string, message: string): Finding => ({ key, message, severity: 'warning' });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function present(rule: Rule, key: string): boolean {
  const v = rule[key];
  return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
}

function jsType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === 'boolean') return `the boolean ${v}`;
  return `the string ${JSON.stringify(v)}`;
}

function valueAt(rule: unknown, pointer: string): unknown {
  let cur: unknown = rule;
  for (const part of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return cur;
}

function pointerToKey(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function join(base: string, child: string): string {
  return base ? `${base}.${child}` : child;
}

/** Turns an ajv error into `key: message` with the fix, in the words of the rule author. */
function schemaFinding(e: ErrorObject, rule: Rule, ruleType: string | undefined, inBranch: boolean): Finding {
  const at = pointerToKey(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return err(
        join(at, missing),
        inBranch && !at
          ? `is required for type ${ruleType}: add it to the rule`
          : `is required: add it to the rule (every rule needs type, index and alert)`,
      );
    }
    case 'type': {
      const got = valueAt(rule, e.instancePath);
      const expected = String(params.type).replace(/,/g, ' or ');
      const hint =
        typeof got === 'string' && /number|integer/.test(expected) && got.trim() !== '' && !Number.isNaN(Number(got))
          ? ' (remove the quotes around the number)'
          : typeof got === 'string' && /boolean/.test(expected)
            ? ' (write true or false without quotes)'
            : '';
      return err(at || '-', `must be ${expected}, got ${jsType(got)}${hint}`);
    }
    case 'enum':
      return err(
        at || '-',
        `must be one of ${(params.allowedValues as unknown[]).map((v) => String(v)).join(', ')}, got ${jsType(valueAt(rule, e.instancePath))}`,
      );
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const isTime = /timeframe|realert|aggregation|buffer_time|query_delay|timedelta|interval|window/.test(at);
      const suggestion = isTime ? didYouMean(extra, [...TIME_UNITS, 'schedule']) : undefined;
      return err(
        join(at, extra),
        isTime
          ? `is not a time unit${suggestion ? ` (did you mean "${suggestion}"?)` : ''}: use ${TIME_UNITS.join(', ')}`
          : 'is not allowed here: remove it or check the spelling',
      );
    }
    default:
      return err(
        at || '-',
        `${e.message ?? 'is invalid'}${params && Object.keys(params).length ? ` (${JSON.stringify(params)})` : ''}`,
      );
  }
}

function schemaFindings(rule: Rule): Finding[] {
  const schema = ruleSchema();
  const passes = (v: (data: unknown) => boolean) => v(rule);
  if (passes(schema.full)) return [];
  const out: Finding[] = [];
  if (!passes(schema.common)) {
    for (const e of schema.commonErrors()) out.push(schemaFinding(e, rule, undefined, false));
  }
  const type = rule.type;
  if (type !== undefined) {
    const branches = schema.branches.filter((b) => b.matches(type));
    if (branches.length === 0) {
      const suggestion = typeof type === 'string' ? didYouMean(type, RULE_TYPES) : undefined;
      out.push(
        err(
          'type',
          `unknown rule type ${jsType(type)}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}: use one of ${RULE_TYPES.join(', ')}, or module.ClassName for a custom rule type`,
        ),
      );
    } else if (branches.length === 1) {
      const branch = branches[0]!;
      const validate = branch.validate();
      if (!passes(validate)) {
        for (const e of validate.errors ?? []) out.push(schemaFinding(e, rule, String(type), true));
      }
    }
  }
  if (out.length === 0) out.push(err('type', 'is missing or selects no single rule type of the schema'));
  const seen = new Set<string>();
  return out.filter((f) => {
    const id = `${f.key}\u0000${f.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** `alert:` as ElastAlert reads it: a name, a list of names, or a list of `{name: {overrides}}`. */
function alerters(rule: Rule): { findings: Finding[]; entries: Array<{ name: string; overrides: Rule; key: string }> } {
  const findings: Finding[] = [];
  const entries: Array<{ name: string; overrides: Rule; key: string }> = [];
  const alert = rule.alert;
  if (alert === undefined) return { findings, entries };
  const list = Array.isArray(alert) ? alert : [alert];
  list.forEach((item, i) => {
    const key = Array.isArray(alert) ? `alert.${i}` : 'alert';
    if (typeof item === 'string') entries.push({ name: item, overrides: {}, key });
    else if (isObject(item) && Object.keys(item).length === 1) {
      const [name, overrides] = Object.entries(item)[0]!;
      if (overrides === null) {
        findings.push(
          err(
            `${key}.${name}`,
            `has no options (null): ElastAlert stops with a TypeError; write "- ${name}" or "- ${name}: {option: value}"`,
          ),
        );
      } else if (!isObject(overrides)) {
        findings.push(err(`${key}.${name}`, 'must be a mapping of options for this alerter'));
      }
      entries.push({ name, overrides: (overrides as Rule) ?? {}, key: `${key}.${name}` });
    } else {
      findings.push(err(key, 'must be an alerter name or a mapping {alerter_name: {options}} with one key'));
    }
  });
  return { findings, entries };
}

function secretFindings(scope: Rule, prefix: string, options: ValidateOptions): Finding[] {
  if (options.allowLiteralSecrets) return [];
  const out: Finding[] = [];
  for (const [key, value] of Object.entries(scope)) {
    if (!SECRET_FIELDS.has(key) || value === null || value === undefined || value === '') continue;
    const strings = Array.isArray(value) ? value : [value];
    const literal = strings.some((s) => typeof s !== 'string' || !options.isSecretReference(s));
    if (literal) {
      const env = options.environment ?? '<env>';
      const name = key.toUpperCase();
      out.push(
        err(
          join(prefix, key),
          `holds a literal credential: store it as an SSM SecureString /elk/${env}/alerter/${name}, declare ${name} under alerter.secrets and write '@@secret:${name}@@' here`,
        ),
      );
    }
  }
  return out;
}

/** The checks ElastAlert makes when it loads a rule that the schema does not express. */
function loadTimeFindings(rule: Rule, options: ValidateOptions): Finding[] {
  const out: Finding[] = [];
  const type = rule.type;

  if (
    rule.name !== undefined &&
    (typeof rule.name !== 'string' || rule.name.trim() === '' || /[\r\n]/.test(rule.name))
  ) {
    out.push(err('name', 'must be a non-empty single-line string'));
  }

  const { findings, entries } = alerters(rule);
  out.push(...findings);
  for (const { name, overrides, key } of entries) {
    const required = ALERTER_REQUIRED_OPTIONS[name];
    if (required === undefined) {
      if (!name.includes('.')) {
        const suggestion = didYouMean(name, Object.keys(ALERTER_REQUIRED_OPTIONS));
        out.push(
          err(
            key,
            `unknown alerter "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}: use a built-in alerter or module.ClassName for a custom one`,
          ),
        );
      }
      continue;
    }
    for (const option of required) {
      if (present(rule, option) || present(overrides, option)) continue;
      if (option in rule || option in overrides) {
        out.push(
          err(
            option,
            `is empty: ElastAlert loads the rule (it only checks that the option is there), but the ${name} alerter would have nowhere to send alerts; refused here, give it a value`,
          ),
        );
      } else
        out.push(err(option, `is required by the ${name} alerter: ElastAlert refuses to load the rule without it`));
    }
    out.push(...secretFindings(overrides, key, options));
  }

  const need = (cond: boolean, key: string, message: string) => {
    if (cond) out.push(err(key, message));
  };
  need(
    type === 'spike_aggregation' && !present(rule, 'metric_agg_key'),
    'metric_agg_key',
    'is required for type spike_aggregation: name the field to aggregate',
  );
  need(
    type === 'spike_aggregation' && !present(rule, 'metric_agg_type'),
    'metric_agg_type',
    'is required for type spike_aggregation: one of min, max, avg, sum, cardinality, value_count, percentiles',
  );
  need(
    type === 'cardinality' && !present(rule, 'max_cardinality') && !present(rule, 'min_cardinality'),
    'max_cardinality',
    'type cardinality needs max_cardinality or min_cardinality: add one of them',
  );
  need(
    type === 'metric_aggregation' && !present(rule, 'max_threshold') && !present(rule, 'min_threshold'),
    'max_threshold',
    'type metric_aggregation needs max_threshold or min_threshold: add one of them',
  );
  need(
    type === 'percentage_match' && !present(rule, 'max_percentage') && !present(rule, 'min_percentage'),
    'max_percentage',
    'type percentage_match needs min_percentage or max_percentage: add one of them',
  );
  need(
    rule.use_terms_query === true && !present(rule, 'query_key'),
    'query_key',
    'is required when use_terms_query is true: set the field to count terms of',
  );
  for (const f of TIME_FIELDS) {
    if (!(f in rule)) continue;
    const problem = timeOptionProblem(f, rule[f]);
    if (problem) out.push(err(f, problem));
  }
  out.push(...constructorFindings(rule, entries, options.globals));
  if (rule.import !== undefined) {
    out.push(
      err('import', 'is not supported: the bundle ships rule files only; inline the shared options or use @@TOKENS@@'),
    );
  }

  const known = ruleSchema().knownKeys;
  for (const key of Object.keys(rule)) {
    if (known.has(key)) continue;
    const suggestion = didYouMean(key, known);
    out.push(
      warn(
        key,
        `unknown option, ElastAlert ignores it${suggestion ? `; did you mean "${suggestion}"?` : ' (check the spelling)'}`,
      ),
    );
  }
  out.push(...secretFindings(rule, '', options));
  out.push(...alerterPolicyFindings(rule, options.policy));
  return out;
}

/** Validates one rendered rule: ElastAlert's schema, then the load-time checks the schema misses. */
export function validateRule(rule: unknown, options: ValidateOptions): Finding[] {
  if (!isObject(rule)) return [err('-', `a rule file must be a YAML mapping, got ${jsType(rule)}`)];
  return oneLinePerPeriodProblem(schemaFindings(rule), loadTimeFindings(rule, options));
}

/**
 * A time period with a wrong value is found by the schema and by the loader's own check: one line each. The schema's
 * stays when it points inside the period (`timeframe.minute: is not a time unit (did you mean "minutes"?)`), the
 * loader's when both name the option itself (`timeframe: must be a time period such as {minutes: 5}`).
 */
function oneLinePerPeriodProblem(schema: Finding[], loader: Finding[]): Finding[] {
  const periods = new Set<string>(TIME_FIELDS);
  const loaderKeys = new Set(loader.filter((f) => f.severity === 'error' && periods.has(f.key)).map((f) => f.key));
  const inside = (key: string) => schema.some((f) => f.key.startsWith(`${key}.`));
  return [
    ...schema.filter((f) => !(loaderKeys.has(f.key) && !inside(f.key))),
    ...loader.filter((f) => !(f.severity === 'error' && periods.has(f.key) && inside(f.key))),
  ];
}
