import * as https from 'https';
import * as http from 'http';
import { AddressInfo } from 'net';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  createEsClient,
  createEsClientFromAws,
  EsClientConfigError,
  ES_COMPAT_ACCEPT,
  ES_COMPAT_CONTENT_TYPE,
  loadEsCredentials,
} from '../../lambda/shared/es-client';
import { makeServerCert, makeTestCa, tempDir, TestCa } from './helpers/pki';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A loopback HTTPS server that answers like Elasticsearch (product header) and records every request. */
function startFakeEs(key: string, cert: string): Promise<{ server: https.Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = https.createServer({ key, cert }, (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/_slow')) {
        setTimeout(() => {
          if (!res.writableEnded && !res.destroyed) res.end('{}');
        }, 3000).unref();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
      res.end(JSON.stringify({ cluster_name: 'test', status: 'green', acknowledged: true }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, seen })),
  );
}

describe('createEsClient against a loopback HTTPS server with a test CA', () => {
  const tmp = tempDir('es-client-');
  let ca: TestCa;
  let otherCa: TestCa;
  let fake: { server: https.Server; port: number; seen: Seen[] };
  let node: string;

  beforeAll(async () => {
    ca = makeTestCa(tmp.dir, 'cluster-ca');
    otherCa = makeTestCa(tmp.dir, 'other-ca');
    const server = makeServerCert(tmp.dir, ca, [
      'DNS:localhost',
      'IP:127.0.0.1',
      'DNS:elasticsearch.test.elk.internal',
    ]);
    fake = await startFakeEs(server.keyPem, server.certPem);
    node = `https://127.0.0.1:${fake.port}`;
  });
  afterAll(async () => {
    await new Promise((r) => fake.server.close(r));
    fake.server.closeAllConnections();
    tmp.cleanup();
  });
  beforeEach(() => fake.seen.splice(0));

  it.each([
    ['undefined', undefined],
    ['empty', ''],
    ['whitespace', '  \n'],
  ])('refuses to build a client when the CA PEM is %s', (_label, caPem) => {
    expect(() => createEsClient({ node, caPem, username: 'u', password: 'p' })).toThrow(/no cluster CA certificate/);
  });

  it('refuses a CA PEM that is not a certificate', () => {
    expect(() => createEsClient({ node, caPem: 'hello', username: 'u', password: 'p' })).toThrow(
      /no "-----BEGIN CERTIFICATE-----" block/,
    );
  });

  it('refuses a corrupted certificate block', () => {
    const broken = '-----BEGIN CERTIFICATE-----\nAAAAnotreallyDER\n-----END CERTIFICATE-----\n';
    expect(() => createEsClient({ node, caPem: broken, username: 'u', password: 'p' })).toThrow(
      /certificate #1 is not a valid X.509 certificate/,
    );
  });

  it('refuses a PEM that carries a private key (the CA secret instead of the CA certificate)', () => {
    expect(() => createEsClient({ node, caPem: ca.certPem + ca.keyPem, username: 'u', password: 'p' })).toThrow(
      /contains a private key/,
    );
  });

  it('refuses a node certificate in place of the CA', () => {
    const leaf = makeServerCert(tmp.dir, ca, ['DNS:x'], 'leaf');
    expect(() => createEsClient({ node, caPem: leaf.certPem, username: 'u', password: 'p' })).toThrow(
      /no certificate in the bundle is a CA/,
    );
  });

  it('refuses plain http to a non-loopback host and allows it for 127.0.0.1 (the simulator)', () => {
    expect(() =>
      createEsClient({ node: 'http://10.0.1.5:9200', caPem: ca.certPem, username: 'u', password: 'p' }),
    ).toThrow(/uses plain http.*https:\/\/10\.0\.1\.5:9200/);
    expect(() =>
      createEsClient({ node: 'http://localhost:9200', caPem: ca.certPem, username: 'u', password: 'p' }),
    ).toThrow(/uses plain http/);
    expect(() => createEsClient({ node: 'http://127.0.0.1:9200', username: 'u', password: 'p' })).not.toThrow();
  });

  it('refuses credentials in the URL, missing credentials and a non-positive timeout', () => {
    expect(() =>
      createEsClient({ node: `https://a:b@127.0.0.1:1`, caPem: ca.certPem, username: 'u', password: 'p' }),
    ).toThrow(/credentials must not be embedded/);
    expect(() => createEsClient({ node, caPem: ca.certPem, username: 'u', password: '' })).toThrow(
      /username\/password/,
    );
    expect(() =>
      createEsClient({ node, caPem: ca.certPem, username: 'u', password: 'p', requestTimeoutMs: 0 }),
    ).toThrow(/requestTimeoutMs/);
  });

  it('connects when the server certificate chains to the given CA', async () => {
    const client = createEsClient({ node, caPem: ca.certPem, username: 'u', password: 'p' });
    const health = await client.cluster.health();
    expect(health.status).toBe('green');
    await client.close();
  });

  it('accepts a bundle of CAs (CA rotation) and connects when any of them signed the server', async () => {
    const client = createEsClient({ node, caPem: otherCa.certPem + ca.certPem, username: 'u', password: 'p' });
    await expect(client.cluster.health()).resolves.toMatchObject({ status: 'green' });
    await client.close();
  });

  it('fails the TLS handshake when the CA is a different one', async () => {
    const client = createEsClient({ node, caPem: otherCa.certPem, username: 'u', password: 'p', maxRetries: 0 });
    await expect(client.cluster.health()).rejects.toThrow(/self[- ]signed|unable to (get|verify)|certificate/i);
    expect(fake.seen).toHaveLength(0);
    await client.close();
  });

  it('checks the server name: a servername in the SANs connects, one outside them fails', async () => {
    const good = createEsClient({
      node,
      caPem: ca.certPem,
      username: 'u',
      password: 'p',
      servername: 'elasticsearch.test.elk.internal',
    });
    await expect(good.cluster.health()).resolves.toMatchObject({ status: 'green' });
    await good.close();
    const bad = createEsClient({
      node,
      caPem: ca.certPem,
      username: 'u',
      password: 'p',
      servername: 'elasticsearch.other.elk.internal',
      maxRetries: 0,
    });
    await expect(bad.cluster.health()).rejects.toThrow(/altnames|does not match|Hostname/i);
    await bad.close();
  });

  it('sends compatible-with=8 Accept and Content-Type headers and basic auth', async () => {
    const client = createEsClient({ node, caPem: ca.certPem, username: 'orchestrator', password: 's3cr3t' });
    await client.cluster.putSettings({ persistent: { 'cluster.routing.allocation.exclude._name': 'i-123' } });
    await client.close();
    expect(fake.seen).toHaveLength(1);
    const req = fake.seen[0];
    expect(req.method).toBe('PUT');
    expect(req.url).toBe('/_cluster/settings');
    expect(req.headers.accept).toBe(ES_COMPAT_ACCEPT);
    expect(req.headers['content-type']).toBe(ES_COMPAT_CONTENT_TYPE);
    expect(req.headers.accept).toMatch(/compatible-with=8/);
    expect(req.headers.accept).not.toMatch(/compatible-with=9/);
    expect(req.headers.authorization).toBe('Basic ' + Buffer.from('orchestrator:s3cr3t').toString('base64'));
    expect(JSON.parse(req.body)).toEqual({ persistent: { 'cluster.routing.allocation.exclude._name': 'i-123' } });
  });

  it('sends the compatible-with=8 Accept header on requests without a body', async () => {
    const client = createEsClient({ node, caPem: ca.certPem, username: 'u', password: 'p' });
    await client.cluster.health();
    await client.close();
    expect(fake.seen[0].headers.accept).toMatch(/^application\/vnd\.elasticsearch\+json; compatible-with=8/);
  });

  it('gives up after the request timeout instead of hanging', async () => {
    const client = createEsClient({
      node,
      caPem: ca.certPem,
      username: 'u',
      password: 'p',
      requestTimeoutMs: 200,
      maxRetries: 0,
    });
    await expect(client.transport.request({ method: 'GET', path: '/_slow' })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(fake.seen.filter((s) => s.url === '/_slow')).toHaveLength(1);
    await client.close();
  });
});

describe('loadEsCredentials / createEsClientFromAws', () => {
  const sm = mockClient(SecretsManagerClient);
  const ssm = mockClient(SSMClient);
  const tmp = tempDir('es-creds-');
  let ca: TestCa;
  beforeAll(() => {
    ca = makeTestCa(tmp.dir);
  });
  afterAll(() => tmp.cleanup());
  beforeEach(() => {
    sm.reset();
    ssm.reset();
  });

  it('reads the user secret and the CA certificate from SSM', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'elk/dev/users/orchestrator' }).resolves({
      SecretString: JSON.stringify({ username: 'orchestrator', password: 'pw' }),
    });
    ssm.on(GetParameterCommand, { Name: '/elk/dev/security/ca-cert' }).resolves({
      Parameter: { Value: ca.certPem },
    });
    const creds = await loadEsCredentials({
      credentialsSecretId: 'elk/dev/users/orchestrator',
      ca: { ssmParameterName: '/elk/dev/security/ca-cert' },
      secretsManager: new SecretsManagerClient({}),
      ssm: new SSMClient({}),
    });
    expect(creds).toEqual({
      username: 'orchestrator',
      password: 'pw',
      caPem: expect.stringContaining('BEGIN CERTIFICATE'),
    });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/elk/dev/security/ca-cert' });
  });

  it('reads the CA certificate from a secret when configured so', async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'user' }).resolves({
      SecretString: JSON.stringify({ username: 'elastalert', password: 'pw' }),
    });
    sm.on(GetSecretValueCommand, { SecretId: 'ca' }).resolves({ SecretString: ca.certPem });
    const creds = await loadEsCredentials({
      credentialsSecretId: 'user',
      ca: { secretId: 'ca' },
      secretsManager: new SecretsManagerClient({}),
    });
    expect(creds.username).toBe('elastalert');
    expect(ssm).not.toHaveReceivedAnyCommand();
  });

  it('names the secret and the missing field when the secret JSON is incomplete', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'x' }) });
    await expect(
      loadEsCredentials({
        credentialsSecretId: 'elk/dev/users/x',
        ca: { secretId: 'ca' },
        secretsManager: new SecretsManagerClient({}),
      }),
    ).rejects.toThrow(/secret elk\/dev\/users\/x: missing or empty field\(s\) password/);
  });

  it('rejects a secret that is not JSON without echoing its content', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'hunter2-not-json' });
    const err = await loadEsCredentials({
      credentialsSecretId: 's',
      ca: { secretId: 'ca' },
      secretsManager: new SecretsManagerClient({}),
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(EsClientConfigError);
    expect((err as Error).message).toMatch(/not JSON/);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('rejects an SSM parameter that holds no certificate, naming the parameter', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'u', password: 'p' }) });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '' } });
    await expect(
      loadEsCredentials({
        credentialsSecretId: 's',
        ca: { ssmParameterName: '/elk/dev/security/ca-cert' },
        secretsManager: new SecretsManagerClient({}),
        ssm: new SSMClient({}),
      }),
    ).rejects.toThrow(/SSM parameter \/elk\/dev\/security\/ca-cert: no cluster CA certificate/);
  });

  it('createEsClientFromAws builds a client with the loaded credentials', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ username: 'u', password: 'p' }) });
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: ca.certPem } });
    const client = await createEsClientFromAws({
      node: 'https://elasticsearch.dev.elk.internal:9200',
      credentialsSecretId: 's',
      ca: { ssmParameterName: '/p' },
      secretsManager: new SecretsManagerClient({}),
      ssm: new SSMClient({}),
    });
    expect(client).toBeDefined();
    await client.close();
  });
});
