import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { AddressInfo } from 'net';
import { X509Certificate } from 'crypto';
import { caSecretString, createCa } from '../../lambda/cluster-ca/ca';
import { createEsClient } from '../../lambda/shared/es-client';
import { ClusterSecurity } from '../../lib/security/ClusterSecurity';
import { openssl, tempDir } from './helpers/pki';

const NODE_CERTS = ClusterSecurity.nodeCertificateScriptPath;
const BOOTSTRAP_PW = ClusterSecurity.bootstrapPasswordScriptPath;

/** Writes executable stubs for `aws` and `curl` (IMDSv2) into `bin`. The aws stub logs its argv. */
function writeStubs(bin: string, secretFile: string, argvLog: string): void {
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
  fs.writeFileSync(
    path.join(bin, 'curl'),
    `#!/usr/bin/env bash
url="\${!#}"
case "$*" in
  *"-X PUT"*latest/api/token*) printf 'tok-123'; exit 0 ;;
esac
case "$*" in *"X-aws-ec2-metadata-token: tok-123"*) ;; *) exit 22 ;; esac
case "$url" in
  */meta-data/local-ipv4) printf '10.1.2.3' ;;
  */meta-data/local-hostname) printf 'ip-10-1-2-3.eu-west-1.compute.internal' ;;
  */meta-data/instance-id) printf 'i-0abc1234def567890' ;;
  */meta-data/placement/region) printf 'eu-west-1' ;;
  *) exit 22 ;;
esac
`,
    { mode: 0o755 },
  );
}

function sans(certPem: string): string {
  return new X509Certificate(certPem).subjectAltName ?? '';
}

describe('node-certs.sh with stubbed aws/curl and the real openssl', () => {
  const tmp = tempDir('node-certs-');
  const bin = path.join(tmp.dir, 'bin');
  const secretFile = path.join(tmp.dir, 'ca-secret.txt');
  const argvLog = path.join(tmp.dir, 'aws-argv.log');
  const certDir = path.join(tmp.dir, 'etc-es-certs');
  // The CA exactly as the cluster-CA Lambda stores it.
  const ca = createCa({
    commonName: 'elk-cdk test cluster CA',
    organization: 'elk-cdk',
    validityDays: 30,
    now: new Date(),
  });
  const secretId = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:elk/test/security/cluster-ca-AbCdEf';

  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync('bash', [NODE_CERTS, ...args], {
      encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH}`, EXPECTED_SECRET_ID: secretId, HOME: tmp.dir, ...env },
    });

  beforeAll(() => {
    fs.writeFileSync(secretFile, caSecretString(ca));
    writeStubs(bin, secretFile, argvLog);
  });
  afterAll(() => tmp.cleanup());

  let result: ReturnType<typeof run>;
  beforeAll(() => {
    result = run([
      '--ca-secret-id',
      secretId,
      '--service-name',
      'elasticsearch.test.elk.internal',
      '--cert-dir',
      certDir,
    ]);
  });

  it('succeeds and reads the CA secret in the region from IMDS', () => {
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(fs.readFileSync(argvLog, 'utf8')).toContain(`--region eu-west-1 --secret-id ${secretId}`);
  });

  it('issues a node certificate that verifies against the cluster CA', () => {
    const out = openssl(['verify', '-CAfile', path.join(certDir, 'ca.crt'), path.join(certDir, 'node.crt')], certDir);
    expect(out).toContain('OK');
    expect(fs.readFileSync(path.join(certDir, 'ca.crt'), 'utf8').trim()).toBe(ca.certPem.trim());
    const node = new X509Certificate(fs.readFileSync(path.join(certDir, 'node.crt')));
    expect(node.ca).toBe(false);
    expect(node.subject).toContain('CN=i-0abc1234def567890');
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

  it('leaves no CA key on disk and keeps the node key private', () => {
    const files = fs.readdirSync(certDir);
    expect(files.sort()).toEqual(['ca.crt', 'node.crt', 'node.key']);
    const caKeyBody = ca.keyPem.split('\n').slice(1, 3).join('');
    for (const f of files)
      expect(fs.readFileSync(path.join(certDir, f), 'utf8').replace(/\n/g, '')).not.toContain(caKeyBody);
    expect(fs.statSync(path.join(certDir, 'node.key')).mode & 0o777).toBe(0o640);
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
        servername: 'elasticsearch.test.elk.internal',
      });
      await expect(client.cluster.health()).resolves.toMatchObject({ status: 'green' });
      await client.close();
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  it('issues a different key at every run (a replacement node never reuses a key)', () => {
    const before = fs.readFileSync(path.join(certDir, 'node.key'), 'utf8');
    const again = run(['--ca-secret-id', secretId, '--service-name', 'es.x', '--cert-dir', certDir]);
    expect(again.status).toBe(0);
    expect(fs.readFileSync(path.join(certDir, 'node.key'), 'utf8')).not.toBe(before);
  });

  it('during a CA rotation, signs with the first CA and trusts every CA in the secret', () => {
    const newCa = createCa({ commonName: 'new CA', organization: 'elk-cdk', validityDays: 30, now: new Date() });
    const rotating = path.join(tmp.dir, 'rotating-secret.txt');
    const rotBin = path.join(tmp.dir, 'bin-rot');
    writeStubs(rotBin, rotating, argvLog);
    fs.writeFileSync(rotating, newCa.certPem + newCa.keyPem + ca.certPem);
    const dir = path.join(tmp.dir, 'rot-certs');
    const r = spawnSync('bash', [NODE_CERTS, '--ca-secret-id', secretId, '--service-name', 'es.x', '--cert-dir', dir], {
      encoding: 'utf8',
      env: { PATH: `${rotBin}:${process.env.PATH}`, EXPECTED_SECRET_ID: secretId, HOME: tmp.dir },
    });
    expect(r.status).toBe(0);
    const trust = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
    expect(trust.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const node = new X509Certificate(fs.readFileSync(path.join(dir, 'node.crt')));
    expect(node.verify(new X509Certificate(newCa.certPem).publicKey)).toBe(true);
    // An old node's certificate (signed by the old CA) verifies against the new trust bundle too.
    const oldNode = fs.readFileSync(path.join(certDir, 'node.crt'), 'utf8');
    fs.writeFileSync(path.join(dir, 'old-node.crt'), oldNode);
    expect(openssl(['verify', '-CAfile', path.join(dir, 'ca.crt'), path.join(dir, 'old-node.crt')], dir)).toContain(
      'OK',
    );
    expect(trust).not.toMatch(/PRIVATE KEY/);
  });

  it('fails with a clear message, and leaves no work files, when the secret cannot be read', () => {
    const dir = path.join(tmp.dir, 'fail-certs');
    const r = run(['--ca-secret-id', 'wrong-secret', '--service-name', 'es.x', '--cert-dir', dir]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('cannot read the CA secret wrong-secret');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses to run without the CA secret id or the service name', () => {
    expect(run(['--service-name', 'x']).stderr).toContain('--ca-secret-id (or CA_SECRET_ID) is required');
    expect(run(['--ca-secret-id', 'x']).stderr).toContain('--service-name (or SERVICE_NAME) is required');
    expect(run(['--bogus']).stderr).toContain("unknown argument '--bogus'");
  });

  it('prints the elasticsearch.yml TLS settings for the files it writes', () => {
    const r = run(['--print-settings', '--cert-dir', '/etc/elasticsearch/certs']);
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
    writeStubs(bin, secretFile, argvLog);
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

  it('is found by the construct at a real path', () => {
    expect(() => execFileSync('test', ['-x', BOOTSTRAP_PW])).not.toThrow();
  });
});
