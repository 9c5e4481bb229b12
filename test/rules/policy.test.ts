import { alerterPolicyFindings } from '../../lib/rules/policy';
import { validateRule } from '../../lib/rules/validate';

const base = { name: 'r', type: 'any', index: 'logs-*' };
const messages = (rule: Record<string, unknown>, policy = {}) =>
  alerterPolicyFindings(rule, policy).map((f) => `${f.key}: ${f.message}`);

describe('alerter policy: the command alerter', () => {
  it.each([['command'], [['command']], [[{ command: {} }]], [['slack', 'elastalert.alerters.command.CommandAlerter']]])(
    'is refused by default (alert: %j)',
    (alert) => {
      expect(messages({ ...base, alert, command: ['/bin/true'] })).toEqual([
        expect.stringMatching(/^alert: uses the command alerter.*alerter\.allowCommandAlerter: true/),
      ]);
    },
  );

  it('is accepted when allowed, in list form without %(', () => {
    expect(
      messages(
        { ...base, alert: 'command', command: ['/usr/local/bin/notify', '--rule', 'r'] },
        { allowCommandAlerter: true },
      ),
    ).toEqual([]);
  });

  it('refuses the string form (a shell) and %( (event values in the argv) even when allowed', () => {
    expect(
      messages({ ...base, alert: 'command', command: '/bin/notify %(host)s' }, { allowCommandAlerter: true }),
    ).toEqual(['command: must be a list of strings (a string runs through a shell)']);
    expect(
      messages({ ...base, alert: 'command', command: ['/bin/notify', '%(host)s'] }, { allowCommandAlerter: true }),
    ).toEqual([expect.stringMatching(/^command: must not contain "%\("/)]);
  });

  it('leaves other alerters alone', () => {
    expect(messages({ ...base, alert: ['slack'] })).toEqual([]);
  });
});

describe('alerter policy: HTTP hosts of post/post2', () => {
  const policy = { allowedHttpHosts: ['hooks.example.com'] };
  it('accepts an allowed host and refuses any other, with the list in the message', () => {
    expect(messages({ ...base, alert: 'post', http_post_url: 'https://hooks.example.com/x' }, policy)).toEqual([]);
    expect(messages({ ...base, alert: ['post2'], http_post2_url: 'https://evil.example.net/x' }, policy)).toEqual([
      'http_post2_url: targets host evil.example.net, which is not in alerter.allowedHttpHosts (hooks.example.com)',
    ]);
  });
  it('refuses a URL it cannot check (a secret reference) when a list is set', () => {
    expect(messages({ ...base, alert: 'post', http_post_url: '${ELK_SECRET_HOOK}' }, policy)).toEqual([
      expect.stringMatching(/^http_post_url: must be a literal https:\/\/ URL/),
    ]);
  });
  it('does not restrict hosts when the environment sets no list', () => {
    expect(messages({ ...base, alert: 'post', http_post_url: 'https://anywhere.example.org/' })).toEqual([]);
  });
});

describe('the validator calls the policy (one hook)', () => {
  it('reports a refused command alerter as an error of the rule', () => {
    const findings = validateRule(
      { ...base, alert: 'command', command: ['/bin/true'] },
      { isSecretReference: () => false },
    );
    expect(findings.filter((f) => f.severity === 'error').map((f) => f.key)).toContain('alert');
    const allowed = validateRule(
      { ...base, alert: 'command', command: ['/bin/true'] },
      { isSecretReference: () => false, policy: { allowCommandAlerter: true } },
    );
    expect(allowed.some((f) => /command alerter/.test(f.message))).toBe(false);
  });
});
