import { execFileSync, spawn } from 'child_process';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import * as net from 'net';
import * as tls from 'tls';
import { leafCertificate } from '../../lambda/cert-issuer/leaf';
import {
  judgeCertificate,
  pemCertificates,
  probeCertificate,
  readPresentedCertificate,
} from '../../lambda/cluster-metrics/probe';
import { makeTestCa, tempDir, type TestCa } from '../security/helpers/pki';

// The collector's outside view of a node certificate (issue #13): real TLS servers on 127.0.0.1 with certificates
// made here, among them one that requires a client certificate as the Logstash Beats input does.

const DAY = 86_400_000;

let pki: { dir: string; cleanup: () => void };
let ca: TestCa;
let otherCa: TestCa;
beforeAll(() => {
  pki = tempDir('elk-probe-');
  ca = makeTestCa(pki.dir, 'cluster-ca');
  otherCa = makeTestCa(pki.dir, 'other-ca');
});
afterAll(() => pki.cleanup());

/** A node certificate and key, signed by `signer`, valid from `fromDays` to `toDays` (from now). */
function nodeCert(signer: TestCa, ips: string[], fromDays: number, toDays: number): { key: string; cert: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const cert = leafCertificate({
    caCertPem: signer.certPem,
    caKey: createPrivateKey(signer.keyPem),
    spki: publicKey.export({ type: 'spki', format: 'der' }),
    commonName: 'i-0123456789abcdef0',
    dnsNames: ['kibana.dev.elk.internal'],
    ips,
    notBefore: new Date(Date.now() + fromDays * DAY),
    notAfter: new Date(Date.now() + toDays * DAY),
  });
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert };
}

const validTo = (pem: string) => new Date(new X509Certificate(pem).validTo);

async function listening(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}
const close = (server: net.Server) => new Promise<void>((r) => server.close(() => r()));

describe('probeCertificate against real TLS servers', () => {
  it.each(['TLSv1.2', 'TLSv1.3'] as const)(
    'reads the certificate of a server that requires a client certificate (Beats input), %s',
    async (version) => {
      const node = nodeCert(ca, ['127.0.0.1'], -1, 6.5);
      const refusals: string[] = [];
      const server = tls.createServer({
        key: node.key,
        cert: node.cert,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: version,
        maxVersion: version,
      });
      server.on('tlsClientError', (e: Error & { code?: string }) => refusals.push(e.code ?? e.message));
      server.on('secureConnection', () => refusals.push('accepted'));
      const port = await listening(server);
      try {
        const got = await probeCertificate('127.0.0.1', port, { caPem: ca.certPem, timeoutMs: 5000 });
        expect(got).toEqual({ kind: 'certificate', notAfter: validTo(node.cert) });
        // the server did refuse the collector (no client certificate): it never got a connection
        await new Promise((r) => setTimeout(r, 50));
        expect(refusals.length).toBeGreaterThan(0);
        expect(refusals).not.toContain('accepted');
      } finally {
        await close(server);
      }
    },
  );

  it('under TLS 1.2 the refusal reaches the client as an error, yet the certificate is read (the path tested)', async () => {
    const node = nodeCert(ca, ['127.0.0.1'], -1, 6.5);
    const server = tls.createServer({
      key: node.key,
      cert: node.cert,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
      maxVersion: 'TLSv1.2',
    });
    const port = await listening(server);
    try {
      // A plain client sees an error, never secureConnect: a probe that waited for secureConnect would read nothing.
      const seen = await new Promise<string>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem });
        s.once('secureConnect', () => (s.destroy(), resolve('secureConnect')));
        s.once('error', () => (s.destroy(), resolve('error')));
      });
      expect(seen).toBe('error');
      const got = await readPresentedCertificate('127.0.0.1', port, { caPem: ca.certPem, timeoutMs: 5000 });
      expect('der' in got && new X509Certificate(got.der).validTo).toBe(new X509Certificate(node.cert).validTo);
    } finally {
      await close(server);
    }
  });

  it('reads an HTTPS server without client authentication (Kibana)', async () => {
    const node = nodeCert(ca, ['127.0.0.1'], -1, 3);
    const server = https.createServer({ key: node.key, cert: node.cert }, (_q, r) => r.end());
    const port = await listening(server);
    try {
      expect(await probeCertificate('127.0.0.1', port, { caPem: ca.certPem, timeoutMs: 5000 })).toEqual({
        kind: 'certificate',
        notAfter: validTo(node.cert),
      });
    } finally {
      await close(server);
    }
  });

  it('an expired certificate, one of another CA, one for another address: refused, not unreachable', async () => {
    for (const [node, reason] of [
      [nodeCert(ca, ['127.0.0.1'], -8, -1), /CERT_HAS_EXPIRED|expired/],
      [nodeCert(otherCa, ['127.0.0.1'], -1, 6), /UNABLE_TO_VERIFY|unable to verify/],
      [nodeCert(ca, ['10.0.0.9'], -1, 6), /ERR_TLS_CERT_ALTNAME_INVALID|127\.0\.0\.1/],
    ] as const) {
      const server = https.createServer({ key: node.key, cert: node.cert }, (_q, r) => r.end());
      const port = await listening(server);
      try {
        const got = await probeCertificate('127.0.0.1', port, { caPem: ca.certPem, timeoutMs: 5000 });
        expect(got).toEqual({ kind: 'refused', reason: expect.stringMatching(reason) });
      } finally {
        await close(server);
      }
    }
  });

  it('a server that refuses the collector: its expired or foreign certificate is judged from the handshake', async () => {
    for (const [node, want] of [
      [nodeCert(ca, ['127.0.0.1'], -8, -1), 'certificate'],
      [nodeCert(otherCa, ['127.0.0.1'], -1, 6), 'refused'],
      [nodeCert(ca, ['10.0.0.9'], -1, 6), 'refused'],
    ] as const) {
      const server = tls.createServer({
        key: node.key,
        cert: node.cert,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
        maxVersion: 'TLSv1.2',
      });
      const port = await listening(server);
      try {
        const got = await probeCertificate('127.0.0.1', port, { caPem: ca.certPem, timeoutMs: 5000 });
        expect(got).toMatchObject({ kind: want, notAfter: validTo(node.cert) });
        // an expired one counts with its past end: negative days
        if (want === 'certificate') expect(validTo(node.cert).getTime()).toBeLessThan(Date.now());
      } finally {
        await close(server);
      }
    }
  });

  it('accepts a certificate of either CA of the trust bundle (CA rotation)', async () => {
    const node = nodeCert(otherCa, ['127.0.0.1'], -1, 6);
    const server = https.createServer({ key: node.key, cert: node.cert }, (_q, r) => r.end());
    const port = await listening(server);
    try {
      const bundle = `${ca.certPem}${otherCa.certPem}`;
      expect(pemCertificates(bundle)).toHaveLength(2);
      expect((await probeCertificate('127.0.0.1', port, { caPem: bundle, timeoutMs: 5000 })).kind).toBe('certificate');
    } finally {
      await close(server);
    }
  });

  it('nothing listening, or a port that never speaks TLS: unreachable, within the timeout', async () => {
    const closed = net.createServer();
    const freePort = await listening(closed);
    await close(closed);
    const refused = await probeCertificate('127.0.0.1', freePort, { caPem: ca.certPem, timeoutMs: 5000 });
    expect(refused).toEqual({ kind: 'unreachable', reason: expect.stringContaining('ECONNREFUSED') });

    const silent = net.createServer(() => undefined);
    const port = await listening(silent);
    try {
      const started = Date.now();
      const got = await probeCertificate('127.0.0.1', port, { caPem: ca.certPem, timeoutMs: 200 });
      expect(got).toEqual({ kind: 'unreachable', reason: expect.stringContaining('timed out') });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      silent.close();
    }
  });
});

