import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { CommandOutput, rulesCheck, rulesRender } from '../../lib/cli/rules';
import { PROJECT_ROOT } from '../helpers/app';

async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
  const [command, ...rest] = args;
  let dir: string | undefined;
  const opts: Record<string, string | boolean> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('--')) dir = a;
    else if (a === '--allow-literal-secrets') opts.allowLiteralSecrets = true;
    else opts[a.slice(2).replace(/-(\w)/g, (_m, c: string) => c.toUpperCase())] = rest[++i]!;
  }
  const r: CommandOutput =
    command === 'check'
      ? rulesCheck(dir, opts as unknown as Parameters<typeof rulesCheck>[1])
      : rulesRender(dir, opts as unknown as Parameters<typeof rulesRender>[1]);
  return { out: r.stdout.map((l) => `${l}\n`).join(''), err: r.stderr.join('\n'), code: r.exitCode };
}

function tmpRules(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rules-cli-'));
  for (const [f, t] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), t);
  return dir;
}

const good = "name: Good\ntype: any\nindex: logs-*\nalert: [slack]\nslack_webhook_url: '@@secret:SLACK_WEBHOOK@@'\n";

describe('elkctl rules', () => {
  test('check exits 0 for the project rules', async () => {
    const r = await run(['check', '--env', 'dev']);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
    expect(r.err).toContain('3 valid rule(s), 0 error(s)');
  });

  test('check prints one line per problem and exits 1', async () => {
    const dir = tmpRules({ 'bad.yaml': 'name: Bad\ntype: frequency\nindex: x\nalert: [slack]\n' });
    const r = await run(['check', dir, '--env', 'dev']);
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n');
    expect(lines).toContain(
      `${dir}/bad.yaml: Bad: slack_webhook_url: is required by the slack alerter: ElastAlert refuses to load the rule without it`,
    );
    for (const l of lines) expect(l).toMatch(/^[^:]+: Bad: [^:]+: /);
  });

  test('warnings are printed but check exits 0', async () => {
    const dir = tmpRules({ 'w.yaml': good + 'descripton: typo\n' });
    const r = await run(['check', dir, '--env', 'dev']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('descripton: warning: unknown option, ElastAlert ignores it; did you mean "description"?');
  });

  test('--tokens adds tokens and secrets to the environment', async () => {
    const dir = tmpRules({ 't.yaml': good + "alert_subject: '@@EXTRA@@ @@secret:PAGER@@'\n" });
    const tokens = path.join(dir, 'tokens.yml.txt');
    fs.writeFileSync(tokens, 'tokens:\n  EXTRA: hello\nsecrets: [PAGER]\n');
    expect((await run(['check', dir, '--env', 'dev'])).code).toBe(1);
    expect((await run(['check', dir, '--env', 'dev', '--tokens', tokens])).code).toBe(0);
  });

  test('a bad tokens file names the file and the field', async () => {
    const dir = tmpRules({ 'g.yaml': good });
    const tokens = path.join(dir, 'tokens.txt');
    fs.writeFileSync(tokens, 'tokens:\n  lower: 1\n');
    await expect(run(['check', dir, '--env', 'dev', '--tokens', tokens])).rejects.toThrow(`${tokens}: tokens.lower`);
  });

  test('--allow-literal-secrets accepts a literal webhook', async () => {
    const dir = tmpRules({
      'l.yaml': 'name: L\ntype: any\nindex: x\nalert: [slack]\nslack_webhook_url: https://hooks/x\n',
    });
    expect((await run(['check', dir, '--env', 'dev'])).code).toBe(1);
    expect((await run(['check', dir, '--env', 'dev', '--allow-literal-secrets'])).code).toBe(0);
  });

  test('render writes config, rules, manifest and sums, with secrets left as references', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'render-')), 'out');
    const r = await run(['render', '--env', 'staging', '--out', out]);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(
      ['SHA256SUMS', 'bundle.env', 'config.yaml', 'expected-rules.txt', 'manifest.json', 'rules', 'secrets.txt'].sort(),
    );
    const spike = fs.readFileSync(path.join(out, 'rules', 'error-spike.yaml'), 'utf8');
    expect(spike).toContain('slack_webhook_url: "${ELK_SECRET_SLACK_WEBHOOK}"');
    expect(spike).toContain('threshold_cur: 25');
    expect(fs.readFileSync(path.join(out, 'secrets.txt'), 'utf8')).toBe(
      'ELK_SECRET_SLACK_WEBHOOK /elk/staging/alerter/SLACK_WEBHOOK\n',
    );
  });

  test('the real command exits 1 on a bad rule and prints file: rule: key: message', () => {
    const dir = tmpRules({ 'bad.yaml': 'name: Bad\ntype: any\nindex: x\nalert: [slak]\n' });
    const r = spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), 'bin/elkctl.ts', 'rules', 'check', dir, '--env', 'ci'],
      {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      `${dir}/bad.yaml: Bad: alert.0: unknown alerter "slak" (did you mean "slack"?): use a built-in alerter or module.ClassName for a custom one\n`,
    );
  });
});
