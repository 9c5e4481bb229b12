import { compileRules, compileRuleText, formatProblem, readYaml11, RuleValues } from '../../lib/rules';
import { cronProblem } from '../../lib/rules/cron';
import { jinjaProblem } from '../../lib/rules/jinja';

/**
 * Edge cases where ElastAlert 2.31.0's own loader (loaders.py, ruletypes.py, alerters/*.py) and the checker must
 * agree: ElastAlert refuses (or crashes on) the rule → an error here; ElastAlert accepts it → no error here.
 */

const values: RuleValues = {
  environment: 'test',
  tokens: {},
  secrets: { HOOK: '/elk/test/alerter/HOOK' },
};

const base = (type = 'any') =>
  `name: Edge\ntype: ${type}\nindex: logs-*\nalert:\n  - slack\nslack_webhook_url: '@@secret:HOOK@@'\n`;

function compile(text: string) {
  return compileRuleText('rules/edge.yaml', text, values);
}
const errors = (text: string) =>
  compile(text)
    .problems.filter((p) => p.severity === 'error')
    .map((p) => `${p.key}: ${p.message}`);

const frequency = (extra: string) => `${base('frequency')}num_events: 3\n${extra}`;

describe('time periods as timedelta(**value)', () => {
  test.each([
    ['a huge number (OverflowError)', 'timeframe: {days: 1.0e+12}', /timeframe: .*timedelta.*OverflowError/],
    ['an integer beyond 2^63', 'timeframe: {seconds: 123456789012345678901234567890}', /timeframe: .*OverflowError/],
    ['.inf', 'timeframe: {minutes: .inf}', /timeframe: .*OverflowError/],
    ['.nan', 'timeframe: {minutes: .nan}', /timeframe: .*\.nan.*ValueError/],
    ['realert overflow', 'timeframe: {minutes: 5}\nrealert: {weeks: 1.0e+300}', /realert: .*OverflowError/],
    ['an empty schedule', 'timeframe: {minutes: 5}\naggregation: {schedule: ""}', /aggregation: schedule is empty/],
    [
      'a schedule that is not cron',
      'timeframe: {minutes: 5}\naggregation: {schedule: "every hour"}',
      /not a valid cron/,
    ],
    ['a cron minute out of range', 'timeframe: {minutes: 5}\naggregation: {schedule: "61 * * * *"}', /out of range/],
    [
      'limit_execution not cron',
      'timeframe: {minutes: 5}\nlimit_execution: "0 25 * * *"',
      /limit_execution: .*out of range/,
    ],
  ])('%s is an error', (_what, extra, message) => {
    expect(errors(frequency(extra))).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  test.each([
    ['{} (a zero period)', 'timeframe: {}'],
    ['a schedule with units', 'timeframe: {minutes: 5}\naggregation: {schedule: "*/15 * * * *", minutes: 5}'],
    ['a cron alias', 'timeframe: {minutes: 5}\naggregation: {schedule: "@hourly"}'],
    ['999,999,999 days', 'timeframe: {days: 999999999}'],
  ])('%s is accepted, as by ElastAlert', (_what, extra) => {
    expect(errors(frequency(extra))).toEqual([]);
  });
});

describe('a wrong time period is one problem, one line', () => {
  test.each([
    ['a quoted number', 'timeframe: {minutes: "5"}', /^timeframe\.minutes: must be number, got the string "5"/],
    [
      'a misspelt unit',
      'timeframe: {minute: 5}',
      /^timeframe\.minute: is not a time unit \(did you mean "minutes"\?\)/,
    ],
    ['a number', 'timeframe: 5', /^timeframe: must be a time period such as \{minutes: 5\}/],
    ['null', 'timeframe: ~', /^timeframe: must be a time period such as \{minutes: 5\}.*got null/],
    [
      'a schedule that is a number',
      'timeframe: {minutes: 5}\naggregation: {schedule: 5}',
      /^aggregation\.schedule: must be string/,
    ],
  ])('%s', (_what, extra, message) => {
    expect(errors(frequency(extra))).toEqual([expect.stringMatching(message)]);
  });
});

describe('YAML as PyYAML parses it, and rendered so that PyYAML reads back the same', () => {
  test.each([
    ['an unquoted =', 'alert_subject: =', /alert_subject: an unquoted = is YAML 1\.1's value tag/],
    ['an unquoted << as a value', 'alert_subject: <<', /alert_subject: an unquoted << is YAML 1\.1's merge tag/],
    ['a merge of a scalar', '<<: defaults', /merge key \(<<\) must be followed by a mapping/],
    ['an unknown tag', 'description: !file /etc/list', /unknown YAML tag.*could not determine a constructor/],
  ])('%s is an error', (_what, extra, message) => {
    expect(errors(base() + extra)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  test('a Python tag is refused without claiming that PyYAML cannot read it (its FullLoader builds a tuple)', () => {
    const e = errors(`${base()}description: !!python/tuple [a, b]\n`);
    expect(e).toEqual([expect.stringMatching(/^-: Python-specific YAML tag .*FullLoader.* refused here/)]);
    expect(e[0]).not.toMatch(/could not determine a constructor/);
  });

  test('quoted = and << are text, and are rendered quoted', () => {
    const r = compile(base() + "alert_subject: '='\nalert_text: '<<'\ndescription: x\n");
    expect(r.problems).toEqual([]);
    expect(r.rule!.content).toContain('alert_subject: "="\n');
    expect(r.rule!.content).toContain('alert_text: "<<"\n');
    expect(readYaml11(r.rule!.content)).toMatchObject({ alert_subject: '=', alert_text: '<<' });
  });

  test('a merge key that PyYAML accepts still merges', () => {
    const r = compile(`defaults: &d {realert: {minutes: 5}}\n${base()}<<: *d\n`);
    expect(r.rule!.content).toMatch(/\nrealert:\n {2}minutes: 5\n/);
  });

  test('integers beyond 2^53 keep their value', () => {
    const r = compile(frequency('timeframe: {minutes: 5}\nmax_query_size: 9007199254740993\n'));
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(r.rule!.content).toContain('max_query_size: 9007199254740993\n');
  });
});

describe('null option blocks', () => {
  test('- slack: ~ is an error (ElastAlert updates the rule with None: TypeError)', () => {
    const text = base().replace('  - slack\n', '  - slack: ~\n');
    expect(errors(text)).toEqual([expect.stringMatching(/^alert\.0\.slack: has no options \(null\)/)]);
  });

  test('- slack: {} is accepted', () => {
    expect(errors(base().replace('  - slack\n', '  - slack: {}\n'))).toEqual([]);
  });

  test.each([
    ['timeframe: ~', frequency('timeframe: ~')],
    ['match_enhancements: ~', `${base()}match_enhancements: ~\n`],
    ['include: ~', `${base()}include: ~\n`],
  ])('%s is an error', (_what, text) => {
    expect(errors(text).length).toBeGreaterThan(0);
  });
});

describe("rule types' constructors", () => {
  const metric = (extra: string) => `${base('metric_aggregation')}metric_agg_key: cpu\nmax_threshold: 0.9\n${extra}`;

  test.each([
    ['percentiles without percentile_range', metric('metric_agg_type: percentiles'), /^percentile_range: is required/],
    [
      'bucket_interval that does not divide buffer_time (15 min, from config.yaml)',
      metric('metric_agg_type: avg\nbucket_interval: {minutes: 7}'),
      /^bucket_interval: \(420 s\) must divide buffer_time \(900 s, from config\.yaml\)/,
    ],
    [
      'bucket_interval that does not divide the rule buffer_time',
      metric('metric_agg_type: avg\nbuffer_time: {minutes: 10}\nbucket_interval: {minutes: 4}'),
      /must divide buffer_time \(600 s\)/,
    ],
    [
      'bucket_interval that does not divide run_every with use_run_every_query_size',
      metric(
        'metric_agg_type: avg\nuse_run_every_query_size: true\nrun_every: {seconds: 90}\nbucket_interval: {minutes: 1}',
      ),
      /must divide run_every \(90 s\)/,
    ],
    [
      'bucket_interval in milliseconds',
      metric('metric_agg_type: avg\nbucket_interval: {milliseconds: 500}'),
      /Unsupported window size/,
    ],
    [
      'spike_aggregation with bucket_interval',
      `${base('spike_aggregation')}metric_agg_key: cpu\nmetric_agg_type: avg\nspike_height: 2\nspike_type: up\ntimeframe: {minutes: 5}\nbucket_interval: {minutes: 5}\n`,
      /not supported by spike_aggregation/,
    ],
    ['new_term with empty fields', `${base('new_term')}fields: []\n`, /^fields: must not be empty/],
    [
      'new_term use_terms_query with two fields',
      `${base('new_term')}fields: [a, b]\nquery_key: a\nuse_terms_query: true\n`,
      /one field that is not composite/,
    ],
    [
      'new_term use_terms_query with another field than query_key',
      `${base('new_term')}fields: [b]\nquery_key: a\nuse_terms_query: true\n`,
      /fields must be \[query_key\]/,
    ],
    [
      'scan_entire_timeframe with a zero timeframe',
      frequency('timeframe: {}\nscan_entire_timeframe: true'),
      /^timeframe: must be a non-zero/,
    ],
    [
      'a blacklist entry that is a number',
      `${base('blacklist')}compare_key: user\nblacklist: [1]\n`,
      /^blacklist\.0: must be text/,
    ],
  ])('%s is an error', (_what, text, message) => {
    expect(errors(text)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  test.each([
    ['percentiles with percentile_range', metric('metric_agg_type: percentiles\npercentile_range: 95')],
    ['a bucket_interval that divides buffer_time', metric('metric_agg_type: avg\nbucket_interval: {minutes: 5}')],
    [
      'new_term on query_key with use_terms_query',
      `${base('new_term')}query_key: user.keyword\nuse_terms_query: true\n`,
    ],
  ])('%s is accepted', (_what, text) => {
    expect(errors(text)).toEqual([]);
  });

  test('the config.yaml buffer_time of the environment is used', () => {
    const text = metric('metric_agg_type: avg\nbucket_interval: {minutes: 7}');
    const r = compileRules([{ file: 'rules/m.yaml', text }], values, {
      globals: { runEverySeconds: 60, bufferTimeMinutes: 14 },
    });
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });
});

describe("alerters' constructors", () => {
  const gelf = (extra: string) => base().replace('  - slack\n', '  - gelf\n') + extra;
  test.each([
    ['gelf http without gelf_endpoint', gelf('gelf_type: http\n'), /^gelf_endpoint: is required with gelf_type: http/],
    [
      'gelf tcp without gelf_port',
      gelf('gelf_type: tcp\ngelf_host: graylog\n'),
      /^gelf_port: is required with gelf_type: tcp/,
    ],
    [
      'alertmanager_resolve_time that is not a period',
      base().replace('  - slack\n', '  - alertmanager\n') +
        "alertmanager_hosts: ['http://am:9093']\nalertmanager_resolve_time: 5\n",
      /^alertmanager_resolve_time: must be a time period/,
    ],
  ])('%s is an error', (_what, text, message) => {
    expect(errors(text)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  test('gelf over tcp with host and port is accepted', () => {
    expect(errors(gelf('gelf_type: tcp\ngelf_host: graylog\ngelf_port: 12201\n'))).toEqual([]);
  });

  test('an empty email list: refused here, and the message does not claim ElastAlert refuses it', () => {
    const text = base().replace('  - slack\n', '  - email\n') + 'email: []\n';
    const e = errors(text);
    expect(e).toEqual([expect.stringMatching(/^email: is empty: ElastAlert loads the rule/)]);
    expect(e[0]).not.toMatch(/refuses/);
  });
});

describe('Jinja alert_text is compiled at load', () => {
  const jinja = (t: string) => `${base()}alert_text_type: alert_text_jinja\nalert_text: ${JSON.stringify(t)}\n`;
  test.each([
    ['{{ host', /never closed with \}\}/],
    ['{% if a %}x', /\{% if %\} on line 1 is never closed/],
    ['{% for a in b %}x{% endif %}', /closes \{% for %\}/],
    ['{{ }}', /empty expression/],
    ["{{ 'abc }}", /never closed|unterminated/],
    ['{% frobnicate %}', /unknown tag "frobnicate"/],
  ])('%s is an error', (template, message) => {
    expect(errors(jinja(template))).toEqual([expect.stringMatching(message)]);
  });

  test('a valid template passes, and without alert_text_jinja the text is not a template', () => {
    expect(errors(jinja('{% if a %}{{ a | upper }}{% else %}-{% endif %}{# c #}{% raw %}{{{% endraw %}'))).toEqual([]);
    expect(errors(`${base()}alert_text: "{{ host"\n`)).toEqual([]);
  });
});

describe('what the bundle cannot carry', () => {
  test.each([
    [
      'smtp_auth_file',
      base().replace('  - slack\n', '  - email\n') + 'email: [a@b.c]\nsmtp_auth_file: /etc/smtp.yaml\n',
      /^smtp_auth_file: names a file/,
    ],
    [
      'jinja_template_path',
      `${base()}alert_text_type: alert_text_jinja\njinja_template_path: t.j2\n`,
      /^jinja_template_path: names a file/,
    ],
    [
      'a !file blacklist',
      `${base('blacklist')}compare_key: user\nblacklist: ['!file /etc/bad-users']\n`,
      /^blacklist\.0: .*reads a list from a file/,
    ],
    [
      'the jira alerter',
      base().replace('  - slack\n', '  - jira\n') +
        'jira_server: https://j\njira_account_file: a.yaml\njira_project: P\njira_issuetype: Bug\n',
      /the jira alerter needs jira_account_file/,
    ],
    [
      'smtp_cert_file (read at every email sent)',
      base().replace('  - slack\n', '  - email\n') + 'email: [a@b.c]\nsmtp_cert_file: c.pem\nsmtp_key_file: k.pem\n',
      /^smtp_key_file: names a file/,
    ],
    [
      'html email images (read from assets_dir at every email sent)',
      base().replace('  - slack\n', '  - email\n') +
        'email: [a@b.c]\nemail_format: html\nemail_image_keys: [logo]\nemail_image_values: [logo.png]\n',
      /^email_image_values: names a file/,
    ],
    [
      'indexer_config without indexer_connection (read at every alert)',
      base().replace('  - slack\n', '  - indexer\n') + 'indexer_alert_config: {a: b}\nindexer_config: /etc/idx.yaml\n',
      /^indexer_config: names a file/,
    ],
    [
      'jinja_template_path in an alerter block with alert_text_jinja (loaded like a rule)',
      base().replace(
        '  - slack\n',
        '  - slack:\n      alert_text_type: alert_text_jinja\n      jinja_template_path: t.j2\n',
      ),
      /^alert\.0\.slack\.jinja_template_path: names a file/,
    ],
    ['a custom rule type', base('my.module.Rule'), /^type: my\.module\.Rule is a custom rule type/],
    [
      'a custom alerter',
      base().replace('  - slack\n', '  - my.alerts.Pager\n'),
      /^alert\.0: my\.alerts\.Pager is a custom alerter/,
    ],
    [
      'a custom enhancement',
      `${base()}match_enhancements: [my.enh.Drop]\n`,
      /^match_enhancements\.0: my\.enh\.Drop is a custom enhancement/,
    ],
  ])('%s is an error', (_what, text, message) => {
    expect(errors(text)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  // ElastAlert 2.31.0 opens these files only in the cases above: elsewhere it never reads them and loads the rule.
  test.each([
    ['smtp_auth_file without the email alerter', `${base()}smtp_auth_file: /etc/smtp.yaml\n`],
    [
      'smtp_key_file without smtp_cert_file',
      base().replace('  - slack\n', '  - email\n') + 'email: [a@b.c]\nsmtp_key_file: k.pem\n',
    ],
    ['jinja_template_path without alert_text_jinja', `${base()}jinja_template_path: t.j2\n`],
    [
      'email images without email_format html',
      base().replace('  - slack\n', '  - email\n') +
        'email: [a@b.c]\nemail_image_keys: [logo]\nemail_image_values: [l.png]\n',
    ],
    [
      'indexer_config beside indexer_connection',
      base().replace('  - slack\n', '  - indexer\n') +
        'indexer_alert_config: {a: b}\nindexer_config: /etc/idx.yaml\nindexer_connection: {es_host: es}\n',
    ],
  ])('%s: no file error, as ElastAlert never opens it', (_what, text) => {
    expect(errors(text).filter((e) => /names a file/.test(e))).toEqual([]);
  });
});

describe('false alarms and messages', () => {
  test('timestamp_type is normalised like ElastAlert (strip, lower case)', () => {
    expect(errors(`${base()}timestamp_type: ' Unix_MS '\n`)).toEqual([]);
    expect(errors(`${base()}timestamp_type: epoch\n`)).toEqual([
      expect.stringMatching(/^timestamp_type: must be one of/),
    ]);
  });

  test('a rule name with a line break is refused and its problems stay one line each', () => {
    const r = compile(base().replace('name: Edge', 'name: "Edge\\nSecond line"'));
    const lines = r.problems.map(formatProblem);
    expect(lines.some((l) => /name: must be a non-empty single-line string/.test(l))).toBe(true);
    for (const l of lines) expect(l).not.toContain('\n');
    expect(lines[0]).toContain('Edge\\nSecond line');
  });

  test('a rule without name gets a clear warning and its file name', () => {
    const r = compile(base().replace('name: Edge\n', ''));
    expect(r.rule!.name).toBe('edge');
    expect(r.problems.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^rules\/edge\.yaml: edge: name: warning: the rule has no name: it is deployed as "name: edge"/,
      ),
    ]);
  });

  test('x.yaml and x.yml are reported as one clash, even when the names differ', () => {
    const r = compileRules(
      [
        { file: 'rules/x.yaml', text: base() },
        { file: 'rules/x.yml', text: base().replace('Edge', 'Other') },
      ],
      values,
    );
    expect(r.problems.filter((p) => p.severity === 'error').map(formatProblem)).toEqual([
      'rules/x.yml: x: -: x.yaml and x.yml are the same rule file in the bundle (rules/x.yaml): ElastAlert would load both as two rules; delete or rename one',
    ]);
  });
});

describe('cron and Jinja checkers', () => {
  test.each([
    '* * * * *',
    '*/5 0-6 1,15 jan-mar mon-fri',
    '0 0 L * *',
    '0 0 * * 5#3',
    '0 0 * * * 30',
    '0 0 1 1 * 0 2030',
    '@daily',
  ])('cron %s is valid', (c) => expect(cronProblem(c)).toBeUndefined());
  test.each(['', '* * * *', '60 * * * *', '* * 0 * *', '*/0 * * * *', '@sometimes', 'a b c d e'])(
    'cron %j is refused',
    (c) => expect(cronProblem(c)).toBeDefined(),
  );
  test('jinja: set as a statement and as a block', () => {
    expect(jinjaProblem('{% set x = 1 %}{{ x }}')).toBeUndefined();
    expect(jinjaProblem('{% set x %}a{% endset %}')).toBeUndefined();
    expect(jinjaProblem('{% else %}')).toMatch(/outside an if/);
  });
});
