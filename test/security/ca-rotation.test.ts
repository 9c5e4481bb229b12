import { X509Certificate } from 'crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { caSecretString, createCa, decideCa } from '../../lambda/cluster-ca/ca';
import { onEvent, PHYSICAL_ID, secretNameOf } from '../../lambda/cluster-ca/index';
import {
  CaRotation,
  CaRotationError,
  CaRotationPhase,
  parseCaSecret,
  rotateCaSecret,
  rotationCommonName,
  rotationOf,
  rotationStepProblem,
} from '../../lambda/cluster-ca/rotation';

const BASE = 'elk-cdk test cluster CA';
const CTX = { secretName: 'elk/test/security/cluster-ca', configFile: 'config/environments/test.yaml' };
const NOW = new Date('2026-11-22T00:00:00Z');
const makeCa = (rotation: number) =>
  createCa({ commonName: rotationCommonName(BASE, rotation), organization: 'elk-cdk', validityDays: 3650, now: NOW });
const r = (rotation: number, phase: CaRotationPhase): CaRotation => ({ rotation, phase });
const cn = (pem: string) => /CN=(.+)/.exec(new X509Certificate(pem).subject)![1];

/** Runs the phases in order from `secret`, returning every secret string on the way. */
function walk(secret: string, phases: CaRotation[]): string[] {
  const out: string[] = [];
  for (const p of phases) {
    const res = rotateCaSecret(secret, p, CTX, makeCa);
    secret = res.secretString ?? secret;
    out.push(secret);
  }
  return out;
}

