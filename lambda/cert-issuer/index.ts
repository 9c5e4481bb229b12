/**
 * The certificate issuer behind a function URL with AWS_IAM auth. A node POSTs `{"csr": "<PEM>"}`, signed with its
 * instance role credentials (SigV4); the function URL's authorizer tells who signed. The handler observes (policy
 * from SSM, the instance from EC2, the CA from Secrets Manager), asks decideIssue(), signs or refuses, and logs one
 * line per decision. The CA key stays in this function's memory; no key material is ever logged or returned.
 */
import type { APIGatewayProxyResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { decideCa } from '../cluster-ca/ca';
import { IssuerEnvSchema, IssueRequestSchema, IssueResponse, IssuerPolicy, IssuerPolicySchema } from './contract';
import { CsrError, parseCsr } from './csr';
import { Caller, callerInstance, decideIssue, InstanceFacts } from './decide';
import { leafCertificate } from './leaf';

export interface Deps {
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly secretsManager: SecretsManagerClient;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
  readonly log: (line: Record<string, unknown>) => void;
}

let cachedDeps: Deps | undefined;
const defaultDeps = (): Deps =>
  (cachedDeps ??= {
    ec2: new EC2Client({}),
    ssm: new SSMClient({}),
    secretsManager: new SecretsManagerClient({}),
    env: process.env,
    now: () => new Date(),
    log: (line) => console.log(JSON.stringify(line)),
  });

interface LoadedCa {
  readonly certPem: string;
  readonly trustPem: string;
  readonly key: ReturnType<typeof createPrivateKey>;
  readonly notAfter: Date;
}

/** Per container: the CA for five minutes (fewer reads of the CA secret), the policy for one. */
const cache: { ca?: { at: number; value: LoadedCa }; policy?: { at: number; value: IssuerPolicy } } = {};

/** Test hook: forget what this container cached. */
export function resetCache(): void {
  delete cache.ca;
  delete cache.policy;
}

async function loadCa(deps: Deps, arn: string): Promise<LoadedCa> {
  const now = deps.now().getTime();
  if (cache.ca && now - cache.ca.at < 300_000) return cache.ca.value;
  const out = await deps.secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
  const d = decideCa(out.SecretString, arn);
  if (d.decision !== 'reuse') throw new Error('the cluster CA has not been created yet (Custom::ElkClusterCa)');
  const value: LoadedCa = {
    certPem: d.ca.certPem,
    trustPem: d.ca.trustPem,
    key: createPrivateKey(d.ca.keyPem),
    notAfter: new Date(new X509Certificate(d.ca.certPem).validTo),
  };
  cache.ca = { at: now, value };
  return value;
}

async function loadPolicy(deps: Deps, name: string): Promise<IssuerPolicy> {
  const now = deps.now().getTime();
  if (cache.policy && now - cache.policy.at < 60_000) return cache.policy.value;
  const out = await deps.ssm.send(new GetParameterCommand({ Name: name }));
  const value = IssuerPolicySchema.parse(JSON.parse(out.Parameter?.Value ?? 'null'));
  cache.policy = { at: now, value };
  return value;
}

async function describeInstance(ec2: EC2Client, instanceId: string): Promise<InstanceFacts | undefined> {
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const i = out.Reservations?.[0]?.Instances?.[0];
    if (!i?.InstanceId) return undefined;
    return {
      instanceId: i.InstanceId,
      state: i.State?.Name ?? 'unknown',
      privateIp: i.PrivateIpAddress,
      privateDnsName: i.PrivateDnsName,
      autoScalingGroup: i.Tags?.find((t) => t.Key === 'aws:autoscaling:groupName')?.Value,
    };
  } catch (err) {
    if ((err as { name?: string }).name === 'InvalidInstanceID.NotFound') return undefined;
    throw err;
  }
}

function reply(statusCode: number, body: unknown): APIGatewayProxyResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The IAM caller from the function URL authorizer; undefined when the URL was not called with IAM auth. */
function callerOf(event: LambdaFunctionURLEvent): Caller | undefined {
  const iam = (event.requestContext as { authorizer?: { iam?: { userArn?: string; accountId?: string } } }).authorizer
    ?.iam;
  if (!iam?.userArn || !iam.accountId) return undefined;
  return { userArn: iam.userArn, accountId: iam.accountId };
}

export async function handle(
  event: LambdaFunctionURLEvent,
  deps: Deps = defaultDeps(),
): Promise<APIGatewayProxyResultV2> {
  const env = IssuerEnvSchema.parse(deps.env);
  if (event.requestContext.http.method !== 'POST') return reply(405, { error: 'POST {"csr": "<PEM>"}' });
  const caller = callerOf(event);
  if (!caller) {
    deps.log({ decision: 'refuse', reason: 'no IAM caller (the function URL must use AWS_IAM auth)' });
    return reply(403, { error: 'no IAM caller' });
  }
  let csrPem: string;
  try {
    const raw = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
    csrPem = IssueRequestSchema.parse(JSON.parse(raw)).csr;
  } catch {
    deps.log({ decision: 'refuse', caller: caller.userArn, reason: 'the body is not {"csr": "<PEM>"}' });
    return reply(400, { error: 'the body must be JSON {"csr": "<PEM certificate request>"}' });
  }
  let csr;
  try {
    csr = parseCsr(csrPem);
  } catch (err) {
    const reason = err instanceof CsrError ? err.message : 'unreadable certificate request';
    deps.log({ decision: 'refuse', caller: caller.userArn, reason });
    return reply(400, { error: reason });
  }
  const who = callerInstance(caller);
  const [policy, instance, ca] = await Promise.all([
    loadPolicy(deps, env.POLICY_PARAMETER_NAME),
    'instanceId' in who ? describeInstance(deps.ec2, who.instanceId) : Promise.resolve(undefined),
    loadCa(deps, env.CA_SECRET_ARN),
  ]);
  const now = deps.now();
  const d = decideIssue({ caller, instance, requested: csr.names, policy, now, caNotAfter: ca.notAfter });
  if (d.decision === 'refuse') {
    deps.log({ decision: 'refuse', caller: caller.userArn, instanceId: d.instanceId, reason: d.reason });
    return reply(403, { error: d.reason });
  }
  const certificatePem = leafCertificate({
    caCertPem: ca.certPem,
    caKey: ca.key,
    spki: csr.spki,
    commonName: d.instanceId,
    dnsNames: d.dnsNames,
    ips: d.ips,
    notBefore: d.notBefore,
    notAfter: d.notAfter,
  });
  const cert = new X509Certificate(certificatePem);
  const response: IssueResponse = {
    certificatePem,
    caPem: ca.trustPem,
    notAfter: d.notAfter.toISOString(),
    serial: cert.serialNumber,
  };
  deps.log({
    decision: 'issue',
    reason: d.reason,
    instanceId: d.instanceId,
    group: d.group,
    dnsNames: d.dnsNames,
    ips: d.ips,
    serial: cert.serialNumber,
    notAfter: response.notAfter,
  });
  return reply(200, response);
}

export const handler = (event: LambdaFunctionURLEvent) => handle(event);
