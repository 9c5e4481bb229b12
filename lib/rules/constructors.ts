import { jinjaProblem } from './jinja';
import { periodSeconds, timeOptionProblem } from './timeperiod';

/**
 * What ElastAlert 2.31.0 checks when it builds a rule after the schema: the rule type's constructor
 * (ruletypes.py), the loader's own checks (loaders.py load_options, load_modules, load_alerts,
 * load_jinja_template) and each alerter's constructor (alerters/*.py), plus what the bundle cannot carry (files,
 * Python modules). Pure: takes the rule as parsed, returns findings.
 */

export interface Finding {
  readonly key: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** config.yaml's values that a rule inherits when it does not set them. */
export interface RuleGlobals {
  readonly runEverySeconds: number;
  readonly bufferTimeMinutes: number;
}

export const DEFAULT_GLOBALS: RuleGlobals = { runEverySeconds: 60, bufferTimeMinutes: 15 };

type Rule = Record<string, unknown>;

const err = (key: string, message: string): Finding => ({ key, message, severity: 'error' });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Python truthiness of a parsed YAML value. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

const NO_FILES =
  'the bundle ships rule files only (there is no rules/files/ folder on the instance), so the file would be missing and ElastAlert';

/**
 * Options whose value is a path, when ElastAlert 2.31.0 reads them (elsewhere it never opens the file, and the rule is
 * accepted as by ElastAlert). Shipping such files in the bundle (a rules/files/ folder) is not done: these files are
 * credentials, keys or templates that would need their own integrity and secret handling on the instance.
 */
function readFileOptions(name: string | undefined, c: Rule): Record<string, string> {
  const out: Record<string, string> = {};
  // loaders.py load_jinja_template: the rule and every alerter override block with alert_text_jinja
  if (name === undefined && c.alert_text_type === 'alert_text_jinja' && truthy(c.jinja_template_path)) {
    out.jinja_template_path = `${NO_FILES} refuses the rule at start-up (the template is loaded then); write the template in alert_text`;
  }
  if (name === 'email') {
    // alerters/email.py: the account file in the constructor; the certificate (and its key) at every email sent;
    // images with email_format html at every email sent (from assets_dir, default /tmp)
    if (truthy(c.smtp_auth_file))
      out.smtp_auth_file = `${NO_FILES} refuses the email alerter at start-up; use an SMTP relay without authentication, or the ses alerter`;
    if (truthy(c.smtp_cert_file)) {
      out.smtp_cert_file = `${NO_FILES} fails on every email sent`;
      if (truthy(c.smtp_key_file)) out.smtp_key_file = `${NO_FILES} fails on every email sent`;
    }
    const keys = Array.isArray(c.email_image_keys) ? c.email_image_keys.length : 0;
    const images = Array.isArray(c.email_image_values) ? c.email_image_values.length : 0;
    if (c.email_format === 'html' && Math.min(keys, images) > 0) {
      out.email_image_values = `${NO_FILES} fails on every email sent (html emails attach these images from assets_dir); put the images behind a URL in the html text`;
    }
  }
  // alerters/indexer.py: read at every alert when there is no indexer_connection
  if (name === 'indexer' && truthy(c.indexer_config) && !truthy(c.indexer_connection)) {
    out.indexer_config = `${NO_FILES} fails on every alert sent; write the connection as indexer_connection in the rule`;
  }
  return out;
}

/** Built-in match enhancements (elastalert/enhancements.py); anything else is a Python module path. */
const BUILTIN_ENHANCEMENTS = new Set(['BaseEnhancement', 'TimeEnhancement']);

function moduleFindings(rule: Rule): Finding[] {
  const out: Finding[] = [];
  const notInImage = 'cannot be in the pinned ElastAlert image (the bundle ships rule files only, no Python code)';
  if (typeof rule.type === 'string' && rule.type.includes('.')) {
    out.push(
      err('type', `${rule.type} is a custom rule type (a Python module) that ${notInImage}: use a built-in type`),
    );
  }
  if ('match_enhancements' in rule) {
    const list = rule.match_enhancements;
    if (!Array.isArray(list)) {
      out.push(err('match_enhancements', 'must be a list: ElastAlert iterates over it and stops with a TypeError'));
    } else {
      list.forEach((e, i) => {
        if (typeof e !== 'string' || !BUILTIN_ENHANCEMENTS.has(e)) {
          out.push(
            err(`match_enhancements.${i}`, `${String(e)} is a custom enhancement (a Python module) that ${notInImage}`),
          );
        }
      });
    }
  }
  if (rule.jinja_filters !== undefined) {
    out.push(err('jinja_filters', `names custom Jinja filters (Python modules) that ${notInImage}`));
  }
  return out;
}

/** The files ElastAlert would read for the rule (name undefined) or for one of its alerters. */
function fileFindings(name: string | undefined, config: Rule, prefix: string): Finding[] {
  return Object.entries(readFileOptions(name, config)).map(([key, why]) => err(prefix + key, `names a file: ${why}`));
}

function compareListFindings(rule: Rule): Finding[] {
  const out: Finding[] = [];
  for (const list of ['blacklist', 'whitelist'] as const) {
    if (rule.type !== list || !Array.isArray(rule[list])) continue;
    (rule[list] as unknown[]).forEach((entry, i) => {
      if (typeof entry !== 'string') {
        out.push(
          err(
            `${list}.${i}`,
            `must be text: ElastAlert calls startswith on every entry and stops (AttributeError); quote it`,
          ),
        );
      } else if (entry.startsWith('!file')) {
        out.push(
          err(
            `${list}.${i}`,
            `"${entry}" reads a list from a file: ${NO_FILES} refuses the rule; list the values in the rule`,
          ),
        );
      }
    });
  }
  return out;
}

/** The query_key as the loader leaves it: a list of several keys is joined with commas, one key is unwrapped. */
function loadedQueryKey(rule: Rule): unknown {
  const qk = rule.query_key;
  if (!Array.isArray(qk)) return qk;
  if (qk.length > 1) return qk.join(',');
  return qk.length === 1 ? qk[0] : undefined;
}

function aggregationFindings(rule: Rule, globals: RuleGlobals): Finding[] {
  const out: Finding[] = [];
  const type = rule.type;
  if (type !== 'metric_aggregation' && type !== 'spike_aggregation' && type !== 'percentage_match') return out;
  const bucket = rule.bucket_interval;
  if (truthy(bucket) && isObject(bucket)) {
    if (!['seconds', 'minutes', 'hours', 'days', 'weeks'].some((u) => u in bucket)) {
      out.push(
        err(
          'bucket_interval',
          'needs seconds, minutes, hours, days or weeks: ElastAlert refuses milliseconds ("Unsupported window size")',
        ),
      );
    } else {
      const b = periodSeconds(bucket);
      const byRunEvery = truthy(rule.use_run_every_query_size);
      const baseKey = byRunEvery ? 'run_every' : 'buffer_time';
      const inherited = byRunEvery ? globals.runEverySeconds : globals.bufferTimeMinutes * 60;
      const base = rule[baseKey] === undefined ? { seconds: inherited } : periodSeconds(rule[baseKey]);
      if ('seconds' in b && 'seconds' in base) {
        if (b.seconds === 0) {
          out.push(err('bucket_interval', 'is zero: ElastAlert divides by it and stops (ZeroDivisionError)'));
        } else if (base.seconds % b.seconds !== 0) {
          out.push(
            err(
              'bucket_interval',
              `(${b.seconds} s) must divide ${baseKey} (${base.seconds} s${rule[baseKey] === undefined ? ', from config.yaml' : ''}) evenly: ElastAlert refuses the rule`,
            ),
          );
        }
      }
    }
    if (type === 'spike_aggregation') {
      out.push(err('bucket_interval', 'is not supported by spike_aggregation: ElastAlert refuses the rule; remove it'));
    }
  }
  if (
    (type === 'metric_aggregation' || type === 'spike_aggregation') &&
    rule.metric_agg_type === 'percentiles' &&
    (rule.percentile_range === undefined || rule.percentile_range === null)
  ) {
    out.push(
      err(
        'percentile_range',
        'is required with metric_agg_type: percentiles (e.g. 95): ElastAlert refuses the rule without it',
      ),
    );
  }
  return out;
}

function newTermFindings(rule: Rule): Finding[] {
  if (rule.type !== 'new_term') return [];
  const qk = loadedQueryKey(rule);
  if (!('fields' in rule) && qk === undefined) {
    return [err('fields', 'type new_term needs fields or query_key: list the fields whose new values should alert')];
  }
  const raw = 'fields' in rule ? rule.fields : qk;
  if (!truthy(raw))
    return [err('fields' in rule ? 'fields' : 'query_key', 'must not be empty: ElastAlert refuses the rule')];
  const fields = Array.isArray(raw) ? raw : [raw];
  if (!truthy(rule.use_terms_query)) return [];
  if (fields.length !== 1 || Array.isArray(fields[0])) {
    return [err('fields', 'use_terms_query works with one field that is not composite: ElastAlert refuses the rule')];
  }
  if (fields[0] !== qk) {
    return [
      err(
        'fields',
        `with use_terms_query, fields must be [query_key] (${JSON.stringify(qk)}): ElastAlert refuses different ones`,
      ),
    ];
  }
  return [];
}

function alerterFindings(name: string, config: Rule, prefix: string): Finding[] {
  const out: Finding[] = [];
  if (name === 'jira') {
    out.push(
      err(
        prefix || 'alert',
        `the jira alerter needs jira_account_file: ${NO_FILES} refuses it (it also connects to Jira while loading the rule)`,
      ),
    );
  }
  if (name === 'gelf' && typeof config.gelf_type === 'string') {
    if (config.gelf_type.includes('http')) {
      if (config.gelf_endpoint === undefined || config.gelf_endpoint === null) {
        out.push(
          err(`${prefix}gelf_endpoint`, 'is required with gelf_type: http: ElastAlert refuses the alerter without it'),
        );
      }
    } else {
      for (const k of ['gelf_host', 'gelf_port']) {
        if (config[k] === undefined || config[k] === null) {
          out.push(
            err(
              prefix + k,
              'is required with gelf_type: tcp (gelf_host and gelf_port): ElastAlert refuses the alerter without it',
            ),
          );
        }
      }
    }
  }
  if (name === 'alertmanager' && config.alertmanager_resolve_time !== undefined) {
    const p = timeOptionProblem('alertmanager_resolve_time', config.alertmanager_resolve_time);
    if (p) out.push(err(`${prefix}alertmanager_resolve_time`, p));
  }
  if (config.alert_text_type === 'alert_text_jinja' && !truthy(config.jinja_template_path)) {
    const p = jinjaProblem(String(config.alert_text ?? ''));
    if (p)
      out.push(
        err(
          `${prefix}alert_text`,
          `is not a valid Jinja template (ElastAlert compiles it at start-up and stops): ${p}`,
        ),
      );
    if (typeof config.alert_subject === 'string') {
      const s = jinjaProblem(config.alert_subject);
      if (s)
        out.push(
          err(`${prefix}alert_subject`, `is not a valid Jinja template (every alert would fail to render): ${s}`),
        );
    }
  }
  // an override block is loaded like a rule (its Jinja template too), then the alerter is built from it
  if (prefix) out.push(...fileFindings(undefined, config, prefix));
  out.push(...fileFindings(name, config, prefix));
  return out;
}

/** Checks of one rule's construction; `entries` are its alerters with their option overrides. */
export function constructorFindings(
  rule: Rule,
  entries: ReadonlyArray<{ name: string; overrides: Rule; key: string }>,
  globals: RuleGlobals = DEFAULT_GLOBALS,
): Finding[] {
  const out: Finding[] = [...moduleFindings(rule), ...fileFindings(undefined, rule, ''), ...compareListFindings(rule)];
  out.push(...aggregationFindings(rule, globals), ...newTermFindings(rule));
  if (truthy(rule.scan_entire_timeframe)) {
    const tf = rule.timeframe === undefined ? undefined : periodSeconds(rule.timeframe);
    if (!tf || ('seconds' in tf && tf.seconds === 0)) {
      out.push(
        err('timeframe', 'must be a non-zero period when scan_entire_timeframe is true: ElastAlert refuses the rule'),
      );
    }
  }
  if (rule.timestamp_type !== undefined) {
    const t = rule.timestamp_type;
    if (typeof t !== 'string' || !['iso', 'unix', 'unix_ms', 'custom'].includes(t.trim().toLowerCase())) {
      out.push(
        err(
          'timestamp_type',
          `must be one of iso, unix, unix_ms, custom (any case, spaces ignored), got ${JSON.stringify(t)}`,
        ),
      );
    }
  }
  if ('include' in rule && !Array.isArray(rule.include))
    out.push(err('include', 'must be a list: ElastAlert refuses the rule'));
  if ('include_fields' in rule && rule.include_fields !== null && !Array.isArray(rule.include_fields)) {
    out.push(err('include_fields', 'must be a list: ElastAlert refuses the rule'));
  }
  if (typeof rule.limit_execution === 'string') {
    const p = timeOptionProblem('aggregation', { schedule: rule.limit_execution });
    if (p) out.push(err('limit_execution', p.replace(/^schedule /, '')));
  }
  for (const { name, overrides, key } of entries) {
    if (name.includes('.')) {
      out.push(
        err(
          key,
          `${name} is a custom alerter (a Python module) that cannot be in the pinned ElastAlert image: use a built-in alerter`,
        ),
      );
      continue;
    }
    const isOverride = key.endsWith(`.${name}`);
    out.push(...alerterFindings(name, { ...rule, ...overrides }, isOverride ? `${key}.` : ''));
  }
  return out;
}
