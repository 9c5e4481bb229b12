/**
 * onEvent handler of the cluster-CA custom resource (Provider framework). Thin: reads the CA secret, asks
 * decideCa(), writes a new CA only when there is none; with a configured rotation (`security.caRotation`) asks the
 * phase machine (rotation.ts) for the one change of the phase and, when the phase moves forward, first checks that
 * the previous phase's roll finished (roll-gate.ts; the groups from DescribeAutoScalingGroups), then writes it;
 * returns the public certificates. The private key goes to Secrets Manager and nowhere else: not into the response,
 * not into a log line.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { X509Certificate } from 'node:crypto';
import { caSecretString, createCa, decideCa } from './ca';
import { caMaterialOf, decideRotation, parseCaSecret, rotateCaSecret, rotationCommonName } from './rotation';
import { checkRollFinished, GATED_ROLES, type GateGroup, needsFinishedRoll } from './roll-gate';
import { ClusterCaData, ClusterCaEnvSchema, ClusterCaPropertiesSchema } from './contract';

/** Fixed: the CA is never replaced by CloudFormation (a new id would mean replacement + Delete of the old). */
export const PHYSICAL_ID = 'elk-cdk-cluster-ca';

export interface OnEventResult {
  readonly PhysicalResourceId: string;
  readonly Data?: ClusterCaData;
}

export interface Deps {
  readonly secretsManager: SecretsManagerClient;
  /** For the roll gate of a forward rotation phase. @default a client made when first needed */
  readonly autoScaling?: AutoScalingClient;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
  readonly log: (line: Record<string, unknown>) => void;
}

const defaultDeps = (): Deps => ({
  secretsManager: new SecretsManagerClient({}),
  env: process.env,
  now: () => new Date(),
  log: (line) => console.log(JSON.stringify(line)),
});

async function currentSecret(sm: SecretsManagerClient, arn: string): Promise<string | undefined> {
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
    return out.SecretString;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined; // a secret without any value yet
    throw err;
  }
}

export async function onEvent(
  event: CloudFormationCustomResourceEvent,
  deps: Deps = defaultDeps(),
): Promise<OnEventResult> {
  if (event.RequestType === 'Delete') {
    // The secret has RemovalPolicy RETAIN; the CA outlives the stack so a re-created stack keeps trusting it.
    deps.log({ decision: 'keep', reason: 'Delete leaves the CA secret in place (retained)' });
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const env = ClusterCaEnvSchema.parse(deps.env);
  const props = ClusterCaPropertiesSchema.parse(event.ResourceProperties);

  const current = await currentSecret(deps.secretsManager, env.CA_SECRET_ARN);
  const makeCa = (rotation: number) =>
    createCa({
      commonName: rotationCommonName(props.CommonName, rotation),
      organization: props.Organization,
      validityDays: props.ValidityDays,
      now: deps.now(),
    });
  const write = (secretString: string) =>
    deps.secretsManager.send(new PutSecretValueCommand({ SecretId: env.CA_SECRET_ARN, SecretString: secretString }));

  const decision = decideCa(current, env.CA_SECRET_ARN);
  let certPem: string;
  let trustPem: string;
  let reason = decision.reason;
  let action: string = decision.decision;
  if (decision.decision === 'create') {
    // A new environment: its first CA is of the configured rotation, so the phases of that rotation have nothing to do.
    const ca = makeCa(props.Rotation ?? 0);
    await write(caSecretString(ca));
    certPem = ca.certPem;
    trustPem = ca.trustPem;
  } else if (props.Rotation !== undefined && props.Phase !== undefined) {
    const desired = { rotation: props.Rotation, phase: props.Phase };
    const ctx = { secretName: secretNameOf(env.CA_SECRET_ARN), configFile: props.ConfigFile ?? 'the environment file' };
    const planned = decideRotation(parseCaSecret(current!, ctx.secretName), desired, ctx);
    if (needsFinishedRoll(planned.action, desired)) {
      if (props.Environment === undefined) {
        throw new Error('the CA resource has a rotation but no Environment property: the roll gate cannot run');
      }
      const groups = await clusterGroups(deps.autoScaling ?? new AutoScalingClient({}), props.Environment);
      checkRollFinished(groups, desired, { ...ctx, environment: props.Environment });
    }
    const result = rotateCaSecret(current!, desired, ctx, makeCa);
    if (result.secretString !== undefined) await write(result.secretString);
    const material = caMaterialOf(result.entries);
    certPem = material.certPem;
    trustPem = material.trustPem;
    reason = result.reason;
    action = result.action;
  } else {
    certPem = decision.ca.certPem;
    trustPem = decision.ca.trustPem;
  }
  const x509 = new X509Certificate(certPem);
  deps.log({
    decision: action,
    reason,
    fingerprint256: x509.fingerprint256,
    notAfter: x509.validTo,
  });
  return {
    PhysicalResourceId: PHYSICAL_ID,
    Data: { CertificatePem: trustPem, Fingerprint256: x509.fingerprint256, NotAfter: x509.validTo },
  };
}

/** The environment's Elasticsearch, Kibana and Logstash groups, by their tags (as `elkctl roll` finds them). */
async function clusterGroups(asg: AutoScalingClient, environment: string): Promise<GateGroup[]> {
  const groups: GateGroup[] = [];
  let token: string | undefined;
  do {
    const r = await asg.send(
      new DescribeAutoScalingGroupsCommand({
        Filters: [
          { Name: 'tag:elk-cdk:environment', Values: [environment] },
          { Name: 'tag:elk-cdk:role', Values: [...GATED_ROLES] },
        ],
        NextToken: token,
      }),
    );
    for (const g of r.AutoScalingGroups ?? []) {
      groups.push({
        name: g.AutoScalingGroupName ?? '(unnamed)',
        targetVersion:
          g.LaunchTemplate?.Version ??
          g.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification?.Version ??
          '',
        instances: (g.Instances ?? []).map((i) => ({
          instanceId: i.InstanceId ?? '',
          lifecycleState: i.LifecycleState ?? '',
          launchTemplateVersion: i.LaunchTemplate?.Version,
        })),
      });
    }
    token = r.NextToken;
  } while (token);
  return groups;
}

/** `elk/<env>/security/cluster-ca` from the secret's ARN (its name plus a random suffix), for messages. */
export function secretNameOf(arn: string): string {
  const m = /:secret:(.+)-[A-Za-z0-9]{6}$/.exec(arn);
  return m ? m[1]! : arn;
}

export const handler = (event: CloudFormationCustomResourceEvent) => onEvent(event);
