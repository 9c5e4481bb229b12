import { spawnSync } from 'child_process';
import { createHash, X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// What node-cert-renew.sh (the renewal timer's service) decides and publishes, run for real with bash, openssl and
// coreutils; node-certs.sh (the issuer call), aws and systemctl are stand-ins that record their arguments. The boot
// rehearsal runs it against the real node-certs.sh and the issuer (lib/boot/renewal.ts); this covers the failures.

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'security', 'node-cert-renew.sh');
const DAY = 86_400;

const FAKE_NODE_CERTS = `#!/usr/bin/env bash
set -euo pipefail
echo "$*" >>"$LOG_DIR/node-certs"
[ "\${FAKE_ISSUER:-ok}" = ok ] || { echo "node-certs: the issuer refused (HTTP 403)" >&2; exit 1; }
while [ $# -gt 0 ]; do case "$1" in --cert-dir) d="$2"; shift 2 ;; *) shift ;; esac; done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 -subj /CN=renewed \\
  -keyout "$ELK_ROOT$d/node.key" -out "$ELK_ROOT$d/node.crt" 2>/dev/null
`;
const RECORDER = (name: string, exitVar: string) => `#!/usr/bin/env bash
echo "$*" >>"$LOG_DIR/${name}"
exit "\${${exitVar}:-0}"
`;

interface World {
  readonly root: string;
  readonly logs: string;
  readonly crt: string;
  run(env?: Record<string, string>): { status: number | null; output: string };
  calls(name: string): string[];
  /** Published metric name → value. */
  metrics(): Record<string, number>;
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-renew-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function world(stampFile?: string): World {
  const dir = path.join(tmp, String(n++));
  const root = path.join(dir, 'root');
  const bin = path.join(dir, 'bin');
  const tools = path.join(dir, 'tools');
  const logs = path.join(dir, 'logs');
  for (const d of [bin, tools, logs, path.join(root, 'etc/elk-cdk'), path.join(root, 'certs')])
    fs.mkdirSync(d, { recursive: true });
  fs.copyFileSync(SCRIPT, path.join(bin, 'node-cert-renew.sh'));
  fs.writeFileSync(path.join(bin, 'node-certs.sh'), FAKE_NODE_CERTS, { mode: 0o755 });
  fs.writeFileSync(path.join(tools, 'aws'), RECORDER('aws', 'FAKE_AWS_EXIT'), { mode: 0o755 });
  fs.writeFileSync(path.join(tools, 'systemctl'), RECORDER('systemctl', 'FAKE_SYSTEMCTL_EXIT'), { mode: 0o755 });
  fs.writeFileSync(
    path.join(root, 'etc/elk-cdk/node.env'),
    [
      "ELK_CERT_ISSUER_URL='https://issuer.example/'",
      "ELK_SERVICE_NAME='logstash.test.elk.internal'",
      "ELK_REGION='eu-west-1'",
      "ELK_ENVIRONMENT='test'",
      "ELK_ROLE='logstash'",
    ].join('\n') + '\n',
  );
  const crt = path.join(root, 'certs/node.crt');
  const made = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '7'].concat([
      '-subj',
      '/CN=boot',
      '-keyout',
      path.join(root, 'certs/node.key'),
      '-out',
      crt,
    ]),
    { encoding: 'utf8' },
  );
  expect(made.status).toBe(0);
  if (stampFile !== undefined) fs.writeFileSync(path.join(root, 'pipeline.conf'), stampFile);
  return {
    root,
    logs,
    crt,
    run: (env = {}) => {
      const r = spawnSync(path.join(bin, 'node-cert-renew.sh'), [], {
        encoding: 'utf8',
        env: {
          PATH: `${tools}:${process.env.PATH}`,
          LOG_DIR: logs,
          ELK_ROOT: root,
          CERT_DIR: '/certs',
          ...(stampFile !== undefined ? { ELK_CERT_STAMP: '/pipeline.conf', ELK_CERT_RELOAD: 'logstash' } : {}),
          ...env,
        },
        timeout: 30_000,
      });
      return { status: r.status, output: `${r.stdout}${r.stderr}` };
    },
    calls: (name) => {
      const f = path.join(logs, name);
      return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim().split('\n') : [];
    },
    metrics() {
      const out: Record<string, number> = {};
      for (const c of this.calls('aws')) {
        expect(c).toMatch(
          /^cloudwatch put-metric-data --region eu-west-1 --namespace elk-cdk\/Nodes --metric-name \w+ --dimensions Environment=test,Role=logstash --value \S+ --unit None$/,
        );
        out[/--metric-name (\w+)/.exec(c)![1]!] = Number(/--value (\S+)/.exec(c)![1]);
      }
      return out;
    },
  };
}

