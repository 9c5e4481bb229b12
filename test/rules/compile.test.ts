import * as path from 'path';
import { compileRules, compileRuleText, formatProblem, readRuleDir, RuleValues } from '../../lib/rules';
import { PROJECT_ROOT } from '../helpers/app';

const values: RuleValues = {
  environment: 'test',
  tokens: {
    MINUTES: 15,
    THRESHOLD: 50,
    URL: 'https://kibana.test',
    CHANNEL: '#alerts',
    PHONE: '0123456',
    ANSWER: 'yes',
    SHELLY: 'home is ${HOME}',
    RATIO: 0.5,
    FLAG: true,
  },
  secrets: { SLACK_WEBHOOK: '/elk/test/alerter/SLACK_WEBHOOK' },
};

/** A valid slack frequency rule; `extra` lines are appended, `drop` keys removed. */
function rule(extra = '', drop: string[] = []): string {
  const base: Record<string, string> = {
    name: 'name: Test rule',
    type: 'type: frequency',
    index: 'index: logs-*',
    num_events: 'num_events: @@THRESHOLD@@',
    timeframe: 'timeframe:\n  minutes: @@MINUTES@@',
    alert: 'alert:\n  - slack',
    slack_webhook_url: "slack_webhook_url: '@@secret:SLACK_WEBHOOK@@'",
  };
  return (
    Object.entries(base)
      .filter(([k]) => !drop.includes(k))
      .map(([, v]) => v)
      .join('\n') +
    '\n' +
    extra
  );
}

function compileOne(text: string, opts: { allowLiteralSecrets?: boolean; values?: RuleValues } = {}) {
  return compileRuleText('rules/test.yaml', text, opts.values ?? values, opts);
}

function errors(text: string, opts: { allowLiteralSecrets?: boolean; values?: RuleValues } = {}): string[] {
  return compileOne(text, opts)
    .problems.filter((p) => p.severity === 'error')
    .map(formatProblem);
}

describe('rule compiler: good rules', () => {
  test('substitutes unquoted number tokens as numbers and quoted tokens as text', () => {
    const r = compileOne(rule("slack_channel_override: '@@CHANNEL@@'\nkibana_url: '@@URL@@/app'"));
    expect(r.problems).toEqual([]);
    expect(r.rule!.content).toMatch(/num_events: 50\n/);
    expect(r.rule!.content).toMatch(/minutes: 15\n/);
    expect(r.rule!.content).toMatch(/slack_channel_override: "#alerts"\n/);
    expect(r.rule!.content).toMatch(/kibana_url: https:\/\/kibana.test\/app\n/);
    expect(r.rule!.tokens).toEqual(['CHANNEL', 'MINUTES', 'THRESHOLD', 'URL']);
  });

  test('leaves a secret as a double-quoted ${ELK_SECRET_*} reference, never a value', () => {
    const r = compileOne(rule());
    expect(r.rule!.content).toContain('slack_webhook_url: "${ELK_SECRET_SLACK_WEBHOOK}"');
    expect(r.rule!.secrets).toEqual(['SLACK_WEBHOOK']);
  });

  test('a quoted token keeps a string that YAML 1.1 would otherwise turn into a number', () => {
    const r = compileOne(rule("alert_subject: '@@PHONE@@'"));
    expect(r.problems).toEqual([]);
    expect(r.rule!.content).toContain('alert_subject: "0123456"');
  });

  test('reads YAML 1.1 like PyYAML: yes is true, 0x10 is 16', () => {
    const r = compileOne(rule('use_count_query: yes\nterms_size: 0x10'));
    expect(r.problems).toEqual([]);
    expect(r.rule!.content).toMatch(/use_count_query: true\n/);
    expect(r.rule!.content).toMatch(/terms_size: 16\n/);
  });

  test('a rule without a name gets its file name, written explicitly', () => {
    const r = compileOne(rule('', ['name']));
    expect(r.rule!.name).toBe('test');
    expect(r.rule!.content).toMatch(/^name: test$/m);
  });

  test('tokens in comments are ignored', () => {
    expect(compileOne(rule('# uses @@NOT_DEFINED@@ only in a comment')).problems).toEqual([]);
  });

  test.each(['dev', 'ci', 'staging', 'production'])('the project rules compile for %s', (env) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { loadEnvironment } = require('../../lib/config') as typeof import('../../lib/config');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { environmentRules } = require('../../lib/rules') as typeof import('../../lib/rules');
    const { result, bundle } = environmentRules(loadEnvironment(env));
    expect(result.problems.map(formatProblem)).toEqual([]);
    expect(bundle!.rules.map((r) => r.name).sort()).toEqual([
      'Error log spike',
      'Log ingestion stopped',
      'Repeated authentication failures',
    ]);
  });
});