/** What the issuer reads from a secret: the signing CA's name and the names it hands out as trusted. */
function issuerView(secret: string): { signs: string; trusts: string[] } {
  const d = decideCa(secret, CTX.secretName);
  if (d.decision !== 'reuse') throw new Error('no CA');
  const trusts = (d.ca.trustPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(cn);
  return { signs: cn(d.ca.certPem), trusts };
}

describe('the CA rotation phase machine', () => {
  const initial = caSecretString(makeCa(0));

  it('trust-new, sign-new, drop-old: the issuer signs old, then new, and trusts both until the old one is dropped', () => {
    const [trust, sign, drop] = walk(initial, [r(1, 'trust-new'), r(1, 'sign-new'), r(1, 'drop-old')]);
    const NEW = `${BASE} (rotation 1)`;
    expect(issuerView(trust!)).toEqual({ signs: BASE, trusts: [BASE, NEW] });
    expect(issuerView(sign!)).toEqual({ signs: NEW, trusts: [NEW, BASE] });
    expect(issuerView(drop!)).toEqual({ signs: NEW, trusts: [NEW] });
    // The new CA's key is made in the phase function and kept in the secret (after its certificate) until it signs.
    expect(parseCaSecret(trust!, CTX.secretName).map((e) => [e.rotation, !!e.keyPem])).toEqual([
      [0, true],
      [1, true],
    ]);
    // The new CA is the same one through all three phases.
    const newCert = (s: string) => parseCaSecret(s, CTX.secretName).find((e) => e.rotation === 1)!.certPem;
    expect(newCert(sign!)).toBe(newCert(trust!));
    expect(newCert(drop!)).toBe(newCert(trust!));
    // A second rotation starts from the first one's result.
    const [trust2] = walk(drop!, [r(2, 'trust-new')]);
    expect(issuerView(trust2!)).toEqual({ signs: NEW, trusts: [NEW, `${BASE} (rotation 2)`] });
  });

  it('a re-run of every phase changes nothing (idempotent deploys, retries)', () => {
    let secret = initial;
    for (const p of [r(1, 'trust-new'), r(1, 'sign-new'), r(1, 'drop-old')]) {
      secret = rotateCaSecret(secret, p, CTX, makeCa).secretString!;
      const again = rotateCaSecret(secret, p, CTX, makeCa);
      expect(again.action).toBe('keep');
      expect(again.secretString).toBeUndefined();
    }
    // After drop-old, every phase of that rotation is done: nothing to change, no new CA.
    for (const phase of ['trust-new', 'sign-new'] as const) {
      expect(rotateCaSecret(secret, r(1, phase), CTX, makeCa).action).toBe('keep');
    }
  });

  it.each([
    ['sign-new before trust-new', [], r(1, 'sign-new'), /\{rotation: 1, phase: trust-new\}/],
    ['drop-old before trust-new', [], r(1, 'drop-old'), /\{rotation: 1, phase: trust-new\}/],
    ['drop-old before sign-new', [r(1, 'trust-new')], r(1, 'drop-old'), /\{rotation: 1, phase: sign-new\}/],
    ['rotation 2 while rotation 1 trusts', [r(1, 'trust-new')], r(2, 'trust-new'), /\{rotation: 1, phase: sign-new\}/],
    ['rotation 2 while rotation 1 signs', [r(1, 'trust-new'), r(1, 'sign-new')], r(2, 'trust-new'), /drop-old/],
    ['a skipped rotation number', [], r(2, 'trust-new'), /\{rotation: 1, phase: trust-new\}/],
    [
      'a finished rotation',
      [r(1, 'trust-new'), r(1, 'sign-new'), r(1, 'drop-old'), r(2, 'trust-new'), r(2, 'sign-new'), r(2, 'drop-old')],
      r(1, 'trust-new'),
      /rotation 1 is over.*\{rotation: 2, phase: drop-old\}/,
    ],
  ])('refuses %s, naming the file, the key and the fix', (_, before, wanted, fix) => {
    const [secret] = before.length ? walk(initial, before).slice(-1) : [initial];
    let err: unknown;
    try {
      rotateCaSecret(secret!, wanted, CTX, makeCa);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaRotationError);
    const message = (err as Error).message;
    expect(message).toMatch(
      /^config\/environments\/test\.yaml: security\.caRotation: \{rotation: \d, phase: [a-z-]+\} is refused: /,
    );
    expect(message).toMatch(/Fix: /);
    expect(message).toMatch(fix);
  });

  it('undoes the last phase when CloudFormation rolls a deploy back', () => {
    const [trust, sign, drop] = walk(initial, [r(1, 'trust-new'), r(1, 'sign-new'), r(1, 'drop-old')]);
    // sign-new back to trust-new: the old CA signs again, both stay trusted.
    const back = rotateCaSecret(sign!, r(1, 'trust-new'), CTX, makeCa);
    expect(back.action).toBe('swap');
    expect(issuerView(back.secretString!)).toEqual(issuerView(trust!));
    // trust-new back to the previous rotation's state: the unused new CA leaves.
    const [done1] = walk(drop!, [r(2, 'trust-new')]).map((s) => rotateCaSecret(s, r(1, 'drop-old'), CTX, makeCa));
    expect(done1!.action).toBe('remove-new');
    expect(done1!.secretString).toBe(drop);
    // drop-old back to sign-new: the old CA is gone; the new one alone keeps signing.
    expect(rotateCaSecret(drop!, r(1, 'sign-new'), CTX, makeCa).action).toBe('keep');
  });

  it('refuses a secret it cannot place: three CAs, two of one rotation, a key that is not its certificate’s', () => {
    const a = makeCa(0);
    const b = makeCa(0);
    const c = makeCa(1);
    const three = a.certPem + a.keyPem + b.certPem + c.certPem;
    expect(() => rotateCaSecret(three, r(1, 'trust-new'), CTX, makeCa)).toThrow(/holds 3 CA certificates/);
    const twins = a.certPem + a.keyPem + b.certPem;
    expect(() => rotateCaSecret(twins, r(1, 'trust-new'), CTX, makeCa)).toThrow(/same rotation \(0\)/);
    expect(() => parseCaSecret(a.certPem + b.keyPem, CTX.secretName)).toThrow(/does not belong/);
    // The documented manual phase 1 (old cert, old key, new cert without key) cannot be signed with.
    const manual = a.certPem + a.keyPem + c.certPem;
    expect(() => rotateCaSecret(manual, r(1, 'sign-new'), CTX, makeCa)).toThrow(/does not hold its key/);
  });

  it('reads the rotation from the CA common name; the first CA is rotation 0', () => {
    expect(rotationOf(makeCa(0).certPem)).toBe(0);
    expect(rotationOf(makeCa(12).certPem)).toBe(12);
    expect(rotationCommonName(BASE, 3)).toBe(`${BASE} (rotation 3)`);
  });
});

describe('the deployed-record check of security.caRotation', () => {
  it.each([
    [undefined, undefined, true],
    [undefined, r(1, 'trust-new'), true],
    [r(1, 'trust-new'), r(1, 'sign-new'), true],
    [r(1, 'sign-new'), r(1, 'drop-old'), true],
    [r(1, 'drop-old'), r(2, 'trust-new'), true],
    [r(1, 'sign-new'), r(1, 'trust-new'), true],
    [r(1, 'drop-old'), r(1, 'drop-old'), true],
    [undefined, r(1, 'sign-new'), false],
    [r(1, 'trust-new'), r(1, 'drop-old'), false],
    [r(1, 'drop-old'), r(2, 'sign-new'), false],
    [r(1, 'drop-old'), r(1, 'trust-new'), false],
    [r(1, 'drop-old'), undefined, false],
  ])('deployed %j, wanted %j: allowed %s', (deployed, wanted, ok) => {
    const problem = rotationStepProblem(deployed, wanted);
    expect(problem === undefined).toBe(ok);
  });

  it('names the phase to deploy first when one is skipped', () => {
    expect(rotationStepProblem(undefined, r(1, 'sign-new'))).toMatch(
      /cannot be skipped.*Deploy \{rotation: 1, phase: trust-new\} first/,
    );
  });
});

describe('the cluster-CA handler with security.caRotation', () => {
  const ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:elk/test/security/cluster-ca-AbCdEf';
  const sm = mockClient(SecretsManagerClient);
  const deps = () => ({
    secretsManager: new SecretsManagerClient({}),
    env: { CA_SECRET_ARN: ARN },
    now: () => NOW,
    log: () => undefined,
  });
  const update = (props: Record<string, string>): CloudFormationCustomResourceEvent => ({
    RequestType: 'Update',
    ServiceToken: 'x',
    ResponseURL: 'https://example.invalid',
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/s/1',
    RequestId: 'r-1',
    LogicalResourceId: 'ClusterCa',
    ResourceType: 'Custom::ElkClusterCa',
    PhysicalResourceId: PHYSICAL_ID,
    ResourceProperties: {
      ServiceToken: 'x',
      CommonName: BASE,
      Organization: 'elk-cdk',
      ValidityDays: '3650',
      ...props,
    },
    OldResourceProperties: { ServiceToken: 'x' },
  });
  const phase = (rotation: number, p: CaRotationPhase) => ({
    Rotation: String(rotation),
    Phase: p,
    ConfigFile: 'config/environments/test.yaml',
  });
  beforeEach(() => sm.reset());

  it('writes the phase change once, returns both certificates and no key; the same phase again writes nothing', async () => {
    const initial = caSecretString(makeCa(0));
    sm.on(GetSecretValueCommand).resolves({ SecretString: initial });
    sm.on(PutSecretValueCommand).resolves({});
    const res = await onEvent(update(phase(1, 'trust-new')), deps());
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 1);
    const written = sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input.SecretString!;
    expect(issuerView(written)).toEqual({ signs: BASE, trusts: [BASE, `${BASE} (rotation 1)`] });
    expect(res.Data!.CertificatePem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(JSON.stringify(res)).not.toMatch(/PRIVATE KEY/);

    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: written });
    await onEvent(update(phase(1, 'trust-new')), deps());
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });

  it('fails the deployment on a phase out of order, naming the file and key, and writes nothing', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: caSecretString(makeCa(0)) });
    await expect(onEvent(update(phase(1, 'sign-new')), deps())).rejects.toThrow(
      /^config\/environments\/test\.yaml: security\.caRotation: \{rotation: 1, phase: sign-new\} is refused: elk\/test\/security\/cluster-ca holds rotation 0's CA alone/,
    );
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });

  it('a new environment created with a rotation set gets that rotation’s CA alone', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'Xy7placeholderRandom32chars00000' });
    sm.on(PutSecretValueCommand).resolves({});
    await onEvent(
      { ...update(phase(2, 'sign-new')), RequestType: 'Create' } as CloudFormationCustomResourceEvent,
      deps(),
    );
    const written = sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input.SecretString!;
    expect(issuerView(written)).toEqual({ signs: `${BASE} (rotation 2)`, trusts: [`${BASE} (rotation 2)`] });
  });

  it('without a rotation, keeps the create-once behaviour: a two-CA secret made by hand is used as it is', async () => {
    const a = makeCa(0);
    const b = makeCa(1);
    sm.on(GetSecretValueCommand).resolves({ SecretString: a.certPem + a.keyPem + b.certPem });
    const res = await onEvent(update({}), deps());
    expect(sm).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
    expect(res.Data!.CertificatePem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });

  it('names the secret without its ARN suffix in messages', () => {
    expect(secretNameOf(ARN)).toBe('elk/test/security/cluster-ca');
  });
});
