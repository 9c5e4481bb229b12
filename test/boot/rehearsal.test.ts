import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readStage, rehearseStage, RehearsalReport, ScenarioName } from '../../lib/boot';
import type { BootRole } from '../../lib/boot/fleet';
import { ENVIRONMENTS, patchStagedFileAsset, patchStagedScript, synthOnce } from './helpers';

// One in-process synth of every environment for the whole file (the slow part), then one rehearsal per fleet.
let cdkOut: string;
const reports = new Map<string, RehearsalReport>();

beforeAll(() => {
  cdkOut = synthOnce(ENVIRONMENTS);
}, 300_000);
afterAll(() => fs.rmSync(cdkOut, { recursive: true, force: true }));

async function report(env: string): Promise<RehearsalReport> {
  // The slow-master scenario rehearses the master group alone: once (dev) is enough, the fleet runs everywhere.
  const scenarios: ScenarioName[] = env === 'dev' ? ['fleet', 'slow-master'] : ['fleet'];
  // dev's nodes run as the caller (root in CI), every other fleet's as the default: `nobody` when the caller is root.
  const runAs = env === 'dev' ? 'caller' : undefined;
  if (!reports.has(env))
    reports.set(env, await rehearseStage(readStage(cdkOut, env), { environment: env, scenarios, runAs }));
  return reports.get(env)!;
}

describe.each(ENVIRONMENTS)('boot rehearsal of %s', (env) => {
  test('every node of the fleet boots to its "is up" line and every check passes', async () => {
    const r = await report(env);
    expect(r.findings).toEqual([]);
    expect(r.ok).toBe(true);
  }, 120_000);

  test('boots three masters, the data nodes, Kibana and the alerter of the first deployment, then the replacements', async () => {
    const fleet = (await report(env)).scenarios.find((s) => s.name === 'fleet')!;
    const roles = fleet.nodes.map((n) => n.role);
    expect(roles.filter((x) => x === 'master')).toHaveLength(4); // 3 + the replacement
    expect(roles.filter((x) => x === 'data').length).toBeGreaterThanOrEqual(2);
    expect(roles).toContain('kibana');
    // the first alerter, its replacement with the deployed rules, and the replacement of that one once the heartbeat
    // found ElastAlert stuck and marked it Unhealthy
    expect(roles.filter((x) => x === 'alerter')).toHaveLength(3);
  }, 120_000);
});