const sixDaysOn = () => ({ ELK_NOW_EPOCH: String(Math.floor(Date.now() / 1000) + 6 * DAY) });
const serial = (f: string) => new X509Certificate(fs.readFileSync(f)).serialNumber;
const STAMP_LINE = '# elk-cdk certificate sha256: 0000\ninput { beats { port => 5044 } }\n';

describe('node-cert-renew.sh', () => {
  test('not due (more than half the validity left): renews nothing, publishes the days left and no failure', () => {
    const w = world();
    const before = serial(w.crt);
    const r = w.run();
    expect(r.status).toBe(0);
    expect(r.output).toContain('not due');
    expect(serial(w.crt)).toBe(before);
    expect(w.calls('node-certs')).toEqual([]);
    const m = w.metrics();
    expect(Object.keys(m).sort()).toEqual(['CertificateDaysToExpiry', 'CertificateRenewalFailed']);
    expect(m.CertificateDaysToExpiry).toBeGreaterThan(6.9);
    expect(m.CertificateDaysToExpiry).toBeLessThanOrEqual(7);
    expect(m.CertificateRenewalFailed).toBe(0);
  });

  test('due: renews, stamps the pipeline with the new certificate, reloads the service once, publishes no failure', () => {
    const w = world(STAMP_LINE);
    const before = serial(w.crt);
    const r = w.run(sixDaysOn());
    expect(r.status).toBe(0);
    expect(serial(w.crt)).not.toBe(before);
    const sum = createHash('sha256').update(fs.readFileSync(w.crt)).digest('hex');
    expect(fs.readFileSync(path.join(w.root, 'pipeline.conf'), 'utf8')).toBe(
      `# elk-cdk certificate sha256: ${sum}\ninput { beats { port => 5044 } }\n`,
    );
    expect(w.calls('node-certs')).toEqual([
      '--issuer-url https://issuer.example/ --service-name logstash.test.elk.internal --region eu-west-1 --cert-dir /certs',
    ]);
    expect(w.calls('systemctl')).toEqual(['try-reload-or-restart logstash']);
    expect(w.metrics()).toMatchObject({ CertificateRenewalFailed: 0 });
  });

  test.each([
    ['the issuer refuses', { FAKE_ISSUER: 'refuse' }, STAMP_LINE, /RENEWAL FAILED/, false],
    [
      'the pipeline file has no stamp line',
      {},
      'input { beats { port => 5044 } }\n',
      /no '# elk-cdk certificate/,
      true,
    ],
    ['the reload fails', { FAKE_SYSTEMCTL_EXIT: '1' }, STAMP_LINE, /did not restart/, true],
  ])(
    'due, but %s: exits 1 and publishes CertificateRenewalFailed 1 with the days left',
    (_what, env, pipeline, message, renewed) => {
      const w = world(pipeline);
      const before = serial(w.crt);
      const r = w.run({ ...sixDaysOn(), ...env });
      expect(r.status).toBe(1);
      expect(r.output).toMatch(message);
      expect(serial(w.crt) !== before).toBe(renewed);
      const m = w.metrics();
      expect(m.CertificateRenewalFailed).toBe(1);
      expect(m.CertificateDaysToExpiry).toBeGreaterThan(6.9);
    },
  );

  test('a failed renewal never reloads the service (it would serve the same certificate)', () => {
    const w = world(STAMP_LINE);
    w.run({ ...sixDaysOn(), FAKE_ISSUER: 'refuse' });
    expect(w.calls('systemctl')).toEqual([]);
    const w2 = world('no stamp here\n');
    w2.run(sixDaysOn());
    expect(w2.calls('systemctl')).toEqual([]);
  });

  test('CloudWatch refusing the metrics: tries both, exits 1 (the unit shows failed)', () => {
    const w = world();
    const r = w.run({ FAKE_AWS_EXIT: '1' });
    expect(r.status).toBe(1);
    expect(w.calls('aws')).toHaveLength(2);
    expect(r.output).toContain('could not publish CertificateRenewalFailed (0)');
  });
});
