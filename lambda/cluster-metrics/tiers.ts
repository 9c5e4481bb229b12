/**
 * Which Kibana and Logstash instances the collector probes: the running instances of the Auto Scaling groups that
 * the issuer policy (`/elk/<env>/security/issuer-policy`) lists under the tier's profile, i.e. exactly the instances
 * that may hold a certificate of that tier. The collector reads the groups' names there, not from its environment,
 * so it references no group (it is created before them and does not wait for their updates).
 */
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { IssuerPolicySchema, type IssuerPolicy } from '../cert-issuer/contract';
import type { ServiceTier } from './contract';

/** A running instance of a service tier, and its private IP (its certificate names it). */
export interface TierInstance {
  readonly tier: ServiceTier;
  readonly instanceId: string;
  readonly privateIp: string;
  readonly launchedAt?: Date;
}

/** Pure: the Auto Scaling group names of each tier (the groups whose issuer profile is the tier's name). */
export function tierGroups(policy: IssuerPolicy, tiers: readonly ServiceTier[]): Map<string, ServiceTier> {
  const out = new Map<string, ServiceTier>();
  for (const g of policy.groups) {
    const tier = tiers.find((t) => t === g.profile);
    if (tier) out.set(g.autoScalingGroup, tier);
  }
  return out;
}

export interface RawInstance {
  readonly InstanceId?: string;
  readonly PrivateIpAddress?: string;
  readonly LaunchTime?: Date;
  readonly Tags?: ReadonlyArray<{ readonly Key?: string; readonly Value?: string }>;
}

/** Pure: the instances of `groups` among DescribeInstances' answer (Auto Scaling's own group tag). */
export function tierInstancesOf(raw: readonly RawInstance[], groups: Map<string, ServiceTier>): TierInstance[] {
  return raw.flatMap((i) => {
    const group = i.Tags?.find((t) => t.Key === 'aws:autoscaling:groupName')?.Value;
    const tier = group === undefined ? undefined : groups.get(group);
    if (!tier || !i.InstanceId || !i.PrivateIpAddress) return [];
    return [
      {
        tier,
        instanceId: i.InstanceId,
        privateIp: i.PrivateIpAddress,
        ...(i.LaunchTime ? { launchedAt: i.LaunchTime } : {}),
      },
    ];
  });
}

/** At most this many DescribeInstances pages of 1000 (a bounded loop; far more than two service groups hold). */
const MAX_PAGES = 5;

/** Reads the issuer policy and lists the running instances of the tiers' groups. Throws when either read fails. */
export async function listTierInstances(
  clients: { readonly ssm: SSMClient; readonly ec2: EC2Client },
  policyParameterName: string,
  tiers: readonly ServiceTier[],
): Promise<TierInstance[]> {
  if (tiers.length === 0) return [];
  const out = await clients.ssm.send(new GetParameterCommand({ Name: policyParameterName }));
  const policy = IssuerPolicySchema.parse(JSON.parse(out.Parameter?.Value ?? 'null'));
  const groups = tierGroups(policy, tiers);
  if (groups.size === 0) return [];
  const raw: RawInstance[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await clients.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'tag:aws:autoscaling:groupName', Values: [...groups.keys()] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
        MaxResults: 1000,
        ...(token ? { NextToken: token } : {}),
      }),
    );
    for (const res of r.Reservations ?? []) raw.push(...(res.Instances ?? []));
    token = r.NextToken;
    if (!token) break;
  }
  return tierInstancesOf(raw, groups);
}
