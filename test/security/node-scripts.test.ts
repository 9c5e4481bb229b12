import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { AddressInfo } from 'net';
import { createPrivateKey, X509Certificate } from 'crypto';
import { caSecretString, createCa } from '../../lambda/cluster-ca/ca';
import type { IssuerPolicy } from '../../lambda/cert-issuer/contract';
import { createEsClient } from '../../lambda/shared/es-client';
import { ClusterSecurity } from '../../lib/security/ClusterSecurity';
import { FakeIssuer, ISSUER_ACCOUNT, NodeIdentity, startFakeIssuer } from './helpers/issuer';
import { openssl, tempDir } from './helpers/pki';

const NODE_CERTS = ClusterSecurity.nodeCertificateScriptPath;
const BOOTSTRAP_PW = ClusterSecurity.bootstrapPasswordScriptPath;

/** Writes an executable stub for `aws` into `bin` (es-bootstrap-password.sh). It logs its argv. */
function writeAwsStub(bin: string, secretFile: string, argvLog: string): void {
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(
    path.join(bin, 'aws'),
    `#!/usr/bin/env bash
echo "$*" >> ${JSON.stringify(argvLog)}
[ "$1 $2" = "secretsmanager get-secret-value" ] || { echo "unexpected aws call: $*" >&2; exit 2; }
case " $* " in *" --secret-id $EXPECTED_SECRET_ID "*) ;; *) echo "ResourceNotFoundException" >&2; exit 254 ;; esac
cat ${JSON.stringify(secretFile)}
`,
    { mode: 0o755 },
  );
}

const NODE: NodeIdentity = {
  accessKeyId: 'ASIATESTNODEKEY00001',
  secretAccessKey: 'node-secret-access-key-never-in-argv',
  token: 'node-session-token-never-in-argv',
  roleName: 'test-cluster-MasterInstanceRole',
  instanceId: 'i-0abc1234def567890',
  privateIp: '10.1.2.3',
  privateDnsName: 'ip-10-1-2-3.eu-west-1.compute.internal',
  autoScalingGroup: 'test-cluster-MasterGroup-AAA',
};

/**
 * A `curl` stub that answers IMDSv2 (token, identity, role credentials) and hands every other request (the issuer
 * on 127.0.0.1) to the real curl, so the SigV4 signing is curl's own. It logs its argv.
 */
function writeCurlStub(bin: string, argvLog: string, credentialsJson?: string): void {
  fs.mkdirSync(bin, { recursive: true });
  const realCurl = execFileSync('bash', ['-c', 'command -v curl'], { encoding: 'utf8' }).trim();
  const creds =
    credentialsJson ??
    JSON.stringify({
      Code: 'Success',
      AccessKeyId: NODE.accessKeyId,
      SecretAccessKey: NODE.secretAccessKey,
      Token: NODE.token,
    });
  fs.writeFileSync(
    path.join(bin, 'curl'),
    `#!/usr/bin/env bash
echo "curl $*" >> ${JSON.stringify(argvLog)}
url="\${!#}"
case "$url" in http://127.0.0.1:*) exec ${JSON.stringify(realCurl)} "$@" ;; esac
case "$*" in
  *"-X PUT"*latest/api/token*) printf 'tok-123'; exit 0 ;;
esac
case "$*" in *"X-aws-ec2-metadata-token: tok-123"*) ;; *) exit 22 ;; esac
case "$url" in
  */meta-data/local-ipv4) printf '${NODE.privateIp}' ;;
  */meta-data/local-hostname) printf '${NODE.privateDnsName}' ;;
  */meta-data/instance-id) printf '${NODE.instanceId}' ;;
  */meta-data/placement/region) printf 'eu-west-1' ;;
  */meta-data/iam/security-credentials/) printf '${NODE.roleName}' ;;
  */meta-data/iam/security-credentials/${NODE.roleName}) printf '%s' '${creds}' ;;
  *) exit 22 ;;
esac
`,
    { mode: 0o755 },
  );
}

/** Wrappers on `bin` that log each call of `programs` (name and arguments) to `log`, then run the real program. */
function writeCallLoggers(bin: string, log: string, programs: readonly string[]): void {
  fs.mkdirSync(bin, { recursive: true });
  for (const p of programs) {
    const real = spawnSync('bash', ['-c', `command -v ${p}`], { encoding: 'utf8' }).stdout.trim();
    fs.writeFileSync(
      path.join(bin, p),
      `#!/usr/bin/env bash\necho "${p} $*" >> ${JSON.stringify(log)}\n${real ? `exec ${JSON.stringify(real)} "$@"` : 'exit 127'}\n`,
      { mode: 0o755 },
    );
  }
}

