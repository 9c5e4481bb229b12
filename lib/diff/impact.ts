/**
 * What a template change means for running nodes, alert rules and stored data. Pure functions over two templates
 * (no I/O, no clock), used by the diff report.
 *
 * Contracts read here (set by the cluster and alerter stacks):
 * - every AWS::EC2::LaunchTemplate of Elasticsearch, Kibana and Logstash carries Metadata `elk-cdk:role`
 *   (master | data | kibana | logstash), `elk-cdk:nodeCount`, `elk-cdk:elasticsearchVersion`, and for the
 *   estimate `elk-cdk:dataPerNodeBytes`, `elk-cdk:bootSeconds`;
 * - the resource that applies the cluster settings (Custom::ElkIndexDefinitions) carries `elk-cdk:recoveryBytesPerSec`
 *   (older assemblies: each launch template);
 * - the alerter's rule deployment resource has a property `RuleHashes` (rule name → hash);
 * - any resource may declare Metadata `elk-cdk:stateful` (true or a reason) to be treated as holding data.
 */
import { Template, TemplateResource } from './assembly';
import { type DataRollMethod, dataRollMethod } from './roll-method';
import { deployWaitSeconds } from './deploy-wait';

export const LAUNCH_TEMPLATE = 'AWS::EC2::LaunchTemplate';
/** Metadata key of the recovery bandwidth (bytes/s) the time estimates use (lib/cluster/contract.ts). */
export const META_RECOVERY = 'elk-cdk:recoveryBytesPerSec';
export const AUTO_SCALING_GROUP = 'AWS::AutoScaling::AutoScalingGroup';

/** Elasticsearch roles: their nodes hold cluster state or shards and roll one by one. */
export const ES_ROLES = ['master', 'data'] as const;

/**
 * Resource types that hold data or identity that a replacement or deletion destroys: volumes, buckets, keys,
 * secrets (passwords, the cluster CA), log groups, tables, file systems, certificate authorities, backups.
 */
export const STATEFUL_TYPES: Readonly<Record<string, string>> = {
  'AWS::EC2::Volume': 'EBS volume',
  'AWS::S3::Bucket': 'S3 bucket (snapshots, rule bundles)',
  'AWS::KMS::Key': 'KMS key (whatever it encrypted becomes unreadable)',
  'AWS::SecretsManager::Secret': 'secret (passwords, the cluster CA)',
  'AWS::Logs::LogGroup': 'log group',
  'AWS::DynamoDB::Table': 'DynamoDB table',
  'AWS::DynamoDB::GlobalTable': 'DynamoDB table',
  'AWS::EFS::FileSystem': 'EFS file system',
  'AWS::RDS::DBInstance': 'database',
  'AWS::RDS::DBCluster': 'database',
  'AWS::ACMPCA::CertificateAuthority': 'certificate authority',
  'AWS::Backup::BackupVault': 'backup vault',
  'AWS::SQS::Queue': 'queue (pending messages)',
  'AWS::Kinesis::Stream': 'stream (pending records)',
  'AWS::ECR::Repository': 'container image repository',
  'AWS::Cognito::UserPool': 'user pool',
};

export interface RoleTemplate {
  readonly logicalId: string;
  readonly role: string;
  readonly nodeCount?: number;
  readonly elasticsearchVersion?: string;
  readonly dataPerNodeBytes?: number;
  readonly recoveryBytesPerSec?: number;
  readonly bootSeconds?: number;
  readonly launchTemplateData: unknown;
  /** Metadata `elk-cdk:inputs`: config key (or script asset) → value at synth, when the template records it. */
  readonly inputs?: Readonly<Record<string, unknown>>;
}

export type RollKind = 'replace' | 'launch' | 'remove';

