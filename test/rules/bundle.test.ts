import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBundle, bundleTar, compileRules, elastalertConfig, readYaml11, RuleValues } from '../../lib/rules';

const values: RuleValues = {
  environment: 'test',
  tokens: { N: 5 },
  secrets: { HOOK: '/elk/test/alerter/HOOK' },
};
const settings = {
  environment: 'test',
  image: 'jertel/elastalert2:2.31.0',
  runEverySeconds: 60,
  bufferTimeMinutes: 15,
};
const ruleText = (name: string, n = '@@N@@', extra = '') =>
  `name: ${name}\ntype: frequency\nindex: logs-*\nnum_events: ${n}\ntimeframe: {minutes: 5}\nalert: [slack]\nslack_webhook_url: '@@secret:HOOK@@'\n${extra}`;

function bundleOf(texts: Record<string, string>) {
  const r = compileRules(
    Object.entries(texts).map(([file, text]) => ({ file: `rules/${file}`, text })),
    values,
  );
  expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return buildBundle(r.rules, values, settings);
}

describe('bundle', () => {
  test('the same rules give the same hash; changing one rule changes the hash and only that rule hash', () => {
    const a = bundleOf({ 'a.yaml': ruleText('A'), 'b.yaml': ruleText('B') });
    const same = bundleOf({ 'a.yaml': ruleText('A'), 'b.yaml': ruleText('B') });
    const changed = bundleOf({ 'a.yaml': ruleText('A', '6'), 'b.yaml': ruleText('B') });
    expect(same.hash).toBe(a.hash);
    expect(bundleTar(same).equals(bundleTar(a))).toBe(true);
    expect(changed.hash).not.toBe(a.hash);
    expect(changed.ruleHashes.B).toBe(a.ruleHashes.B);
    expect(changed.ruleHashes.A).not.toBe(a.ruleHashes.A);
  });

  test('lists the rules to expect status for: not disabled ones, not limit_execution ones', () => {
    const b = bundleOf({
      'a.yaml': ruleText('A'),
      'b.yaml': ruleText('B', '@@N@@', 'is_enabled: false\n'),
      'c.yaml': ruleText('C', '@@N@@', "limit_execution: '0 9 * * 1-5'\n"),
    });
    const file = (p: string) => b.files.find((f) => f.path === p)!.content;
    expect(file('expected-rules.txt')).toBe('A\n');
    // ElastAlert says "3 rules loaded": it counts rule files before dropping disabled ones
    expect(file('bundle.env')).toContain('RULE_COUNT=3\n');
    expect(file('secrets.txt')).toBe('ELK_SECRET_HOOK /elk/test/alerter/HOOK\n');
    expect(JSON.parse(file('manifest.json')).rules.map((r: { name: string }) => r.name)).toEqual(['A', 'B', 'C']);
  });

  test('the tar extracts with tar and every file verifies with sha256sum against SHA256SUMS, whose hash is the bundle hash', () => {
    const b = bundleOf({ 'a.yaml': ruleText('A') });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
    fs.writeFileSync(path.join(dir, 'b.tar'), bundleTar(b));
    fs.mkdirSync(path.join(dir, 'x'));
    expect(spawnSync('tar', ['-xf', '../b.tar'], { cwd: path.join(dir, 'x') }).status).toBe(0);
    const check = spawnSync('sha256sum', ['--check', '--strict', 'SHA256SUMS'], { cwd: path.join(dir, 'x') });
    expect(check.status).toBe(0);
    const sum = spawnSync('sha256sum', ['SHA256SUMS'], { cwd: path.join(dir, 'x'), encoding: 'utf8' });
    expect(sum.stdout.split(' ')[0]).toBe(b.hash);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('config.yaml: TLS with the CA, writeback index prefix, no user and no password (both come from the environment)', () => {
    const c = readYaml11(elastalertConfig({ ...settings, esHost: 'es.test.internal' }));
    expect(c).toMatchObject({
      es_host: 'es.test.internal',
      es_port: 9200,
      use_ssl: true,
      verify_certs: true,
      ca_certs: '/opt/elastalert/certs/ca.pem',
      writeback_index: 'elastalert',
      run_every: { seconds: 60 },
      buffer_time: { minutes: 15 },
      rules_folder: '/opt/elastalert/rules',
    });
    expect(c).not.toHaveProperty('es_password');
    // es_username without es_password stops ElastAlert with KeyError: 'es_password' (util.build_es_conn_config)
    expect(c).not.toHaveProperty('es_username');
    expect(elastalertConfig(settings)).toContain('es_host: "${ES_HOST}"');
  });
});