describe('rule compiler: each bad rule fails with its promised message', () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      'a token without a value',
      rule('alert_subject: "@@MISSING@@"'),
      /alert_subject: token @@MISSING@@ has no value in environment "test": add "MISSING: <value>" under alerter.tokens/,
    ],
    [
      'a string token that YAML 1.1 reads as an octal number',
      rule('alert_subject: @@PHONE@@'),
      /alert_subject: token @@PHONE@@ = "0123456" is written as a str but YAML 1.1 .* turns it into int 42798 .*quote the token/,
    ],
    [
      'a string token that YAML 1.1 reads as a boolean',
      rule('alert_subject: @@ANSWER@@'),
      /alert_subject: token @@ANSWER@@ = "yes" is written as a str but .* turns it into bool true/,
    ],
    [
      'an unquoted value that becomes a number after substitution',
      rule('alert_subject: 1@@THRESHOLD@@'),
      /alert_subject: after substituting tokens this unquoted value reads as int 150/,
    ],
    [
      '$VAR text ElastAlert would expand',
      rule('alert_text: "look at $HOME"'),
      /alert_text: contains "\$HOME", which ElastAlert replaces/,
    ],
    ['${VAR} text from a token value', rule("alert_text: '@@SHELLY@@'"), /alert_text: contains "\$\{HOME\}"/],
    [
      'an undeclared secret',
      rule("slack_title: '@@secret:NOPE@@'"),
      /secret @@secret:NOPE@@ is not declared for environment "test"/,
    ],
    ['a malformed token', rule("alert_subject: '@@lower@@'"), /malformed token @@lower@@: write @@UPPER_CASE_NAME@@/],
    [
      'a duplicate key',
      rule('index: other-*'),
      /-: duplicate key \(line 10, column 1\): PyYAML would silently keep the last one/,
    ],
    ['invalid YAML', rule('filter: [unclosed'), /-: invalid YAML/],
    [
      'slack without its webhook',
      rule('', ['slack_webhook_url']),
      /slack_webhook_url: is required by the slack alerter: ElastAlert refuses to load the rule without it/,
    ],
    [
      'frequency without timeframe',
      rule('', ['timeframe']),
      /timeframe: is required for type frequency: add it to the rule/,
    ],
    ['a rule without index', rule('', ['index']), /index: is required: add it to the rule/],
    [
      'a misspelt rule type',
      rule('', ['type']) + 'type: frequncy\n',
      /type: unknown rule type the string "frequncy" \(did you mean "frequency"\?\)/,
    ],
    [
      'a quoted number',
      rule('', ['num_events']) + "num_events: '5'\n",
      /num_events: must be integer, got the string "5" \(remove the quotes/,
    ],
    [
      'a float ElastAlert reads as text (1e3 has no dot)',
      rule('', ['num_events']) + 'num_events: 1e3\n',
      /num_events: must be integer, got the string "1e3"/,
    ],
    [
      'a misspelt time unit',
      rule('realert:\n  minute: 5'),
      /realert.minute: is not a time unit \(did you mean "minutes"\?\)/,
    ],
    [
      'a misspelt alerter',
      rule('', ['alert']) + 'alert: [slak]\n',
      /alert.0: unknown alerter "slak" \(did you mean "slack"\?\)/,
    ],
    [
      'a literal webhook URL',
      rule('', ['slack_webhook_url']) + 'slack_webhook_url: https://hooks.slack.com/services/T0/B0/x\n',
      /slack_webhook_url: holds a literal credential: store it as an SSM SecureString \/elk\/test\/alerter\/SLACK_WEBHOOK_URL/,
    ],
    [
      'a literal key inside an alerter override',
      rule('', ['alert', 'slack_webhook_url']) + 'alert:\n  - slack:\n      slack_webhook_url: https://hooks/x\n',
      /alert.0.slack.slack_webhook_url: holds a literal credential/,
    ],
    ['import', rule('import: base.config'), /import: is not supported/],
    [
      'cardinality without min or max',
      'name: c\ntype: cardinality\nindex: x\ncardinality_field: user\ntimeframe: {hours: 1}\nalert: debug\n',
      /max_cardinality: type cardinality needs max_cardinality or min_cardinality/,
    ],
    [
      'spike_aggregation without metric_agg_key',
      'name: s\ntype: spike_aggregation\nindex: x\nspike_height: 2\nspike_type: up\ntimeframe: {hours: 1}\nmetric_agg_type: avg\nalert: debug\n',
      /metric_agg_key: is required for type spike_aggregation/,
    ],
    [
      'use_terms_query without query_key',
      rule('use_terms_query: true'),
      /query_key: is required when use_terms_query is true/,
    ],
    [
      'a run_every that is not a time period',
      rule('run_every: 5'),
      /run_every: must be a time period such as \{minutes: 5\}/,
    ],
    ['a rule that is not a mapping', '- just\n- a list\n', /-: a rule file must be a YAML mapping, got a list/],
  ];
  test.each(cases)('%s', (_label, text, expected) => {
    const errs = errors(text);
    expect(errs.some((e) => expected.test(e))).toBe(true);
    for (const e of errs) expect(e).toMatch(/^rules\/test\.yaml: [^:]+: /);
  });

  test('allowLiteralSecrets accepts a literal webhook URL', () => {
    const text = rule('', ['slack_webhook_url']) + 'slack_webhook_url: https://hooks.slack.com/services/T0/B0/x\n';
    expect(errors(text, { allowLiteralSecrets: true })).toEqual([]);
  });

  test('an unknown top-level key is a warning with a did-you-mean, not an error', () => {
    const r = compileOne(rule('slack_channel_overide: "#x"'));
    expect(r.rule).toBeDefined();
    expect(r.problems.map(formatProblem)).toEqual([
      'rules/test.yaml: Test rule: slack_channel_overide: warning: unknown option, ElastAlert ignores it; did you mean "slack_channel_override"?',
    ]);
  });
});

