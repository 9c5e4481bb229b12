import * as fs from 'fs';
import * as path from 'path';
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { caSecretString, createCa, decideCa } from '../../lambda/cluster-ca/ca';
import { Deps, onEvent, PHYSICAL_ID } from '../../lambda/cluster-ca/index';
import { selfSignedCaCertificate } from '../../lambda/cluster-ca/x509';
import { makeServerCert, makeTestCa, openssl, tempDir } from './helpers/pki';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:elk/test/security/cluster-ca-AbCdEf';
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function event(
  type: 'Create' | 'Update' | 'Delete',
  props: Record<string, string> = {},
): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:x',
    ResponseURL: 'https://example.invalid',
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/s/1',
    RequestId: 'r-1',
    LogicalResourceId: 'ClusterCa',
    ResourceType: 'Custom::ElkClusterCa',
    ResourceProperties: {
      ServiceToken: 'x',
      CommonName: 'elk-cdk test cluster CA',
      Organization: 'elk-cdk',
      ValidityDays: '3650',
      ...props,
    },
  };
  if (type === 'Create') return { ...base, RequestType: 'Create' };
  if (type === 'Update') {
    return {
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: PHYSICAL_ID,
      OldResourceProperties: base.ResourceProperties,
    };
  }
  return { ...base, RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID };
}