/** One group of nodes whose launch template changes. */
export interface NodeRoll {
  readonly role: string;
  readonly kind: RollKind;
  /** Launch template logical id in the head (or base, for a removal). */
  readonly logicalId: string;
  readonly nodeCount: number;
  readonly fromVersion?: string;
  readonly toVersion?: string;
  /** Why the nodes are replaced: which part of the launch template changed. */
  readonly reason: string;
  /** Estimated duration of this group's replacement, seconds (undefined when metadata is missing). */
  readonly estimateSeconds?: number;
  /** Data nodes: how the rolling replacement replaces them (roll-method.ts); undefined without its resource. */
  readonly method?: DataRollMethod;
  /** Elasticsearch nodes: the deployment's wait for the roll, seconds (deploy-wait.ts); undefined when it does not wait. */
  readonly deployWaitSeconds?: number;
}

export interface RuleChange {
  readonly name: string;
  readonly change: 'added' | 'removed' | 'changed';
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function inputsOf(r: TemplateResource | undefined): Readonly<Record<string, unknown>> | undefined {
  const v = r?.Metadata?.['elk-cdk:inputs'];
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * The recorded inputs (config keys, script assets) whose value differs between two resources, sorted; undefined
 * when either side records none.
 */
export function changedInputs(
  before: Readonly<Record<string, unknown>> | undefined,
  after: Readonly<Record<string, unknown>> | undefined,
): string[] | undefined {
  if (!before || !after) return undefined;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.filter((k) => canonical(before[k]) !== canonical(after[k])).sort();
}

/** Launch templates that declare an elk-cdk role, by logical id. */
export function roleTemplates(template: Template): RoleTemplate[] {
  const out: RoleTemplate[] = [];
  // The recovery bandwidth is a dynamic cluster setting applied through the API (lambda/index-management/cluster.ts):
  // its value is metadata of the resource that applies it, not of a launch template (older assemblies: there).
  const applied = Object.values(template.Resources ?? {}).find((r) => r.Metadata?.[META_RECOVERY] !== undefined);
  const recovery = num(applied?.Metadata?.[META_RECOVERY]);
  for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type !== LAUNCH_TEMPLATE) continue;
    const role = str(r.Metadata?.['elk-cdk:role']);
    if (!role) continue;
    const m = r.Metadata ?? {};
    out.push({
      logicalId,
      role,
      nodeCount: num(m['elk-cdk:nodeCount']),
      elasticsearchVersion: str(m['elk-cdk:elasticsearchVersion']),
      dataPerNodeBytes: num(m['elk-cdk:dataPerNodeBytes']),
      recoveryBytesPerSec: num(m[META_RECOVERY]) ?? recovery,
      bootSeconds: num(m['elk-cdk:bootSeconds']),
      launchTemplateData: r.Properties?.LaunchTemplateData,
      inputs: inputsOf(r),
    });
  }
  return out;
}

/** Stable JSON (sorted keys) for deep comparison. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/** Logical ids referenced (Ref, Fn::GetAtt, ${X} in Fn::Sub) anywhere inside a value. */
export function referencedIds(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => referencedIds(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === 'Ref' && typeof x === 'string') out.add(x);
      else if (k === 'Fn::GetAtt') {
        const target = Array.isArray(x) ? x[0] : typeof x === 'string' ? x.split('.')[0] : undefined;
        if (typeof target === 'string') out.add(target);
      } else if (k === 'Fn::Sub') {
        const s = Array.isArray(x) ? x[0] : x;
        if (typeof s === 'string') for (const m of s.matchAll(/\$\{([A-Za-z0-9]+)(\.[^}]*)?\}/g)) out.add(m[1]!);
        referencedIds(x, out);
      } else referencedIds(x, out);
    }
  }
  return out;
}

/**
 * Estimated replacement time of a node group: data nodes recover their shards (one batch of `method.atOnce` at a
 * time; a volume handoff only boots and joins the replacement, its replicas replay what changed), others boot and
 * join one by one.
 */