describe('rule compiler: across files', () => {
  test('two rules with the same name fail', () => {
    const r = compileRules(
      [
        { file: 'rules/a.yaml', text: rule() },
        { file: 'rules/b.yaml', text: rule() },
      ],
      values,
    );
    expect(r.problems.map(formatProblem)).toContain(
      'rules/b.yaml: Test rule: name: duplicate rule name (also in rules/a.yaml): ElastAlert refuses to start with two rules of the same name; rename one',
    );
  });

  test('a token no rule uses is a warning on the environment file', () => {
    const r = compileRules([{ file: 'rules/a.yaml', text: rule() }], values);
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(r.problems.map(formatProblem)).toContain(
      'config/environments/test.yaml: -: alerter.tokens.PHONE: warning: is defined but no rule uses it (remove it, or check the spelling of the token in the rules)',
    );
  });

  test('a secret parameter outside /elk/<env>/alerter/ fails', () => {
    const r = compileRules([], { ...values, secrets: { X: '/other/path/X' } });
    expect(r.problems.map(formatProblem)).toEqual([
      "config/environments/test.yaml: -: alerter.secrets.X: is /other/path/X: secret parameters must live under /elk/test/alerter/ (the alerter's role can read only that path); use /elk/test/alerter/X",
    ]);
  });
});

describe('conformance with the upstream ElastAlert examples', () => {
  // shared/ sits beside the checkout (ELK_SHARED_DIR points elsewhere, e.g. from a git worktree)
  const shared = process.env.ELK_SHARED_DIR ?? path.join(PROJECT_ROOT, '..', 'shared');
  const dir = path.join(shared, 'elastalert2', 'example-rules');
  const sources = [...readRuleDir(dir), ...readRuleDir(path.join(dir, 'chart-deadman'))];
  const base = (f: string) => path.basename(f);
  const errorFiles = (allow: boolean) =>
    [
      ...new Set(
        compileRules(sources, { environment: 'test', tokens: {}, secrets: {} }, { allowLiteralSecrets: allow })
          .problems.filter((p) => p.severity === 'error')
          .map((p) => base(p.file)),
      ),
    ].sort();

  test('the copies are there (17 files)', () => {
    expect(sources).toHaveLength(17);
  });

  test('with allowLiteralSecrets every example passes except example_thehive_frequency.yaml, as upstream', () => {
    expect(errorFiles(true)).toEqual(['example_thehive_frequency.yaml']);
    const thehive = compileRules(
      sources.filter((s) => base(s.file) === 'example_thehive_frequency.yaml'),
      { environment: 'test', tokens: {}, secrets: {} },
      { allowLiteralSecrets: true },
    );
    expect(thehive.problems.map((p) => `${p.key}: ${p.message}`)).toContain(
      'timeframe: is required for type frequency: add it to the rule',
    );
  });

  test('without it, the examples with a literal webhook, key or token fail with the literal-secret message', () => {
    const literal = [
      'deadman_pagerduty.yml',
      'deadman_slack.yaml',
      'example_iris_alert_any.yaml',
      'example_opsgenie_frequency.yaml',
      'example_tencent_sms.yaml',
      'exemple_discord_any.yaml',
      'ssh-repeat-offender.yaml',
      'ssh.yaml',
    ];
    expect(errorFiles(false)).toEqual([...literal, 'example_thehive_frequency.yaml'].sort());
    const r = compileRules(
      sources.filter((s) => literal.includes(base(s.file))),
      { environment: 'test', tokens: {}, secrets: {} },
    );
    for (const f of literal) {
      const errs = r.problems.filter((p) => base(p.file) === f && p.severity === 'error');
      expect(errs.length).toBeGreaterThan(0);
      for (const e of errs) expect(e.message).toMatch(/^holds a literal credential/);
    }
  });
});