describe('a deliberately broken copy of the boot scripts fails the rehearsal, naming the step', () => {
  let broken: string;
  beforeEach(() => {
    broken = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-boot-broken-'));
    fs.cpSync(cdkOut, broken, { recursive: true });
  });
  afterEach(() => fs.rmSync(broken, { recursive: true, force: true }));

  test('node.env sourced without `set -a` (the export bug): every master fails at bootstrap-decision', async () => {
    patchStagedScript(broken, 'dev', 'elk-boot-lib.sh', (t) => t.replace(/^\s*set [-+]a\n/gm, ''));
    const r = await rehearseStage(readStage(broken, 'dev'), { environment: 'dev', scenarios: ['slow-master'] });
    expect(r.ok).toBe(false);
    const boots = r.findings.filter((f) => f.check === 'boot');
    expect(boots).toHaveLength(3);
    for (const f of boots) {
      expect(f.step).toBe('bootstrap-decision');
      expect(f.message).toContain('ELK_REGION is required');
    }
  }, 120_000);

  test('a script that writes outside its sandbox fails at its step instead of changing this machine', async () => {
    const real = '/etc/elasticsearch';
    const before = fs.existsSync(real);
    patchStagedScript(broken, 'dev', 'es-config.sh', (t) =>
      t.replace('CONF_DIR="${ELK_ES_CONF_DIR:-${ELK_ROOT:-}/etc/elasticsearch}"', 'CONF_DIR="/etc/elasticsearch"'),
    );
    const r = await rehearseStage(readStage(broken, 'dev'), { environment: 'dev', scenarios: ['slow-master'] });
    expect(r.ok).toBe(false);
    const boots = r.findings.filter((f) => f.check === 'boot');
    expect(boots.map((f) => f.step)).toEqual(['config', 'config', 'config']);
    expect(fs.existsSync(real)).toBe(before);
  }, 120_000);

  test('a curl without --max-time is found in the script and fails the boot at its step', async () => {
    patchStagedScript(broken, 'dev', 'es-mark-formed.sh', (t) =>
      t.replace('curl_args=(-s --max-time 10)', 'curl_args=(-s)'),
    );
    const r = await rehearseStage(readStage(broken, 'dev'), { environment: 'dev', scenarios: ['slow-master'] });
    expect(r.findings.filter((f) => f.check === 'static').map((f) => f.step)).toEqual([
      expect.stringMatching(/^es-mark-formed\.sh:\d+$/),
    ]);
    const boots = r.findings.filter((f) => f.check === 'boot');
    expect(boots.map((f) => f.step)).toEqual(['mark-formed', 'mark-formed', 'mark-formed']);
    expect(boots[0]!.message).toContain('without --max-time');
  }, 120_000);

  test('a setting Elasticsearch does not know fails the config check of every node that writes it', async () => {
    patchStagedScript(broken, 'dev', 'es-config.sh', (t) =>
      t.replace(
        'action.destructive_requires_name: true',
        'action.destructive_requires_name: true\ndiscovery.zen.minimum_master_nodes: 2',
      ),
    );
    const r = await rehearseStage(readStage(broken, 'dev'), { environment: 'dev', scenarios: ['slow-master'] });
    expect(r.findings.map((f) => [f.check, f.step, f.message])).toEqual(
      Array(3).fill([
        'master',
        'config',
        "elasticsearch.yml: 'discovery.zen.minimum_master_nodes' is not a setting of Elasticsearch",
      ]),
    );
  }, 120_000);

  test('a wait loop without a bound is cut by the sleep budget and fails at its step', async () => {
    // The health wait of the boot scripts is elk_wait_healthy in the shared boot library.
    patchStagedScript(broken, 'dev', 'elk-boot-lib.sh', (t) =>
      t
        .replace('for ((i = 1; i <= attempts; i++))', 'for ((i = 1; ; i++))')
        .replace('5601/api/status', '5602/api/status'),
    );
    const r = await rehearseStage(readStage(broken, 'dev'), {
      environment: 'dev',
      scenarios: ['fleet'],
      roles: ['kibana'],
      nodeEnv: { ELK_REHEARSAL_SLEEP_BUDGET: '60' },
    });
    const boots = r.findings.filter((f) => f.check === 'boot');
    expect(boots.map((f) => f.step)).toEqual(['health']);
    expect(boots[0]!.message).toContain('more than 60 s');
  }, 120_000);
  test('a renewal that waits until the certificate has expired is caught a day before expiry', async () => {
    patchStagedScript(broken, 'dev', 'node-cert-renew.sh', (t) =>
      t.replace('[ "$left" -lt "$half" ]', '[ "$left" -lt 0 ]'),
    );
    const r = await rehearseStage(readStage(broken, 'dev'), {
      environment: 'dev',
      scenarios: ['fleet'],
      roles: ['master'],
    });
    const renewals = r.findings.filter((f) => f.check === 'cert-renewal');
    expect(renewals.length).toBeGreaterThanOrEqual(3);
    expect(new Set(renewals.map((f) => f.message))).toEqual(
      new Set(['a day before expiry, the renewal kept the old certificate']),
    );
  }, 120_000);

  test('a boot that installs no renewal timer fails the renewal check of every Elasticsearch node', async () => {
    // The timer is installed by elk_cert_renewal in the shared boot library (es-node-boot.sh calls it).
    patchStagedScript(broken, 'dev', 'elk-boot-lib.sh', (t) =>
      t.replace('systemctl enable --now elk-cdk-cert-renew.timer', 'true'),
    );
    const r = await rehearseStage(readStage(broken, 'dev'), {
      environment: 'dev',
      scenarios: ['fleet'],
      roles: ['data'],
    });
    const renewals = r.findings.filter((f) => f.check === 'cert-renewal');
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    for (const f of renewals) expect(f.message).toMatch(/renewal timer .* is not enabled/);
  }, 120_000);
  test('an alerter heartbeat that never marks its instance Unhealthy is caught when ElastAlert is stuck', async () => {
    const dir = path.join(broken, 'assembly-dev');
    let patched = 0;
    for (const t of fs.readdirSync(dir).filter((f) => f.endsWith('.template.json'))) {
      const text = fs.readFileSync(path.join(dir, t), 'utf8');
      const after = text.split('--health-status Unhealthy').join('--health-status Healthy');
      if (after !== text) patched++;
      fs.writeFileSync(path.join(dir, t), after);
    }
    expect(patched).toBe(1);
    const r = await rehearseStage(readStage(broken, 'dev'), {
      environment: 'dev',
      scenarios: ['fleet'],
      roles: ['alerter'],
    });
    expect(r.findings.map((f) => [f.check, f.step, f.message])).toEqual([
      [
        'heartbeat',
        'heartbeat-stuck',
        expect.stringMatching(/^no rule ran for \d+ s and the instance was not marked Unhealthy/),
      ],
    ]);
    // no replacement without the mark: the first alerter and the one with the deployed rules
    expect(r.scenarios[0]!.nodes.map((n) => n.role)).toEqual(['alerter', 'alerter']);
  }, 120_000);

  test('an alerter deploy that ignores a rotated password is caught by the reload (issue #13)', async () => {
    // the deploy of the active bundle only verifies, even though the resolved secrets (the password) changed
    patchStagedFileAsset(broken, 'dev', 'Alerter/DeployScript', (t) =>
      t.replace('if [ "$(secrets_hash "$STAGE")" = "$(label elk-cdk.secrets)" ]; then', 'if true; then'),
    );
    const r = await rehearseStage(readStage(broken, 'dev'), {
      environment: 'dev',
      scenarios: ['fleet'],
      roles: ['alerter'],
    });
    expect(r.findings.map((f) => [f.check, f.message])).toEqual([
      [
        'password-rotation',
        'after the reload the ElastAlert container does not get the rotated password (ES_PASSWORD of its env file)',
      ],
      ['password-rotation', 'the reload recreated the ElastAlert container 0 times, expected exactly once'],
    ]);
  }, 120_000);

  test('a Kibana boot that leaves out the shared encryption keys fails the keystore check (issue #13)', async () => {
    patchStagedScript(broken, 'dev', 'kibana-boot.sh', (t) =>
      t.replace('if [ -n "${ELK_KIBANA_KEYS_SECRET_ID:-}" ]; then', 'if false; then'),
    );
    const r = await rehearseStage(readStage(broken, 'dev'), {
      environment: 'dev',
      scenarios: ['fleet'],
      roles: ['kibana'],
    });
    expect(r.findings.map((f) => [f.step, f.message])).toEqual([
      ['keystore', 'the Kibana keystore has no xpack.security.encryptionKey from the encryption keys secret'],
      [
        'keystore',
        'the Kibana keystore has no xpack.encryptedSavedObjects.encryptionKey from the encryption keys secret',
      ],
      ['keystore', 'the Kibana keystore has no xpack.reporting.encryptionKey from the encryption keys secret'],
    ]);
  }, 120_000);
  // Kibana hardening (#13): each broken copy is caught by the step it breaks.
  test.each([
    [
      'shows its full status to anyone (status.allowAnonymous true)',
      'status.allowAnonymous: false',
      'status.allowAnonymous: true',
      [
        [
          'kibana',
          'config',
          'kibana.yml: status.allowAnonymous is not false (anyone reaching Kibana reads its full status)',
        ],
      ],
    ],
    [
      'serves plain HTTP to the load balancer (no server.ssl)',
      '${tls_lines}\n',
      '',
      [['boot', 'health', expect.stringContaining('/api/status not available after 2 checks')]],
    ],
    [
      'restarts on every certificate renewal (no SIGHUP reload)',
      'ExecReload=/bin/kill -HUP $MAINPID',
      'ExecStartPost=/bin/true',
      [
        ['kibana', 'certificates', 'the Kibana unit has no ExecReload sending SIGHUP: a renewal would restart Kibana'],
        [
          'cert-renewal',
          'cert-renewal',
          'the renewal restarted kibana (an outage of this node) instead of reloading it',
        ],
      ],
    ],
  ])(
    'a Kibana that %s fails the rehearsal',
    async (_what, from, to, expected) => {
      patchStagedScript(broken, 'dev', 'kibana-boot.sh', (t) => t.replace(from, to));
      const r = await rehearseStage(readStage(broken, 'dev'), {
        environment: 'dev',
        scenarios: ['fleet'],
        roles: ['kibana'],
        nodeEnv: { ELK_HEALTH_ATTEMPTS: '2' },
      });
      expect(r.findings.map((f) => [f.check, f.step, f.message])).toEqual(expected);
    },
    120_000,
  );

  // Kibana and Logstash renew like Elasticsearch nodes (issue #13): a renewal that does not reach the service, or
  // reaches it by a restart, is caught when the rehearsal runs their timer's service a day before expiry.
  test.each([
    [
      'a Kibana boot that installs no renewal timer',
      'kibana',
      'elk-boot-lib.sh',
      'systemctl enable --now elk-cdk-cert-renew.timer',
      'true',
      'the certificate renewal timer (elk-cdk-cert-renew.timer) is not enabled',
    ],
    [
      'a Logstash renewal that does not stamp the pipeline (SIGHUP would keep the old certificate)',
      'logstash',
      'logstash-boot.sh',
      '    ELK_CERT_STAMP=/etc/logstash/conf.d/beats.conf',
      '    ELK_CERT_STAMPED=no',
      expect.stringMatching(
        /^etc\/logstash\/conf\.d\/beats\.conf is stamped '[0-9a-f]{64}', not the new certificate's/,
      ),
    ],
    [
      'a Logstash unit without ExecReload (the renewal restarts Logstash)',
      'logstash',
      'logstash-boot.sh',
      "printf '[Service]\\nExecReload=/bin/kill -HUP $MAINPID\\n'",
      "printf '[Service]\\n'",
      'the renewal restarted logstash (an outage of this node) instead of reloading it',
    ],
  ])(
    '%s fails the renewal check of every such node',
    async (_what, role, script, from, to, message) => {
      patchStagedScript(broken, 'staging', script, (t) => {
        expect(t).toContain(from);
        return t.replace(from, to);
      });
      const r = await rehearseStage(readStage(broken, 'staging'), {
        environment: 'staging',
        scenarios: ['fleet'],
        roles: [role as BootRole],
      });
      const renewals = r.findings.filter((f) => f.check === 'cert-renewal');
      expect(renewals.length).toBeGreaterThanOrEqual(1);
      for (const f of renewals) {
        expect(f.role).toBe(role);
        expect(f.message).toEqual(message);
      }
      expect(r.findings.filter((f) => f.check !== 'cert-renewal')).toEqual([]);
    },
    120_000,
  );
  test('a boot script altered after synth (not matching its pinned SHA-256) is never run', async () => {
    patchStagedScript(
      broken,
      'dev',
      'es-config.sh',
      (t) => t.replace('set -euo pipefail', 'set -euo pipefail\n: altered'),
      false,
    );
    const r = await rehearseStage(readStage(broken, 'dev'), {
      environment: 'dev',
      scenarios: ['fleet'],
      roles: ['data'],
    });
    const boots = r.findings.filter((f) => f.check === 'boot');
    expect(boots.length).toBeGreaterThanOrEqual(2);
    for (const f of boots) expect(f.message).toContain('do not match the SHA-256 pinned in this launch template');
    for (const n of r.scenarios[0]!.nodes) expect(n.lastLine).not.toMatch(/step/);
  }, 120_000);
});
