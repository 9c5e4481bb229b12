/**
 * Pure decision of the certificate issuer: who is asking (the IAM session of an EC2 instance role, whose session
 * name EC2 sets to the instance id), is that instance a running member of one of this environment's groups, with
 * that group's role, and are the names it asks for its own. Returns `issue` with the exact SANs and validity, or
 * `refuse` with a reason. No SDK, no clock: the handler passes what it observed.
 */
import type { IssuerPolicy } from './contract';
import type { RequestedNames } from './csr';

/** The caller as the function URL's IAM authorizer reports it. */
export interface Caller {
  /** e.g. arn:aws:sts::123456789012:assumed-role/<role name>/i-0123456789abcdef0 */
  readonly userArn: string;
  readonly accountId: string;
}

/** What EC2 says about the instance (DescribeInstances), or undefined when it does not exist. */
export interface InstanceFacts {
  readonly instanceId: string;
  readonly state: string;
  readonly privateIp?: string;
  readonly privateDnsName?: string;
  /** Value of the `aws:autoscaling:groupName` tag (a reserved tag only Auto Scaling sets). */
  readonly autoScalingGroup?: string;
}

export type IssueDecision =
  | {
      readonly decision: 'issue';
      readonly reason: string;
      readonly instanceId: string;
      readonly group: string;
      readonly profile: string;
      readonly dnsNames: readonly string[];
      readonly ips: readonly string[];
      readonly notBefore: Date;
      readonly notAfter: Date;
    }
  | { readonly decision: 'refuse'; readonly reason: string; readonly instanceId?: string };

const ASSUMED_ROLE = /^arn:([a-z-]+):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/(i-[0-9a-f]{8,17})$/;
/** Loopback names every node may carry: they identify no other machine. */
const LOOPBACK_DNS = ['localhost'];
const LOOPBACK_IP = ['127.0.0.1'];

/** The instance id an instance-role caller is, or a refusal. */
export function callerInstance(caller: Caller): { instanceId: string; roleName: string } | { refuse: string } {
  const m = ASSUMED_ROLE.exec(caller.userArn);
  if (!m) {
    return { refuse: `caller ${caller.userArn} is not an EC2 instance role session (assumed-role/<role>/i-...)` };
  }
  if (m[2] !== caller.accountId) return { refuse: `caller account ${m[2]} is not the function's account` };
  return { roleName: m[3], instanceId: m[4] };
}

function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

export interface DecideInput {
  readonly caller: Caller;
  /** Undefined: the instance id of the caller's session does not exist. */
  readonly instance: InstanceFacts | undefined;
  readonly requested: RequestedNames;
  readonly policy: IssuerPolicy;
  readonly now: Date;
  /** The signing CA's notAfter: no certificate outlives its issuer. */
  readonly caNotAfter: Date;
}

export function decideIssue(input: DecideInput): IssueDecision {
  const who = callerInstance(input.caller);
  if ('refuse' in who) return { decision: 'refuse', reason: who.refuse };
  const { instanceId, roleName } = who;
  const refuse = (reason: string): IssueDecision => ({ decision: 'refuse', reason, instanceId });
  const inst = input.instance;
  if (!inst || inst.instanceId !== instanceId) return refuse(`instance ${instanceId} does not exist`);
  if (inst.state !== 'running') return refuse(`instance ${instanceId} is ${inst.state}, not running`);
  const groupName = inst.autoScalingGroup;
  const group = groupName ? input.policy.groups.find((g) => g.autoScalingGroup === groupName) : undefined;
  if (!groupName || !group) {
    return refuse(
      `instance ${instanceId} is not in a group of environment ${input.policy.environment} ` +
        `(its group: ${groupName ?? 'none'})`,
    );
  }
  if (roleNameOf(group.roleArn) !== roleName) {
    return refuse(`caller role ${roleName} is not the instance role of group ${groupName}`);
  }
  if (!inst.privateIp || !inst.privateDnsName) return refuse(`instance ${instanceId} has no private IP or DNS name`);

  const allowedDns = new Set([...group.dnsNames, inst.privateDnsName, instanceId, ...LOOPBACK_DNS].map(lower));
  const allowedIp = new Set([inst.privateIp, ...LOOPBACK_IP]);
  const dnsNames = dedupe(input.requested.dns.map(lower));
  const ips = dedupe(input.requested.ip);
  if (dnsNames.length + ips.length === 0) return refuse('the request asks for no subjectAltName');
  const badDns = dnsNames.filter((d) => !allowedDns.has(d));
  if (badDns.length > 0) {
    return refuse(
      `DNS name(s) ${badDns.join(', ')} not allowed for ${instanceId} (allowed: ${[...allowedDns].join(', ')})`,
    );
  }
  const badIp = ips.filter((ip) => !allowedIp.has(ip));
  if (badIp.length > 0) {
    return refuse(`IP(s) ${badIp.join(', ')} not allowed for ${instanceId} (its own: ${inst.privateIp})`);
  }

  const notBefore = new Date(input.now.getTime() - 5 * 60_000); // clock skew between nodes
  const wanted = new Date(input.now.getTime() + input.policy.validityDays * 86_400_000);
  const notAfter = wanted < input.caNotAfter ? wanted : input.caNotAfter;
  if (!(notAfter > input.now)) return refuse('the signing CA has expired: rotate the CA (docs/security.md)');
  return {
    decision: 'issue',
    reason: `instance ${instanceId} of group ${groupName} (${group.profile})`,
    instanceId,
    group: groupName,
    profile: group.profile,
    dnsNames,
    ips,
    notBefore,
    notAfter,
  };
}

function lower(s: string): string {
  return s.toLowerCase();
}

function dedupe<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