/** Runs a script without blocking the event loop (the fake issuer answers in this process). */
function runAsync(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function sans(certPem: string): string {
  return new X509Certificate(certPem).subjectAltName ?? '';
}

describe('node-certs.sh against the real issuer handler (stubbed IMDS, real curl SigV4, real openssl)', () => {
  const tmp = tempDir('node-certs-');
  const bin = path.join(tmp.dir, 'bin');
  const argvLog = path.join(tmp.dir, 'argv.log');
  const certDir = path.join(tmp.dir, 'etc-es-certs');
  // The CA exactly as the cluster-CA Lambda stores it; the node never sees this secret.
  const ca = createCa({
    commonName: 'elk-cdk test cluster CA',
    organization: 'elk-cdk',
    validityDays: 30,
    now: new Date(),
  });
  const SERVICE = 'elasticsearch.test.elk.internal';
  const policy: IssuerPolicy = {
    environment: 'test',
    validityDays: 7,
    groups: [
      {
        autoScalingGroup: NODE.autoScalingGroup,
        profile: 'elasticsearch-master',
        roleArn: `arn:aws:iam::${ISSUER_ACCOUNT}:role/${NODE.roleName}`,
        dnsNames: [SERVICE],
      },
    ],
  };
  let issuer: FakeIssuer;
  const run = (args: string[], env: Record<string, string> = {}) =>
    runAsync([NODE_CERTS, ...args], { PATH: `${bin}:${process.env.PATH}`, HOME: tmp.dir, ...env });

  let result: Awaited<ReturnType<typeof run>>;
  const callLog = path.join(tmp.dir, 'calls.log');
  let firstRunCalls: string[] = [];
  beforeAll(async () => {
    writeCurlStub(bin, argvLog);
    writeCallLoggers(bin, callLog, ['openssl', 'python3', 'cp', 'mv', 'chmod', 'chgrp', 'chown', 'getent']);
    issuer = await startFakeIssuer({ node: NODE, region: 'eu-west-1', caSecret: caSecretString(ca), policy });
    result = await run(['--issuer-url', issuer.url, '--service-name', SERVICE, '--cert-dir', certDir]);
    firstRunCalls = fs.readFileSync(callLog, 'utf8').trim().split('\n');
  });
  afterAll(async () => {
    await issuer.close();
    tmp.cleanup();
  });

  it('succeeds with a request that curl signed (SigV4, service lambda, region from IMDS, token signed too)', () => {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/node-certs: certificate for i-0abc1234def567890 .* valid until \d{4}-/);
    expect(issuer.signedHeaders[0]).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-security-token']));
  });

  it('never puts the role credentials on a command line', () => {
    const argv = fs.readFileSync(argvLog, 'utf8');
    expect(argv).toContain('--aws-sigv4 aws:amz:eu-west-1:lambda');
    expect(argv).not.toContain(NODE.secretAccessKey);
    expect(argv).not.toContain(NODE.token);
  });

  it('installs a short-lived certificate that verifies against the cluster CA, for the node key', () => {
    const out = openssl(['verify', '-CAfile', path.join(certDir, 'ca.crt'), path.join(certDir, 'node.crt')], certDir);
    expect(out).toContain('OK');
    expect(fs.readFileSync(path.join(certDir, 'ca.crt'), 'utf8').trim()).toBe(ca.certPem.trim());
    const node = new X509Certificate(fs.readFileSync(path.join(certDir, 'node.crt')));
    expect(node.ca).toBe(false);
    expect(node.subject).toContain('CN=i-0abc1234def567890');
    expect(node.checkPrivateKey(createPrivateKey(fs.readFileSync(path.join(certDir, 'node.key'))))).toBe(true);
    const days = (new Date(node.validTo).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
  });

  it('puts the private IP, private DNS, service name and localhost in the SANs', () => {
    const san = sans(fs.readFileSync(path.join(certDir, 'node.crt'), 'utf8'));
    for (const expected of [
      'IP Address:10.1.2.3',
      'IP Address:127.0.0.1',
      'DNS:ip-10-1-2-3.eu-west-1.compute.internal',
      'DNS:elasticsearch.test.elk.internal',
      'DNS:localhost',
    ]) {
      expect(san).toContain(expected);
    }
  });

  it('usable for both transport and HTTP: serverAuth and clientAuth', () => {
    const ext = openssl(['x509', '-in', path.join(certDir, 'node.crt'), '-noout', '-ext', 'extendedKeyUsage'], certDir);
    expect(ext).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
  });

  it('leaves only its three files, keeps the node key private, and never holds the CA key', () => {
    const files = fs.readdirSync(certDir);
    expect(files.sort()).toEqual(['ca.crt', 'node.crt', 'node.key']);
    const caKeyBody = ca.keyPem.split('\n').slice(1, 3).join('');
    for (const f of files)
      expect(fs.readFileSync(path.join(certDir, f), 'utf8').replace(/\n/g, '')).not.toContain(caKeyBody);
    expect(fs.statSync(path.join(certDir, 'node.key')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(certDir).mode & 0o777).toBe(0o750);
  });

  it('serves TLS that the connection factory accepts by service name (the whole chain, end to end)', async () => {
    const server = https.createServer(
      { key: fs.readFileSync(path.join(certDir, 'node.key')), cert: fs.readFileSync(path.join(certDir, 'node.crt')) },
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
        res.end('{"status":"green"}');
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const client = createEsClient({
        node: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        caPem: ca.certPem,
        username: 'u',
        password: 'p',
        servername: SERVICE,
      });
      await expect(client.cluster.health()).resolves.toMatchObject({ status: 'green' });
      await client.close();
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it('renews with the same command: a new key and certificate every run', async () => {
    const before = fs.readFileSync(path.join(certDir, 'node.key'), 'utf8');
    const again = await run(['--issuer-url', issuer.url, '--service-name', SERVICE, '--cert-dir', certDir]);
    expect(again.status).toBe(0);
    expect(fs.readFileSync(path.join(certDir, 'node.key'), 'utf8')).not.toBe(before);
  });

  it("fails with the issuer's reason, and installs nothing, when it asks for a name it may not have", async () => {
    const dir = path.join(tmp.dir, 'refused-certs');
    const r = await run(['--issuer-url', issuer.url, '--service-name', 'kibana.test.elk.internal', '--cert-dir', dir]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/the issuer refused \(HTTP 403\): DNS name\(s\) kibana\.test\.elk\.internal not allowed/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('--client (a Beats producer) gets a certificate for its own names only, without a service name', async () => {
    const dir = path.join(tmp.dir, 'client-certs');
    const r = await run(['--issuer-url', issuer.url, '--client', '--cert-dir', dir]);
    expect(r.stderr).toBe('');
    const names = sans(fs.readFileSync(path.join(dir, 'node.crt'), 'utf8'))
      .split(', ')
      .sort();
    expect(names).toEqual(
      [
        `DNS:${NODE.privateDnsName}`,
        `DNS:${NODE.instanceId}`,
        'DNS:localhost',
        `IP Address:${NODE.privateIp}`,
        'IP Address:127.0.0.1',
      ].sort(),
    );
    const both = await run(['--issuer-url', issuer.url, '--client', '--service-name', SERVICE, '--cert-dir', dir]);
    expect(both.stderr).toContain('--client certificates carry no service name');
  });

  it('fails when its instance is not in a group of the environment', async () => {
    issuer.setInstance({ autoScalingGroup: 'another-env-MasterGroup' });
    try {
      const dir = path.join(tmp.dir, 'foreign-certs');
      const r = await run(['--issuer-url', issuer.url, '--service-name', SERVICE, '--cert-dir', dir]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/HTTP 403.*not in a group of environment test/);
    } finally {
      issuer.setInstance({ autoScalingGroup: NODE.autoScalingGroup });
    }
  });

  it('during a CA rotation, gets a certificate of the first CA and trusts every CA in the secret', async () => {
    const newCa = createCa({ commonName: 'new CA', organization: 'elk-cdk', validityDays: 30, now: new Date() });
    issuer.setCaSecret(newCa.certPem + newCa.keyPem + ca.certPem);
    const dir = path.join(tmp.dir, 'rot-certs');
    try {
      const r = await run(['--issuer-url', issuer.url, '--service-name', SERVICE, '--cert-dir', dir]);
      expect(r.stderr).toBe('');
      const trust = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
      expect(trust.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
      const node = new X509Certificate(fs.readFileSync(path.join(dir, 'node.crt')));
      expect(node.verify(new X509Certificate(newCa.certPem).publicKey)).toBe(true);
      // An old node's certificate (signed by the old CA) verifies against the new trust bundle too.
      fs.copyFileSync(path.join(certDir, 'node.crt'), path.join(dir, 'old-node.crt'));
      expect(openssl(['verify', '-CAfile', path.join(dir, 'ca.crt'), path.join(dir, 'old-node.crt')], dir)).toContain(
        'OK',
      );
      expect(trust).not.toMatch(/PRIVATE KEY/);
    } finally {
      issuer.setCaSecret(caSecretString(ca));
    }
  });

  it('fails with a clear message when the issuer is not reachable', async () => {
    const dir = path.join(tmp.dir, 'unreachable-certs');
    const r = await run(['--issuer-url', 'http://127.0.0.1:1/', '--service-name', SERVICE, '--cert-dir', dir]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('the issuer http://127.0.0.1:1/ is not reachable');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses to run without the issuer URL or the service name, or with a plain-http issuer', async () => {
    expect((await run(['--service-name', 'x'])).stderr).toContain('--issuer-url (or CERT_ISSUER_URL) is required');
    expect((await run(['--issuer-url', 'https://x'])).stderr).toContain('--service-name (or SERVICE_NAME) is required');
    expect((await run(['--issuer-url', 'http://issuer.example', '--service-name', 'x'])).stderr).toContain(
      'must be https://',
    );
    expect((await run(['--bogus'])).stderr).toContain("unknown argument '--bogus'");
  });

  it('starts no python3 and one openssl x509 (each start reads the trust store): few processes per boot and renewal', () => {
    expect(result.status).toBe(0);
    expect(firstRunCalls.filter((c) => c.startsWith('python3'))).toEqual([]);
    expect(firstRunCalls.filter((c) => c.startsWith('openssl x509 '))).toHaveLength(1);
    const openssls = firstRunCalls.filter((c) => c.startsWith('openssl '));
    expect(openssls.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual([
      'openssl genpkey',
      'openssl req',
      'openssl verify',
      'openssl x509',
      'openssl pkey',
    ]);
  });

  it('installs the three files with one chmod per mode and one mv (renamed into place from its own folder)', () => {
    const installs = firstRunCalls.filter((c) => /^(cp|mv|chmod|chgrp|chown) /.test(c));
    expect(installs.filter((c) => c.startsWith('cp '))).toEqual([]);
    expect(installs.filter((c) => c.startsWith('mv '))).toHaveLength(1);
    expect(installs.filter((c) => c.startsWith('chmod ')).map((c) => c.split(' ')[1])).toEqual([
      '0644',
      '0600',
      '0750',
    ]);
    expect(installs.filter((c) => /^ch(grp|own) /.test(c)).length).toBeLessThanOrEqual(2);
    for (const f of ['ca.crt', 'node.crt']) expect(fs.statSync(path.join(certDir, f)).mode & 0o777).toBe(0o644);
  });

  it('reads the role credentials without a JSON tool, and refuses (installs nothing) what it cannot read exactly', async () => {
    // A JSON escape other than \n and \/ in a value: read literally, it would sign with a wrong key.
    const odd = path.join(tmp.dir, 'odd-bin');
    writeCurlStub(odd, argvLog, JSON.stringify({ AccessKeyId: 'ASIA"ODD', SecretAccessKey: 's', Token: 't' }));
    const asked = issuer.signedHeaders.length;
    const dir = path.join(tmp.dir, 'odd-certs');
    const r = await runAsync([NODE_CERTS, '--issuer-url', issuer.url, '--service-name', SERVICE, '--cert-dir', dir], {
      PATH: `${odd}:${process.env.PATH}`,
      HOME: tmp.dir,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`IMDS: unreadable credentials for ${NODE.roleName}`);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(issuer.signedHeaders).toHaveLength(asked);
  });

  it('prints the elasticsearch.yml TLS settings for the files it writes', async () => {
    const r = await run(['--print-settings', '--cert-dir', '/etc/elasticsearch/certs']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('xpack.security.transport.ssl.verification_mode: full');
    expect(r.stdout).toContain('xpack.security.http.ssl.certificate: /etc/elasticsearch/certs/node.crt');
    expect(r.stdout).toContain(
      'xpack.security.transport.ssl.certificate_authorities: [ "/etc/elasticsearch/certs/ca.crt" ]',
    );
  });
});

describe('es-bootstrap-password.sh', () => {
  const tmp = tempDir('es-bootstrap-pw-');
  afterAll(() => tmp.cleanup());

  it('pipes the elastic password into the keystore, never onto a command line, and drops auto-config TLS entries', () => {
    const bin = path.join(tmp.dir, 'bin');
    const secretFile = path.join(tmp.dir, 'elastic.json');
    const argvLog = path.join(tmp.dir, 'aws-argv.log');
    fs.writeFileSync(secretFile, JSON.stringify({ username: 'elastic', password: 'Gen3ratedPassw0rd' }));
    writeAwsStub(bin, secretFile, argvLog);
    writeCurlStub(bin, path.join(tmp.dir, 'curl-argv.log'));
    const esHome = path.join(tmp.dir, 'es');
    fs.mkdirSync(path.join(esHome, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(esHome, 'config'));
    const tool = path.join(esHome, 'bin', 'elasticsearch-keystore');
    const record = path.join(tmp.dir, 'keystore-calls.log');
    fs.writeFileSync(
      tool,
      `#!/usr/bin/env bash\necho "argv: $*" >> ${JSON.stringify(record)}\n` +
        `if [ "$1" = list ]; then printf 'keystore.seed\\nxpack.security.http.ssl.keystore.secure_password\\n'; fi\n` +
        `if [ "$1" = add ]; then echo "stdin: $(cat)" >> ${JSON.stringify(record)}; fi\n`,
      { mode: 0o755 },
    );
    const r = spawnSync('bash', [BOOTSTRAP_PW, '--secret-id', 'elk/test/users/elastic', '--keystore-tool', tool], {
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH}`, EXPECTED_SECRET_ID: 'elk/test/users/elastic', HOME: tmp.dir },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const calls = fs.readFileSync(record, 'utf8');
    expect(calls).toContain('argv: create');
    expect(calls).toContain('argv: add --force --stdin bootstrap.password');
    // The RPM auto-configuration's keystore password is removed; absent entries are left alone.
    expect(calls).toContain('argv: remove xpack.security.http.ssl.keystore.secure_password');
    expect(calls).not.toContain('argv: remove xpack.security.transport.ssl.keystore.secure_password');
    expect(calls).toContain('stdin: Gen3ratedPassw0rd');
    expect(
      calls
        .split('\n')
        .filter((l) => l.startsWith('argv:'))
        .join('\n'),
    ).not.toContain('Gen3ratedPassw0rd');
    expect(r.stdout).not.toContain('Gen3ratedPassw0rd');
  });

  it('reads the secret without python3, and refuses a password with an escape rather than misreading it', () => {
    const bin = path.join(tmp.dir, 'bin-nopy');
    const log = path.join(tmp.dir, 'nopy-calls.log');
    writeCallLoggers(bin, log, ['python3']);
    const secretFile = path.join(tmp.dir, 'escaped.json');
    writeAwsStub(bin, secretFile, path.join(tmp.dir, 'nopy-aws.log'));
    const esHome = path.join(tmp.dir, 'es-nopy');
    fs.mkdirSync(path.join(esHome, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(esHome, 'config'));
    const tool = path.join(esHome, 'bin', 'elasticsearch-keystore');
    const record = path.join(tmp.dir, 'nopy-keystore.log');
    fs.writeFileSync(
      tool,
      `#!/usr/bin/env bash\nif [ "$1" = add ]; then echo "stdin: $(cat)" >> ${JSON.stringify(record)}; fi\n`,
      { mode: 0o755 },
    );
    const runWith = (secret: string) => {
      fs.writeFileSync(secretFile, secret);
      fs.rmSync(record, { force: true });
      const args = ['--secret-id', 'elk/test/users/elastic', '--region', 'eu-west-1', '--keystore-tool', tool];
      return spawnSync('bash', [BOOTSTRAP_PW, ...args], {
        encoding: 'utf8',
        env: { PATH: `${bin}:${process.env.PATH}`, EXPECTED_SECRET_ID: 'elk/test/users/elastic', HOME: tmp.dir },
      });
    };
    const ok = runWith('{"username": "elastic", "password": "Gen3ratedPassw0rd"}\n');
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(fs.readFileSync(record, 'utf8')).toBe('stdin: Gen3ratedPassw0rd\n');
    const escaped = runWith(JSON.stringify({ username: 'elastic', password: 'Gen3rated"Passw0rd' }));
    expect(escaped.status).not.toBe(0);
    expect(escaped.stderr).toContain('the secret elk/test/users/elastic holds no "password" of letters and digits');
    expect(fs.existsSync(record)).toBe(false);
    expect(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').toBe('');
  });

  it('is found by the construct at a real path', () => {
    expect(() => execFileSync('test', ['-x', BOOTSTRAP_PW])).not.toThrow();
  });
});
