import { buildBundle, compileRules, formatProblem, readYaml11, RuleValues } from '../../lib/rules';

/** `escalation:` compiled into ordinary ElastAlert rules over the writeback index (issue #15, part 2). */

const values: RuleValues = {
  environment: 'test',
  tokens: { ONCALL_EMAIL: 'oncall@example.org' },
  secrets: { HOOK: '/elk/test/alerter/HOOK', PAGERDUTY_KEY: '/elk/test/alerter/PAGERDUTY_KEY' },
};

const base = `name: API errors
type: frequency
index: logs-*
num_events: 10
timeframe: {minutes: 5}
realert: {minutes: 5}
alert: [slack]
slack_webhook_url: '@@secret:HOOK@@'
`;
const escalation = `escalation:
  - after: {minutes: 0}   # the rule's own alert
  - after: {minutes: 30}
    alert: [email]
    email: ["@@ONCALL_EMAIL@@"]
  - after: {hours: 2}
    alert: [pagerduty]
    pagerduty_service_key: "@@secret:PAGERDUTY_KEY@@"
    pagerduty_client_name: elk
`;

const compile = (text: string) => compileRules([{ file: 'rules/api.yaml', text }], values);
const errors = (text: string) =>
  compile(text)
    .problems.filter((p) => p.severity === 'error')
    .map(formatProblem);

type Rule = Record<string, unknown>;

describe('compiled tiers', () => {
  const r = compile(base + escalation);
  const tier = (i: number) => readYaml11(r.rules[i]!.content) as Rule;

  test('the rule and one generated rule per tier, validated, in the bundle that `rules render` writes', () => {
    expect(r.problems).toEqual([]);
    expect(r.rules.map((x) => [x.fileName, x.name])).toEqual([
      ['api.yaml', 'API errors'],
      ['api.escalation-1.yaml', 'API errors (escalation 1: after 30m)'],
      ['api.escalation-2.yaml', 'API errors (escalation 2: after 2h)'],
    ]);
    expect(readYaml11(r.rules[0]!.content)).not.toHaveProperty('escalation');
    const bundle = buildBundle(r.rules, values, {
      environment: 'test',
      image: 'jertel/elastalert2:2.31.0',
      runEverySeconds: 60,
      bufferTimeMinutes: 15,
    });
    expect(bundle.files.map((f) => f.path)).toEqual(
      expect.arrayContaining(['rules/api.escalation-1.yaml', 'rules/api.escalation-2.yaml']),
    );
    expect(bundle.files.find((f) => f.path === 'expected-rules.txt')!.content).toContain(
      'API errors (escalation 2: after 2h)',
    );
  });

  test('a tier counts the alerts of the base rule in the writeback index, with its own alerters and realert', () => {
    expect(tier(1)).toMatchObject({
      type: 'frequency',
      index: 'elastalert',
      num_events: 7, // 30 min / 5 min cadence + 1
      timeframe: { seconds: 2100 },
      filter: [{ term: { rule_name: 'API errors' } }, { bool: { must_not: [{ exists: { field: 'aggregate_id' } }] } }],
      realert: { seconds: 1800 },
      alert: ['email'],
      email: ['oncall@example.org'],
    });
    expect(tier(2)).toMatchObject({
      num_events: 25,
      alert: ['pagerduty'],
      pagerduty_service_key: '${ELK_SECRET_PAGERDUTY_KEY}',
    });
  });

  /**
   * ElastAlert's FrequencyRule (ruletypes.py EventWindow): each new document is appended, the oldest are dropped
   * while newest - oldest >= timeframe, a match when count >= num_events empties the window; realert silences the
   * rule after an alert.
   */
  function fires(rule: Rule, alertTimes: number[]): number[] {
    const timeframe = (rule.timeframe as { seconds: number }).seconds;
    const realert = (rule.realert as { seconds: number }).seconds;
    let window: number[] = [];
    let silencedUntil = -Infinity;
    const out: number[] = [];
    for (const t of alertTimes) {
      window.push(t);
      while (window[window.length - 1]! - window[0]! >= timeframe) window.shift();
      if (window.length >= (rule.num_events as number)) {
        window = [];
        if (t >= silencedUntil) {
          out.push(t);
          silencedUntil = t + realert;
        }
      }
    }
    return out;
  }
  /** The base rule's alerts while its condition holds from 0 to `until` (seconds): one per 5-minute realert. */
  const alertsUntil = (until: number, jitter = 0) =>
    Array.from({ length: Math.floor(until / 300) + 1 }, (_, i) => i * 300 + (i % 2) * jitter);

  test('a condition that holds: email after 30 minutes, page after 2 hours, repeated at their own pace', () => {
    const alerts = alertsUntil(3 * 3600, 20);
    expect(fires(tier(1), alerts)[0]).toBe(1800);
    expect(fires(tier(2), alerts)[0]).toBe(7200);
    expect(fires(tier(1), alerts).every((t, i, a) => i === 0 || t - a[i - 1]! >= 1800)).toBe(true);
  });

  test('no tier fires after the condition clears, and a short burst never pages', () => {
    const alerts = alertsUntil(45 * 60);
    expect(fires(tier(1), alerts)).toEqual([1800]);
    expect(fires(tier(2), alerts)).toEqual([]);
    expect(fires(tier(1), alertsUntil(25 * 60))).toEqual([]);
  });

  test('tiers do not duplicate notifications: every alerter belongs to one tier', () => {
    const alerters = [0, 1, 2].map((i) => tier(i).alert as string[]);
    expect(new Set(alerters.flat()).size).toBe(alerters.flat().length);
  });
});

describe('escalation checks', () => {
  test.each([
    ['a tier without alerters', `${base}escalation:\n  - after: {minutes: 30}\n`, /escalation\.0\.alert: is required/],
    [
      'tiers out of order',
      `${base}escalation:\n  - after: {hours: 2}\n    alert: [email]\n    email: [a@b.c]\n  - after: {minutes: 30}\n    alert: [debug]\n`,
      /escalation\.1\.after: must be later than the tier before \(2h\)/,
    ],
    [
      'an alerter that already alerts in the rule',
      `${base}escalation:\n  - after: {minutes: 30}\n    alert: [slack]\n`,
      /escalation\.0\.alert: slack already alerts in the rule itself/,
    ],
    ['with query_key', `${base}query_key: user\n${escalation}`, /escalation: cannot be combined with query_key/],
    [
      'a tier that sets the index',
      `${base}escalation:\n  - after: {minutes: 30}\n    alert: [debug]\n    index: x\n`,
      /escalation\.0\.index: cannot be set in a tier/,
    ],
    [
      'a tier shorter than the cadence',
      `${base}escalation:\n  - after: {minutes: 2}\n    alert: [debug]\n`,
      /shorter than the rule's alert cadence \(5m/,
    ],
    [
      'a tier whose alerter lacks its options (checked like any rule)',
      `${base}escalation:\n  - after: {minutes: 30}\n    alert: [email]\n`,
      /escalation\.1 \(generated rule "API errors \(escalation 1: after 30m\)"\): email: is required by the email alerter/,
    ],
  ])('%s is an error', (_what, text, message) => {
    expect(errors(text)).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  test('a disabled rule disables its tiers', () => {
    const r = compile(`${base}is_enabled: false\n${escalation}`);
    expect(r.rules.map((x) => x.enabled)).toEqual([false, false, false]);
  });
});