/** A JDK on this machine (the Java TLS server below needs one; CI images without it skip that test). */
const hasJava = (() => {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// The Beats input runs on Java's TLS (JSSE), not Node's or OpenSSL's: the same refusal seen from Java's side.
(hasJava ? describe : describe.skip)('against a Java TLS server that requires a client certificate (JSSE)', () => {
  it.each(['TLSv1.2', 'TLSv1.3'])(
    '%s: the server refuses the collector, the collector reads its certificate',
    async (protocol) => {
      const node = nodeCert(ca, ['127.0.0.1'], -1, 4.5);
      const files = Object.fromEntries(
        (['cert', 'key'] as const).map((k) => {
          const f = path.join(pki.dir, `java-${protocol}.${k}.pem`);
          fs.writeFileSync(f, node[k]);
          return [k, f];
        }),
      );
      const server = spawn(
        'java',
        [path.join(__dirname, 'fixtures', 'NeedClientAuthServer.java'), files.cert!, files.key!, ca.certFile, protocol],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      server.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((r) => server.on('exit', () => r()));
      try {
        const port = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`java server did not start: ${out}`)), 25_000);
          server.stdout.on('data', () => {
            const m = /PORT (\d+)/.exec(out);
            if (!m) return;
            clearTimeout(timer);
            resolve(Number(m[1]));
          });
        });
        const got = await probeCertificate('127.0.0.1', port, { caPem: ca.certPem, timeoutMs: 10_000 });
        expect(got).toEqual({ kind: 'certificate', notAfter: validTo(node.cert) });
        await exited;
        expect(out).toMatch(/REFUSED/);
      } finally {
        server.kill();
      }
    },
    40_000,
  );
});

describe('judgeCertificate', () => {
  it('judges DNS names for a host name and garbage as unreadable', () => {
    const node = nodeCert(ca, ['10.0.0.9'], -1, 6);
    const der = new X509Certificate(node.cert).raw;
    const cas = pemCertificates(ca.certPem);
    expect(judgeCertificate(der, cas, 'kibana.dev.elk.internal').kind).toBe('certificate');
    expect(judgeCertificate(der, cas, 'logstash.dev.elk.internal').kind).toBe('refused');
    expect(judgeCertificate(der, cas, '10.0.0.9').kind).toBe('certificate');
    expect(judgeCertificate(Buffer.from('nope'), cas, '10.0.0.9').kind).toBe('unreachable');
    expect(judgeCertificate(der, [], '10.0.0.9').kind).toBe('refused');
  });
});
