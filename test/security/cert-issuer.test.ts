import * as fs from 'fs';
import * as path from 'path';
import { X509Certificate } from 'crypto';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { caSecretString, createCa } from '../../lambda/cluster-ca/ca';
import { IssuerPolicy } from '../../lambda/cert-issuer/contract';
import { CsrError, parseCsr } from '../../lambda/cert-issuer/csr';
import { decideIssue, DecideInput, InstanceFacts } from '../../lambda/cert-issuer/decide';
import { Deps, handle, resetCache } from '../../lambda/cert-issuer/index';
import { openssl, tempDir } from './helpers/pki';

const ACCOUNT = '111111111111';
const ROLE = 'dev-cluster-MasterInstanceRole1A2B3C';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const OTHER_ROLE = 'dev-cluster-LogstashInstanceRoleXYZ';
const ME = 'i-0123456789abcdef0';
const SERVICE = 'elasticsearch.dev.elk.internal';
const NOW = new Date('2026-12-01T12:00:00Z');

const policy: IssuerPolicy = {
  environment: 'dev',
  validityDays: 7,
  groups: [
    {
      autoScalingGroup: 'dev-cluster-MasterGroup-AAA',
      profile: 'elasticsearch',
      roleArn: ROLE_ARN,
      dnsNames: [SERVICE],
    },
    {
      autoScalingGroup: 'dev-cluster-LogstashGroup-BBB',
      profile: 'logstash',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/${OTHER_ROLE}`,
      dnsNames: ['logstash.dev.elk.internal'],
    },
  ],
};
const me: InstanceFacts = {
  instanceId: ME,
  state: 'running',
  privateIp: '10.0.1.17',
  privateDnsName: 'ip-10-0-1-17.eu-west-1.compute.internal',
  autoScalingGroup: 'dev-cluster-MasterGroup-AAA',
};
const session = (role: string, instance: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${instance}`;
const ownNames = {
  dns: [SERVICE, me.privateDnsName!, ME, 'localhost'],
  ip: [me.privateIp!, '127.0.0.1'],
};

function input(over: Partial<DecideInput> = {}): DecideInput {
  return {
    caller: { userArn: session(ROLE, ME), accountId: ACCOUNT },
    instance: me,
    requested: ownNames,
    policy,
    now: NOW,
    caNotAfter: new Date('2036-01-01T00:00:00Z'),
    ...over,
  };
}

describe('decideIssue (who may have which certificate)', () => {
  it('issues a running member of an environment group its own names, for the policy validity', () => {
    const d = decideIssue(input());
    expect(d.decision).toBe('issue');
    if (d.decision !== 'issue') return;
    expect(d.dnsNames).toEqual([SERVICE, me.privateDnsName, ME, 'localhost']);
    expect(d.ips).toEqual(['10.0.1.17', '127.0.0.1']);
    expect(d.notAfter.toISOString()).toBe('2026-12-08T12:00:00.000Z');
    expect(d.notBefore < NOW).toBe(true);
  });

  const refusals: [string, Partial<DecideInput>, RegExp][] = [
    ["another instance's IP", { requested: { dns: [], ip: ['10.0.1.18'] } }, /IP\(s\) 10\.0\.1\.18 not allowed/],
    [
      'a name outside the allowed SANs',
      { requested: { dns: ['kibana.dev.elk.internal'], ip: [] } },
      /DNS name\(s\) kibana\.dev\.elk\.internal not allowed/,
    ],
    [
      "another instance's DNS name",
      { requested: { dns: ['ip-10-0-1-18.eu-west-1.compute.internal'], ip: [] } },
      /not allowed/,
    ],
    [
      'an instance outside the environment groups',
      { instance: { ...me, autoScalingGroup: 'staging-cluster-MasterGroup-ZZZ' } },
      /not in a group of environment dev \(its group: staging-cluster-MasterGroup-ZZZ\)/,
    ],
    ['an instance in no group at all', { instance: { ...me, autoScalingGroup: undefined } }, /its group: none/],
    [
      "the service name of another group's profile",
      {
        caller: { userArn: session(OTHER_ROLE, ME), accountId: ACCOUNT },
        instance: { ...me, autoScalingGroup: 'dev-cluster-LogstashGroup-BBB' },
      },
      /DNS name\(s\) elasticsearch\.dev\.elk\.internal not allowed/,
    ],
    [
      "a role that is not the group's instance role",
      { caller: { userArn: session(OTHER_ROLE, ME), accountId: ACCOUNT } },
      /caller role .* is not the instance role of group/,
    ],
    [
      'a caller that is not an instance session',
      { caller: { userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/alice`, accountId: ACCOUNT } },
      /not an EC2 instance role session/,
    ],
    [
      'an IAM user',
      { caller: { userArn: `arn:aws:iam::${ACCOUNT}:user/mallory`, accountId: ACCOUNT } },
      /not an EC2 instance role session/,
    ],
    [
      'a caller of another account',
      { caller: { userArn: session(ROLE, ME).replace(ACCOUNT, '222222222222'), accountId: ACCOUNT } },
      /not the function's account/,
    ],
    ['an instance that does not exist', { instance: undefined }, /does not exist/],
    ['a stopped instance', { instance: { ...me, state: 'stopped' } }, /is stopped, not running/],
    ['a request without any name', { requested: { dns: [], ip: [] } }, /no subjectAltName/],
    ['after the CA expired', { caNotAfter: new Date('2026-11-30T00:00:00Z') }, /CA has expired/],
  ];
  it.each(refusals)('refuses %s', (_what, over, reason) => {
    const d = decideIssue(input(over));
    expect(d.decision).toBe('refuse');
    expect(d.reason).toMatch(reason);
  });

  it('never issues past the CA expiry', () => {
    const d = decideIssue(input({ caNotAfter: new Date('2026-12-03T00:00:00Z') }));
    expect(d.decision === 'issue' && d.notAfter.toISOString()).toBe('2026-12-03T00:00:00.000Z');
  });
});

describe('the issuer handler (function URL, real CSRs, real openssl)', () => {
  const tmp = tempDir('cert-issuer-');
  const ca = createCa({ commonName: 'elk-cdk dev cluster CA', organization: 'elk-cdk', validityDays: 3650, now: NOW });
  const ec2 = mockClient(EC2Client);
  const ssm = mockClient(SSMClient);
  const sm = mockClient(SecretsManagerClient);
  let logs: string[];
  const deps = (): Deps => ({
    ec2: new EC2Client({}),
    ssm: new SSMClient({}),
    secretsManager: new SecretsManagerClient({}),
    env: { CA_SECRET_ARN: 'arn:ca', POLICY_PARAMETER_NAME: '/elk/dev/security/issuer-policy' },
    now: () => NOW,
    log: (l) => logs.push(JSON.stringify(l)),
  });

  function csr(sans: string, name = 'node'): string {
    const key = path.join(tmp.dir, `${name}.key`);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], tmp.dir);
    return openssl(['req', '-new', '-key', key, '-subj', `/CN=anything`, '-addext', `subjectAltName=${sans}`], tmp.dir);
  }
  function event(body: unknown, userArn = session(ROLE, ME)): LambdaFunctionURLEvent {
    return {
      body: JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'POST' },
        authorizer: { iam: { userArn, accountId: ACCOUNT } },
      },
    } as unknown as LambdaFunctionURLEvent;
  }

  beforeEach(() => {
    logs = [];
    resetCache();
    ec2.reset();
    ssm.reset();
    sm.reset();
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(policy) } });
    sm.on(GetSecretValueCommand).resolves({ SecretString: caSecretString(ca) });
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: ME,
              State: { Name: 'running' },
              PrivateIpAddress: me.privateIp,
              PrivateDnsName: me.privateDnsName,
              Tags: [{ Key: 'aws:autoscaling:groupName', Value: me.autoScalingGroup }],
            },
          ],
        },
      ],
    });
  });
  afterAll(() => tmp.cleanup());

  it('signs a certificate that openssl verifies against the CA, with exactly the requested own names', async () => {
    const sans = `DNS:${SERVICE},DNS:${me.privateDnsName},DNS:${ME},DNS:localhost,IP:${me.privateIp},IP:127.0.0.1`;
    const res = (await handle(event({ csr: csr(sans) }), deps())) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    fs.writeFileSync(path.join(tmp.dir, 'ca.crt'), body.caPem);
    fs.writeFileSync(path.join(tmp.dir, 'node.crt'), body.certificatePem);
    expect(openssl(['verify', '-purpose', 'sslserver', '-CAfile', 'ca.crt', 'node.crt'], tmp.dir).trim()).toBe(
      'node.crt: OK',
    );
    openssl(['verify', '-purpose', 'sslclient', '-CAfile', 'ca.crt', 'node.crt'], tmp.dir);
    const cert = new X509Certificate(body.certificatePem);
    expect(cert.subject).toContain(`CN=${ME}`);
    expect(cert.subjectAltName).toBe(
      `DNS:${SERVICE}, DNS:${me.privateDnsName}, DNS:${ME}, DNS:localhost, IP Address:10.0.1.17, IP Address:127.0.0.1`,
    );
    expect(cert.ca).toBe(false);
    expect(new Date(cert.validTo).getTime() - NOW.getTime()).toBe(7 * 86_400_000);
    const text = openssl(['x509', '-in', 'node.crt', '-noout', '-text'], tmp.dir);
    expect(text).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(text).toMatch(/CA:FALSE/);
    expect(res.body).not.toMatch(/PRIVATE KEY/);
    expect(logs.join('\n')).not.toMatch(/PRIVATE KEY/);
    expect(JSON.parse(logs[0])).toMatchObject({ decision: 'issue', instanceId: ME });
  });

  it("refuses (403) another instance's IP and says why", async () => {
    const res = (await handle(event({ csr: csr('IP:10.0.1.99') }), deps())) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body).error).toMatch(/10\.0\.1\.99 not allowed/);
    expect(JSON.parse(logs[0])).toMatchObject({ decision: 'refuse', instanceId: ME });
  });

  it('refuses (403) an instance outside the environment groups', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: ME,
              State: { Name: 'running' },
              PrivateIpAddress: me.privateIp,
              PrivateDnsName: me.privateDnsName,
              Tags: [{ Key: 'aws:autoscaling:groupName', Value: 'someone-elses-group' }],
            },
          ],
        },
      ],
    });
    const res = (await handle(event({ csr: csr(`IP:${me.privateIp}`) }), deps())) as { statusCode: number };
    expect(res.statusCode).toBe(403);
  });

  it('refuses (403) a caller without IAM identity and (400) a body that is not a CSR', async () => {
    const anonymous = event({ csr: 'x' });
    (anonymous.requestContext as unknown as { authorizer?: unknown }).authorizer = undefined;
    expect(((await handle(anonymous, deps())) as { statusCode: number }).statusCode).toBe(403);
    const bad = (await handle(event({ csr: 'not a csr' }), deps())) as { statusCode: number; body: string };
    expect(bad.statusCode).toBe(400);
    expect(ec2.calls()).toHaveLength(0);
  });
});

describe('parseCsr', () => {
  const tmp = tempDir('csr-');
  afterAll(() => tmp.cleanup());

  it('rejects a request whose signature does not match its public key', () => {
    const key = path.join(tmp.dir, 'k.key');
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], tmp.dir);
    const pem = openssl(
      ['req', '-new', '-key', key, '-subj', '/CN=x', '-addext', 'subjectAltName=IP:10.0.0.1'],
      tmp.dir,
    );
    expect(parseCsr(pem).names).toEqual({ dns: [], ip: ['10.0.0.1'] });
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    der[der.length - 5] ^= 0x01; // flip a bit in the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(() => parseCsr(tampered)).toThrow(CsrError);
  });

  it('rejects a weak RSA key', () => {
    const key = path.join(tmp.dir, 'rsa.key');
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', key], tmp.dir);
    const pem = openssl(['req', '-new', '-key', key, '-subj', '/CN=x'], tmp.dir);
    expect(() => parseCsr(pem)).toThrow(/unsupported key/);
  });
});