export function estimateSeconds(t: RoleTemplate, nodeCount: number, method?: DataRollMethod): number | undefined {
  if (t.bootSeconds === undefined) return undefined;
  if (t.role !== 'data' || method?.method === 'handoff') return nodeCount * t.bootSeconds;
  if (t.dataPerNodeBytes === undefined || t.recoveryBytesPerSec === undefined || t.recoveryBytesPerSec <= 0) {
    return undefined;
  }
  const batches = Math.ceil(nodeCount / (method?.atOnce ?? 1));
  return batches * (t.dataPerNodeBytes / t.recoveryBytesPerSec + t.bootSeconds);
}

/** Whether every instance a group launches is protected from scale in (NewInstancesProtectedFromScaleIn). */
function scaleInProtected(r: { Properties?: Record<string, unknown> }): boolean {
  const v = r.Properties?.NewInstancesProtectedFromScaleIn;
  return v === true || v === 'true';
}

/** A lowered node count of a protected Elasticsearch group: the rolling replacement's planned scale-in. */
export interface PlannedScaleIn {
  readonly logicalId: string;
  readonly role: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Elasticsearch groups whose MinSize (the configured count) goes down while they were and stay protected from scale
 * in: Auto Scaling removes nothing by itself, the rolling replacement drains and removes the extra nodes one at a time.
 */
export function plannedScaleIns(base: Template, head: Template): PlannedScaleIn[] {
  const out: PlannedScaleIn[] = [];
  for (const [id, h] of Object.entries(head.Resources ?? {})) {
    const b = base.Resources?.[id];
    if (h.Type !== AUTO_SCALING_GROUP || b?.Type !== AUTO_SCALING_GROUP) continue;
    const role = autoScalingGroupRole(h, head);
    if (!role || !(ES_ROLES as readonly string[]).includes(role)) continue;
    if (!scaleInProtected(b) || !scaleInProtected(h)) continue;
    const from = sizeOf(b.Properties?.MinSize);
    const to = sizeOf(h.Properties?.MinSize);
    if (from !== undefined && to !== undefined && to < from) out.push({ logicalId: id, role, from, to });
  }
  return out;
}

/**
 * Node groups whose launch template changes between base and head. A group rolls when its LaunchTemplateData
 * differs, when its launch template gets a new logical id, or when a resource its data references (a security
 * group, a role's instance profile) is replaced, which changes the resolved value.
 *
 * @param replacedIds logical ids of head resources that will (or may) be replaced
 */
export function nodeRolls(base: Template, head: Template, replacedIds: ReadonlySet<string>): NodeRoll[] {
  const before = roleTemplates(base);
  const after = roleTemplates(head);
  const unmatched = new Set(before.map((b) => b.logicalId));
  const rolls: NodeRoll[] = [];
  for (const h of after) {
    const old =
      before.find((b) => b.logicalId === h.logicalId && unmatched.has(b.logicalId)) ??
      before.find((b) => b.role === h.role && unmatched.has(b.logicalId));
    const count = h.nodeCount ?? old?.nodeCount ?? 0;
    if (!old) {
      rolls.push({
        role: h.role,
        kind: 'launch',
        logicalId: h.logicalId,
        nodeCount: count,
        toVersion: h.elasticsearchVersion,
        reason: 'new launch template',
      });
      continue;
    }
    unmatched.delete(old.logicalId);
    let reason: string | undefined;
    if (old.logicalId !== h.logicalId) reason = `launch template replaced (${old.logicalId} → ${h.logicalId})`;
    else if (canonical(old.launchTemplateData) !== canonical(h.launchTemplateData)) {
      const keys = changedInputs(old.inputs, h.inputs);
      reason =
        keys === undefined
          ? 'launch template data changed'
          : keys.length > 0
            ? `caused by ${keys.join(', ')}`
            : 'launch template data changed, by no config key (a construct, CDK or script change)';
    } else if (replacedIds.has(h.logicalId)) reason = 'launch template replaced';
    else {
      const refs = [...referencedIds(h.launchTemplateData)].filter((id) => replacedIds.has(id));
      if (refs.length > 0) reason = `referenced resource replaced (${refs.join(', ')})`;
    }
    if (!reason) continue;
    const method = h.role === 'data' ? dataRollMethod(head, count) : undefined;
    const wait = h.role === 'data' || h.role === 'master' ? deployWaitSeconds(head) : undefined;
    rolls.push({
      role: h.role,
      kind: 'replace',
      logicalId: h.logicalId,
      nodeCount: count,
      fromVersion: old.elasticsearchVersion,
      toVersion: h.elasticsearchVersion,
      reason,
      estimateSeconds: estimateSeconds(h, count, method),
      ...(method ? { method } : {}),
      ...(wait !== undefined ? { deployWaitSeconds: wait } : {}),
    });
  }
  for (const id of unmatched) {
    const b = before.find((x) => x.logicalId === id)!;
    rolls.push({
      role: b.role,
      kind: 'remove',
      logicalId: id,
      nodeCount: b.nodeCount ?? 0,
      fromVersion: b.elasticsearchVersion,
      reason: 'launch template removed',
    });
  }
  return rolls;
}

/** Rule names added, removed or changed, from the `RuleHashes` property of the rule deployment resource(s). */
export function ruleChanges(base: Template, head: Template): RuleChange[] {
  const hashes = (t: Template): Map<string, string> => {
    const m = new Map<string, string>();
    for (const r of Object.values(t.Resources ?? {})) {
      const h = r.Properties?.RuleHashes;
      if (h && typeof h === 'object' && !Array.isArray(h)) {
        for (const [name, hash] of Object.entries(h as Record<string, unknown>)) m.set(name, canonical(hash));
      }
    }
    return m;
  };
  const before = hashes(base);
  const after = hashes(head);
  const out: RuleChange[] = [];
  for (const [name, hash] of after) {
    if (!before.has(name)) out.push({ name, change: 'added' });
    else if (before.get(name) !== hash) out.push({ name, change: 'changed' });
  }
  for (const name of before.keys()) if (!after.has(name)) out.push({ name, change: 'removed' });
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Why a resource holds data, or undefined when it does not. */
export function statefulReason(resource: TemplateResource, template: Template): string | undefined {
  const declared = resource.Metadata?.['elk-cdk:stateful'];
  if (declared === true) return 'declared stateful';
  if (typeof declared === 'string' && declared !== '') return declared;
  const known = STATEFUL_TYPES[resource.Type];
  if (known) return known;
  if (resource.Type === AUTO_SCALING_GROUP) {
    const role = autoScalingGroupRole(resource, template);
    if (role && (ES_ROLES as readonly string[]).includes(role)) {
      return `Elasticsearch ${role} nodes: all of them terminate at once, bypassing the rolling replacement`;
    }
  }
  return undefined;
}

/** The elk-cdk role of an Auto Scaling group: its own metadata, else that of the launch template it references. */
export function autoScalingGroupRole(resource: TemplateResource, template: Template): string | undefined {
  const own = str(resource.Metadata?.['elk-cdk:role']);
  if (own) return own;
  for (const id of referencedIds(resource.Properties?.LaunchTemplate ?? resource.Properties?.MixedInstancesPolicy)) {
    const lt = template.Resources?.[id];
    if (lt?.Type === LAUNCH_TEMPLATE) {
      const role = str(lt.Metadata?.['elk-cdk:role']);
      if (role) return role;
    }
  }
  return undefined;
}

/** "3 h 10 m", "45 m", "< 1 m". */
export function formatDuration(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes < 1) return '< 1 m';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h} h ${m} m` : `${m} m`;
}

/** A change to an Elasticsearch Auto Scaling group that terminates nodes without the rolling replacement's drain. */
export interface GroupRisk {
  /** Logical id of the Auto Scaling group (head). */
  readonly logicalId: string;
  readonly role: string;
  readonly reason: string;
}

function sizeOf(v: unknown): number | undefined {
  return num(v);
}

/**
 * Elasticsearch groups whose in-place update makes Auto Scaling terminate nodes with no drain, so data is at risk even
 * though CloudFormation shows no replacement of the group:
 * - `VPCZoneIdentifier` (or `AvailabilityZones`) resolves to other subnets: its value differs, or a subnet it
 *   references is replaced (a `vpc.cidr` change replaces every subnet). Auto Scaling then replaces every instance.
 * - `MinSize` or `DesiredCapacity` goes down, or `MaxSize` below the nodes that run: Auto Scaling picks the
 *   instances to terminate.
 * - a security group the group's launch template references is replaced: new nodes cannot reach old ones on 9300
 *   (discovery and the transport self-rule split the cluster), so no replacement can join.
 *
 * @param replacedIds logical ids of head resources that will (or may) be replaced
 */
export function groupRisks(base: Template, head: Template, replacedIds: ReadonlySet<string>): GroupRisk[] {
  const out: GroupRisk[] = [];
  for (const [id, h] of Object.entries(head.Resources ?? {})) {
    if (h.Type !== AUTO_SCALING_GROUP) continue;
    const b = base.Resources?.[id];
    if (!b || b.Type !== AUTO_SCALING_GROUP) continue;
    const role = autoScalingGroupRole(h, head);
    if (!role || !(ES_ROLES as readonly string[]).includes(role)) continue;
    const hp = h.Properties ?? {};
    const bp = b.Properties ?? {};
    const keys = changedInputs(inputsOf(b), inputsOf(h));
    const cause = keys && keys.length > 0 ? ` (caused by ${keys.join(', ')})` : '';
    const add = (reason: string) => out.push({ logicalId: id, role, reason: reason + cause });
    for (const prop of ['VPCZoneIdentifier', 'AvailabilityZones']) {
      const replaced = [...referencedIds(hp[prop])].filter((r) => replacedIds.has(r));
      if (canonical(hp[prop]) !== canonical(bp[prop])) {
        add(`instances replaced without a drain: ${prop} changes, so Auto Scaling replaces every ${role} node`);
      } else if (replaced.length > 0) {
        add(
          `instances replaced without a drain: the subnets of ${prop} are replaced (${replaced.join(', ')}), so Auto Scaling replaces every ${role} node`,
        );
      }
    }
    const protectedBoth = scaleInProtected(b) && scaleInProtected(h);
    let lowered = false;
    for (const prop of ['MinSize', 'DesiredCapacity']) {
      const from = sizeOf(bp[prop]);
      const to = sizeOf(hp[prop]);
      // Protected before and after: Auto Scaling cannot pick a node; the rolling replacement scales in (below).
      if (prop === 'MinSize' && protectedBoth) continue;
      if (from !== undefined && to !== undefined && to < from) {
        lowered = true;
        add(
          `node count lowered (${prop} ${from} → ${to}): Auto Scaling terminates ${from - to} ${role} node${from - to === 1 ? '' : 's'} of its choosing without a drain`,
        );
      }
    }
    // A MaxSize below the nodes that run (the base MinSize, or its DesiredCapacity) lowers the desired capacity too.
    const running = Math.max(sizeOf(bp.MinSize) ?? 0, sizeOf(bp.DesiredCapacity) ?? 0);
    const max = sizeOf(hp.MaxSize);
    if (!lowered && !protectedBoth && max !== undefined && max < running) {
      add(
        `node count lowered (MaxSize ${sizeOf(bp.MaxSize) ?? '?'} → ${max}, below the ${running} running): Auto Scaling terminates ${running - max} ${role} node${running - max === 1 ? '' : 's'} of its choosing without a drain`,
      );
    }
    const lt = referencedIds(hp.LaunchTemplate ?? hp.MixedInstancesPolicy);
    for (const ltId of lt) {
      const data = head.Resources?.[ltId]?.Properties?.LaunchTemplateData;
      const sgs = [...referencedIds(data)].filter(
        (r) => replacedIds.has(r) && head.Resources?.[r]?.Type === 'AWS::EC2::SecurityGroup',
      );
      if (sgs.length > 0) {
        add(
          `cluster split: the ${role} nodes' security group is replaced (${sgs.join(', ')}); new nodes cannot reach the old ones on 9300, so no replacement can join`,
        );
      }
    }
  }
  return out;
}