describe('the cluster-CA custom resource handler', () => {
  const sm = mockClient(SecretsManagerClient);
  const tmp = tempDir('cluster-ca-');
  let logs: string[];
  const deps = (): Deps => ({
    secretsManager: new SecretsManagerClient({}),
    env: { CA_SECRET_ARN: ARN },
    now: () => new Date('2026-11-22T00:00:00Z'),
    log: (line) => logs.push(JSON.stringify(line)),
  });
  beforeEach(() => {
    sm.reset();
    logs = [];
  });
  afterAll(() => tmp.cleanup());

  it('on Create over the generated placeholder, writes a new CA to the secret and returns only the certificate', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'Xy7placeholderRandom32chars00000' });
    sm.on(PutSecretValueCommand).resolves({});
    const res = await onEvent(event('Create'), deps());

    expect(res.PhysicalResourceId).toBe(PHYSICAL_ID);
    const responseText = JSON.stringify(res);
    expect(responseText).not.toMatch(PRIVATE_KEY_PEM);
    expect(logs.join('\n')).not.toMatch(PRIVATE_KEY_PEM);
    expect(responseText.length).toBeLessThan(4096); // CloudFormation's response limit

    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
    const written = sm.commandCalls(PutSecretValueCommand)[0].args[0].input;
    expect(written.SecretId).toBe(ARN);
    const stored = written.SecretString!;
    expect(stored).toMatch(PRIVATE_KEY_PEM);

    // The returned certificate is a CA, self-signed, and belongs to the stored key.
    const cert = new X509Certificate(res.Data!.CertificatePem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toContain('CN=elk-cdk test cluster CA');
    expect(cert.verify(cert.publicKey)).toBe(true);
    const key = createPrivateKey(stored.match(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/)![0]);
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(res.Data!.Fingerprint256).toBe(cert.fingerprint256);
    expect(new Date(res.Data!.NotAfter).getUTCFullYear()).toBe(2036);

    // openssl agrees: the certificate verifies against itself as a trust anchor.
    const f = path.join(tmp.dir, 'created-ca.crt');
    fs.writeFileSync(f, res.Data!.CertificatePem);
    expect(openssl(['verify', '-CAfile', f, f], tmp.dir)).toContain('OK');
    expect(openssl(['x509', '-in', f, '-noout', '-ext', 'basicConstraints,keyUsage'], tmp.dir)).toMatch(
      /CA:TRUE[\s\S]*Certificate Sign, CRL Sign/,
    );
  });

  it('creates a CA when the secret has no value yet', async () => {
    sm.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'no value', $metadata: {} }));
    sm.on(PutSecretValueCommand).resolves({});
    await onEvent(event('Create'), deps());
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
  });

  it.each(['Create', 'Update'] as const)(
    'on %s over an existing CA, keeps it (create-once) and writes nothing',
    async (type) => {
      const existing = createCa({ commonName: 'old CA', organization: 'elk-cdk', validityDays: 365, now: new Date() });
      sm.on(GetSecretValueCommand).resolves({ SecretString: caSecretString(existing) });
      const res = await onEvent(event(type, { CommonName: 'a new name that must not matter' }), deps());
      expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
      expect(res.Data!.CertificatePem).toBe(existing.certPem);
      expect(res.PhysicalResourceId).toBe(PHYSICAL_ID);
      expect(logs.join()).toContain('"decision":"reuse"');
    },
  );

  it('during a CA rotation, publishes every trusted CA (new signing CA first) and still no key', async () => {
    const oldCa = createCa({ commonName: 'old', organization: 'o', validityDays: 365, now: new Date() });
    const newCa = createCa({ commonName: 'new', organization: 'o', validityDays: 365, now: new Date() });
    sm.on(GetSecretValueCommand).resolves({ SecretString: newCa.certPem + newCa.keyPem + oldCa.certPem });
    const res = await onEvent(event('Update', { Revision: '2' }), deps());
    expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(res.Data!.CertificatePem).toBe(newCa.certPem + oldCa.certPem);
    expect(res.Data!.Fingerprint256).toBe(new X509Certificate(newCa.certPem).fingerprint256);
    expect(JSON.stringify(res)).not.toMatch(PRIVATE_KEY_PEM);
  });

  it('refuses a trusted extra certificate that is not a CA', async () => {
    const ca = createCa({ commonName: 'c', organization: 'o', validityDays: 365, now: new Date() });
    const leaf = makeServerCert(tmp.dir, makeTestCa(tmp.dir, 'x'), ['DNS:x'], 'leaf');
    sm.on(GetSecretValueCommand).resolves({ SecretString: ca.certPem + ca.keyPem + leaf.certPem });
    await expect(onEvent(event('Update'), deps())).rejects.toThrow(/trusted certificate #2 is not a CA/);
  });

  it('on Delete, touches nothing and keeps the physical id', async () => {
    const res = await onEvent(event('Delete'), deps());
    expect(res).toEqual({ PhysicalResourceId: PHYSICAL_ID });
    expect(sm).not.toHaveReceivedAnyCommand();
  });

  it('refuses to overwrite a secret that holds PEM data which is not a matching CA', async () => {
    const a = createCa({ commonName: 'a', organization: 'o', validityDays: 365, now: new Date() });
    const b = createCa({ commonName: 'b', organization: 'o', validityDays: 365, now: new Date() });
    sm.on(GetSecretValueCommand).resolves({ SecretString: a.certPem + b.keyPem });
    await expect(onEvent(event('Update'), deps())).rejects.toThrow(/private key does not belong to the certificate/);
    expect(sm).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  it('rejects properties that break the contract before touching the secret', async () => {
    await expect(onEvent(event('Create', { ValidityDays: '5' }), deps())).rejects.toThrow(/ValidityDays/);
    expect(sm).not.toHaveReceivedAnyCommand();
  });
});

describe('decideCa', () => {
  const tmp = tempDir('decide-ca-');
  afterAll(() => tmp.cleanup());

  it('refuses a node certificate with its key in place of a CA', () => {
    const ca = makeTestCa(tmp.dir);
    const leaf = makeServerCert(tmp.dir, ca, ['DNS:x']);
    expect(() => decideCa(leaf.certPem + leaf.keyPem, 'secret-x')).toThrow(/secret-x: the certificate is not a CA/);
  });

  it('accepts a CA made by openssl (an operator-imported CA)', () => {
    const ca = makeTestCa(tmp.dir, 'imported');
    const d = decideCa(ca.certPem + ca.keyPem, 's');
    expect(d.decision).toBe('reuse');
  });

  it('refuses PEM with a certificate but no key', () => {
    const ca = makeTestCa(tmp.dir, 'nokey');
    expect(() => decideCa(ca.certPem, 's')).toThrow(/not both a CERTIFICATE and a PRIVATE KEY/);
  });
});

describe('selfSignedCaCertificate (the DER writer)', () => {
  const tmp = tempDir('x509-');
  afterAll(() => tmp.cleanup());

  it('encodes validity beyond 2049 as GeneralizedTime and openssl still verifies it', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = selfSignedCaCertificate({
      privateKey,
      commonName: 'long lived',
      organization: 'o',
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2126-01-01T00:00:00Z'),
    });
    const cert = new X509Certificate(pem);
    expect(new Date(cert.validTo).getUTCFullYear()).toBe(2126);
    expect(new Date(cert.validFrom).getUTCFullYear()).toBe(2026);
    const f = path.join(tmp.dir, 'long.crt');
    fs.writeFileSync(f, pem);
    expect(openssl(['verify', '-CAfile', f, f], tmp.dir)).toContain('OK');
    expect(createPublicKey(privateKey).export({ format: 'jwk' })).toEqual(cert.publicKey.export({ format: 'jwk' }));
  });

  it('gives every certificate a distinct positive serial', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const opts = { privateKey, commonName: 'c', organization: 'o', notBefore: new Date(0), notAfter: new Date(1e12) };
    const serials = new Set([1, 2, 3].map(() => new X509Certificate(selfSignedCaCertificate(opts)).serialNumber));
    expect(serials.size).toBe(3);
  });

  it('rejects keys it cannot sign with', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() =>
      selfSignedCaCertificate({
        privateKey,
        commonName: 'c',
        organization: 'o',
        notBefore: new Date(0),
        notAfter: new Date(1e12),
      }),
    ).toThrow(/EC P-256/);
  });
});
