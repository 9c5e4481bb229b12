import { z } from 'zod';
import { CA_ROTATION_PHASES } from '../../lambda/cluster-ca/rotation';
import { ACCEPTED_FAMILIES, instanceArchitecture, instanceMemoryGib } from './instance-types';
import { ecrImageProblem } from './ecr';
import { IMAGE_FORMAT_MESSAGE, IMAGE_REFERENCE, imageProblem, parseImage } from './image';

/**
 * The environment configuration contract: `config/environments/default.yaml` deep-merged with `<env>.yaml`.
 * Every object is strict, so a misspelled key fails validation instead of being ignored.
 */

/** Why fewer than three zones is refused, and what to do. */
const AZ_COUNT =
  'needs at least 3 Availability Zones: the three master-eligible nodes sit in different zones so that losing one ' +
  'zone keeps a quorum. Pick a region with 3 zones, or list 3 of them';

/** `rollout.method` values (docs/rollout.md, "Methods"). */
export const ROLLOUT_METHODS = ['drain', 'handoff', 'auto'] as const;
export type RolloutMethod = (typeof ROLLOUT_METHODS)[number];

export const RELEASE_VERSION = /^(\d+)\.(\d+)\.(\d+)$/;

const releaseVersion = z
  .string()
  .regex(RELEASE_VERSION, { message: 'must be a release version such as 8.19.3 (no "v", no pre-release suffix)' })
  .refine((v) => Number(v.split('.')[0]) >= 8, {
    message: 'Elasticsearch major below 8 is not supported (8.x or 9.x)',
  });

/**
 * The oldest Kibana elk-cdk deploys. 8.9 answers an unauthenticated `/api/status` with `status.allowAnonymous: false`
 * (what kibana-boot.sh sets) with a redacted body and 200/503, which the ALB and boot health checks read; before 8.9
 * it answered 401 (elastic/kibana#159768). 8.11.2 reloads its TLS certificate (`server.ssl`) on SIGHUP, which the
 * certificate renewal sends instead of a restart (elastic/kibana#171823).
 */
export const KIBANA_MIN_VERSION = '8.11.2';

/** a < b for release versions x.y.z. */
export function versionBefore(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) < (pb[i] ?? 0);
  return false;
}

const instanceType = z.string().refine((t) => instanceMemoryGib(t) !== undefined, {
  message: `must be a known instance type of one of the families ${ACCEPTED_FAMILIES.join(', ')} (e.g. r6i.xlarge)`,
});

/** Minimum memory per role, in GiB: the heap (half of memory) must reach the role's minimum heap. */
export const MIN_MEMORY_GIB = { master: 2, data: 4, kibana: 2, logstash: 4, alerter: 1 } as const;

function roleSized(role: keyof typeof MIN_MEMORY_GIB) {
  return instanceType.refine((t) => (instanceMemoryGib(t) ?? 0) >= MIN_MEMORY_GIB[role], {
    message:
      `is too small for the ${role} role: needs at least ${MIN_MEMORY_GIB[role]} GiB of memory` +
      (role === 'data' || role === 'master' || role === 'logstash'
        ? ` (heap ${MIN_MEMORY_GIB[role] / 2} GiB = half of memory)`
        : ''),
  });
}

const tagMap = z.record(z.string().min(1).max(128), z.string().max(256));

/** An IPv4 CIDR a VPC accepts: four octets 0-255 and a prefix from /16 to /28. */
export function validCidr(cidr: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return false;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  return octets.every((o) => o <= 255) && prefix >= 16 && prefix <= 28;
}

/** Any IPv4 CIDR (a producer range may be one host, /32). */
export function validIpv4Cidr(cidr: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
}

/**
 * An Elasticsearch (Quartz-style) cron expression as SLM takes it: 6 or 7 fields of the characters cron uses. The
 * cluster parses it; this only catches a Unix 5-field cron or a typo at synth.
 */
export function validEsCron(expr: string): boolean {
  const fields = expr.trim().split(/\s+/);
  return (fields.length === 6 || fields.length === 7) && fields.every((f) => /^[0-9A-Za-z*?/,#-]+$/.test(f));
}

export const EnvironmentConfigSchema = z
  .object({
    /** 12-digit AWS account id. Optional: without it the stacks are environment-agnostic. */
    account: z
      .string()
      .regex(/^\d{12}$/, { message: 'must be a 12-digit AWS account id' })
      .optional(),
    /** AWS region, e.g. eu-west-1. Required together with `account`. */
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { message: 'must be an AWS region such as eu-west-1' })
      .optional(),
    vpc: z
      .object({
        /** Import this VPC by id (lookup cached in cdk.context.json); when absent a VPC is created. */
        vpcId: z
          .string()
          .regex(/^vpc-[0-9a-f]{8,17}$/, { message: 'must be a VPC id such as vpc-0abc12345def67890' })
          .optional(),
        /** CIDR of a created VPC. */
        cidr: z
          .string()
          .regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, { message: 'must be an IPv4 CIDR such as 10.40.0.0/16' })
          .refine(validCidr, {
            message: 'must be an IPv4 CIDR with octets 0-255 and a prefix of /16 to /28 (VPC limits)',
          }),
        /** Number of AZs of a created VPC (masters spread over them). */
        maxAzs: z
          .number()
          .int()
          .min(3, { message: AZ_COUNT })
          .max(6, { message: 'must be at most 6: the stack spreads its subnets over at most 6 Availability Zones' }),
        /** NAT gateways of a created VPC (1 = cheaper, one per AZ = no cross-AZ egress dependency). @default 1 */
        natGateways: z.number().int().min(1).max(6).default(1),
        /** Explicit AZ names; required when `account` is set so synth needs no AZ lookup. */
        availabilityZones: z
          .array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/))
          .min(3, { message: AZ_COUNT })
          .optional(),
      })
      .strict(),
    /** Pinned AMIs: a new AWS image release never changes a launch template by itself. */
    ami: z
      .object({
        architecture: z.enum(['x86_64', 'arm64']),
        /** Region → AMI id (Amazon Linux 2023). Every region the environment may deploy to. */
        images: z.record(
          z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, { message: 'keys must be AWS regions' }),
          z.string().regex(/^ami-[0-9a-f]{8,17}$/, { message: 'must be an AMI id such as ami-0123456789abcdef0' }),
        ),
      })
      .strict(),
    elasticsearch: z
      .object({
        version: releaseVersion,
        clusterName: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, { message: 'lowercase letters, digits and "-"' }),
        masterNodes: z.object({ count: z.number().int(), instanceType: roleSized('master') }).strict(),
        dataNodes: z
          .object({
            count: z.number().int().min(1).max(200),
            instanceType: roleSized('data'),
            /** Size of the dedicated encrypted gp3 data volume per data node. */
            volumeGb: z.number().int().min(10).max(16384),
          })
          .strict(),
        /** indices.recovery.max_bytes_per_sec, in bytes per second (Elasticsearch default 40 MiB/s). */
        recoveryBytesPerSec: z.number().int().min(1048576),
        /**
         * Elasticsearch security audit logging (`xpack.security.audit.enabled`, to the node's audit log file). A
         * licence feature: with a basic licence Elasticsearch starts and logs nothing. @default false
         */
        auditLogging: z.boolean().optional(),
      })
      .strict(),
    kibana: z
      .object({
        count: z.number().int().min(0).max(10),
        instanceType: roleSized('kibana'),
        /** ACM certificate ARN for the ALB's HTTPS listener. */
        certificateArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/)
          .optional(),
        /**
         * Deliberate opt-out for environments without a certificate: the ALB listens on plain HTTP inside the VPC.
         * Must be set explicitly when certificateArn is absent and count > 0.
         */
        allowPlainHttp: z.boolean(),
      })
      .strict(),
    /**
     * Values for the @@KEY@@ tokens of `indices/` (index templates, component templates, ILM policies): shards,
     * replicas, retention per environment. The definitions themselves are checked at synth (lib/indices).
     */
    indices: z
      .object({
        tokens: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.union([z.string(), z.number(), z.boolean()])),
      })
      .strict(),
    logstash: z
      .object({
        count: z.number().int().min(0).max(50),
        instanceType: roleSized('logstash'),
        /** Persistent queue size per node, GiB (queue.max_bytes; the root volume grows by as much). */
        queueMaxGb: z.number().int().min(1).max(1024).default(4),
        /** Longest wait of a terminating node for its persistent queue to drain, minutes. */
        drainTimeoutMinutes: z.number().int().min(1).max(2880).default(30),
        /**
         * Deliberate opt-out of Beats over TLS with client certificates (plain TCP on 5044, e.g. while producers are
         * moved over). @default false: TLS, and a producer must present a certificate of the environment's CA
         */
        allowPlainBeats: z.boolean().default(false),
        /** Who sends Beats to 5044 (docs/security.md, "Beats producers"). @default the VPC CIDR, no certificate groups */
        producers: z
          .object({
            /** Security groups of the producers (same VPC): 5044 from these instead of the VPC CIDR. */
            securityGroupIds: z
              .array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, { message: 'must be a security group id (sg-...)' }))
              .default([]),
            /** IPv4 CIDRs of the producers: 5044 from these instead of the VPC CIDR. */
            cidrs: z
              .array(z.string().refine(validIpv4Cidr, { message: 'must be an IPv4 CIDR such as 10.40.8.0/24' }))
              .default([]),
            /**
             * Auto Scaling groups (with their instance role) whose instances may get a Beats client certificate from
             * the environment's issuer, like nodes do (scripts/security/node-certs.sh --client).
             */
            certificateGroups: z
              .array(
                z
                  .object({
                    autoScalingGroupName: z.string().regex(/^[\w+=,.@\-:/ ]{1,255}$/),
                    roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\-/]{1,512}$/, {
                      message: 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
                    }),
                  })
                  .strict(),
              )
              .default([]),
          })
          .strict()
          .optional(),
      })
      .strict(),
    /**
     * Snapshots of the cluster into the environment's S3 repository (lib/cluster/SnapshotRepository.ts): a snapshot
     * lifecycle (SLM) policy applied through the API, so a change here replaces no node.
     */
    snapshots: z
      .object({
        /** When SLM takes a snapshot: an Elasticsearch cron expression (UTC), e.g. `0 30 1 * * ?` (01:30 daily). */
        schedule: z.string().refine(validEsCron, {
          message:
            'must be an Elasticsearch cron expression of 6 or 7 fields (seconds minutes hours day-of-month month ' +
            'day-of-week [year]), e.g. "0 30 1 * * ?"',
        }),
        /** SLM retention: snapshots older than expireAfterDays are deleted, keeping at least minCount, at most maxCount. */
        retention: z
          .object({
            expireAfterDays: z.number().int().min(1).max(3650),
            minCount: z.number().int().min(1).max(1000),
            maxCount: z.number().int().min(1).max(1000),
          })
          .strict(),
      })
      .strict(),
    rollout: z
      .object({
        /** Make `cdk deploy` wait (up to timeoutHours) for the rolling replacement to finish. */
        waitForCompletion: z.boolean(),
        /** Upper bound of a deployment's wait for a roll, hours (WaitCondition max 12). */
        timeoutHours: z.number().int().min(1).max(12),
        /** Seconds between reconcile steps of the workflow. */
        pollSeconds: z.number().int().min(10).max(600),
        /** Expected data held by one data node, GiB, for time estimates (default: half the volume). */
        expectedDataPerNodeGb: z.number().min(0).optional(),
        /**
         * How a data node is replaced: `drain` (surge, drain its shards onto new nodes, terminate), `handoff` (its
         * data volume moves to the replacement, which replays only what changed) or `auto` (handoff where it is
         * safe, drain otherwise). @default auto (docs/rollout.md, "Methods")
         */
        method: z.enum(ROLLOUT_METHODS).default('auto'),
        /** Data nodes replaced at once by the drain method (surge k, exclude k, drain in parallel). @default 1 */
        maxSurge: z.number().int().min(1).max(50).default(1),
        /**
         * Who picks the zones of a data surge of several instances (maxSurge > 1; masters and maxSurge 1 always raise
         * the desired capacity). `orchestrator`: the roll launches each surge instance from the data group's launch
         * template into the zone its batch drains from and attaches it to the group, so a batch of maxSurge drains
         * keeps the zones balanced (e.g. 4 at a time over 3 zones). `auto-scaling`: the desired capacity rises and
         * Auto Scaling picks the zones, so a batch is a multiple of the zone count. @default orchestrator
         * (docs/rollout.md, "Methods")
         */
        surgePlacement: z
          .enum(['auto-scaling', 'orchestrator'])
          .default('orchestrator')
          .describe(
            'Who picks the zones of a data surge when maxSurge > 1: orchestrator (launch into the draining zones, then attach) or auto-scaling (raise the desired capacity)',
          ),
        /**
         * Before a roll takes its lock, snapshot the whole cluster into the environment's repository and wait until
         * the snapshot is complete with no failed shard; a failed or partial one stops the roll before anything
         * changed. @default true
         */
        snapshotBeforeRoll: z.boolean().default(true),
        /**
         * Minutes a drain may go without progress (no copy moving, none left) before the wait is reported as
         * `drain-stalled` with the cause read from allocation explain; the roll keeps waiting either way. @default 30
         */
        stallMinutes: z.number().int().min(5).max(1440).optional(),
        /**
         * Percent of each data node's disk kept free below the low watermark when a drain is projected onto the
         * remaining nodes (room for writes during the drain; the `disk-headroom` gate). @default 5
         */
        drainDiskMarginPercent: z.number().min(0).max(50).optional(),
        /**
         * Node health check: an Elasticsearch instance that is InService and EC2-healthy but has been out of the
         * cluster this many minutes (process stopped, crashed, never joined) is marked Unhealthy so that Auto Scaling
         * replaces it, one at a time, never while the cluster is red or without a master (docs/rollout.md, "Node
         * health check"). 0 turns it off. @default 15
         */
        nodeDownMinutes: z.number().int().min(0).max(1440).default(15),
      })
      .strict(),
    alerter: z
      .object({
        enabled: z.boolean(),
        instanceType: roleSized('alerter'),
        /**
         * jertel/elastalert2 image (or your mirror of it): `<repository>:<tag>`, or pinned by digest
         * `<repository>:<tag>@sha256:<64 hex>` (lib/config/image.ts). A tag-only image gets a synth warning. A private
         * ECR image (`<account>.dkr.ecr.<region>.amazonaws.com/<name>:<tag>@sha256:…`) must be of the environment's
         * account and region and pinned by digest; the alerter role may then pull exactly that repository and the
         * deploy logs docker in to the registry (lib/config/ecr.ts).
         */
        image: z.string().regex(IMAGE_REFERENCE, { message: IMAGE_FORMAT_MESSAGE }),
        /** Refuse an `image` without `@sha256:` digest (docs/security.md, "The ElastAlert image"). @default false */
        requireImageDigest: z.boolean().optional(),
        /** run_every of ElastAlert, seconds. */
        runEverySeconds: z.number().int().min(10).max(3600),
        /** buffer_time of ElastAlert, minutes. */
        bufferTimeMinutes: z.number().int().min(1).max(1440),
        /** Values for @@KEY@@ tokens in rules. */
        tokens: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.union([z.string(), z.number(), z.boolean()])),
        /** @@secret:NAME@@ → SSM SecureString parameter name holding the value (never the value). */
        secrets: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/), z.string().regex(/^\/[\w./-]+$/)),
        /** Accept rules with the `command` alerter (list form, no `%(` only; lib/rules/policy.ts). Default false. */
        allowCommandAlerter: z.boolean().optional(),
        /** Hosts that `post`/`post2` alerters may target; absent = not restricted. */
        allowedHttpHosts: z.array(z.string().regex(/^[a-z0-9.-]+$/i)).optional(),
        /**
         * TCP ports the alerter may reach anywhere besides 443 (e.g. 587 for the email alerter). Its egress is
         * otherwise HTTPS anywhere and 9200 to the cluster VPC (lib/alerter/hardening.ts). Default none.
         */
        egressPorts: z.array(z.number().int().min(1).max(65535)).optional(),
      })
      .strict(),
    /**
     * Alarms and the dashboard of the environment (lib/monitoring, docs/monitoring.md). Thresholds are read by the
     * cluster stack's alarms; the collector publishes every `collectEveryMinutes`.
     */
    alarms: z
      .object({
        /** Existing SNS topic the alarms notify; absent = the cluster stack creates `elk-cdk-<env>-alarms`. */
        topicArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, {
            message: 'must be an SNS topic ARN such as arn:aws:sns:eu-west-1:111111111111:pager',
          })
          .optional(),
        /** Minutes between two collections of the cluster metrics (the schedule of the collector). */
        collectEveryMinutes: z.number().int().min(1).max(15),
        /** Yellow for this many minutes in a row alarms (red alarms at once). */
        yellowMinutes: z.number().int().min(1).max(1440),
        /** A data node's disk used above this percentage alarms (Elasticsearch's high watermark: 90). */
        diskHighWatermarkPercent: z.number().min(50).max(99),
        /** The cluster CA expiring within this many days alarms (a rotation takes time: docs/security.md). */
        certificateExpiryDays: z.number().int().min(1).max(89),
        /**
         * A node certificate (Elasticsearch, Kibana, Logstash; days of validity, renewed by each node when half is
         * left) expiring within this many days alarms. Below half the validity (checked when the stack is built).
         */
        nodeCertificateExpiryDays: z.number().positive().max(45),
        /** A rolling replacement that makes no progress (blocked by a gate, or a drain that moves no bytes) for this long alarms. */
        rollBlockedMinutes: z.number().int().min(5).max(1440),
        /** The alerter's evaluation heartbeat older than this alarms (the alerter marks itself unhealthy then too). */
        alerterStaleMinutes: z.number().int().min(2).max(1440),
      })
      .strict(),
    /** Cluster security settings (docs/security.md). */
    security: z
      .object({
        /**
         * A rotation of the cluster CA, one phase per deploy, each phase replacing every node through the rolling
         * replacement (docs/security.md, "Rotation"): `trust-new` (a new CA is trusted beside the old one), then
         * `sign-new` (it signs; the old one is still trusted), then `drop-old`. `rotation` numbers the rotations of
         * the environment: 1 for its first new CA, 2 for the next (at most 99: the CA's common name, which carries it,
         * stays within X.509's 64 characters). Absent: no rotation.
         */
        caRotation: z
          .object({
            rotation: z.number().int().min(1).max(99),
            phase: z.enum(CA_ROTATION_PHASES, {
              message: `must be one of ${CA_ROTATION_PHASES.join(', ')} (in this order, one per deploy)`,
            }),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    deploy: z
      .object({
        /** Refuse to deploy a pre-release build (from a branch or dirty tree) unless forced. */
        requireRelease: z.boolean(),
        /**
         * Stack termination protection on the cluster stack and deletion protection (prevent-all-deletion) on the
         * Elasticsearch groups. @default true for an environment with an account, false for an environment-agnostic one
         */
        protect: z.boolean().optional(),
      })
      .strict(),
    tags: tagMap,
  })
  .strict()
  .superRefine((c, ctx) => {
    const m = c.elasticsearch.masterNodes.count;
    if (m < 3 || m % 2 === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['elasticsearch', 'masterNodes', 'count'],
        message: `is ${m}: must be an odd number of at least 3 (3, 5, 7) so a majority survives losing a master`,
      });
    }
    if (c.rollout.maxSurge > c.elasticsearch.dataNodes.count) {
      ctx.addIssue({
        code: 'custom',
        path: ['rollout', 'maxSurge'],
        message:
          `is ${c.rollout.maxSurge}: at most elasticsearch.dataNodes.count (${c.elasticsearch.dataNodes.count}); ` +
          'the roll also never drains more nodes at once than the replicas allow',
      });
    }
    const r = c.snapshots.retention;
    if (r.minCount > r.maxCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['snapshots', 'retention', 'minCount'],
        message: `is ${r.minCount}: at most snapshots.retention.maxCount (${r.maxCount})`,
      });
    }
    if ((c.account === undefined) !== (c.region === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.account === undefined ? 'account' : 'region'],
        message: 'account and region must be set together (or both left out for an environment-agnostic stack)',
      });
    }
    if (c.region !== undefined && c.ami.images[c.region] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ami', 'images', c.region],
        message: `no pinned AMI for region ${c.region}`,
      });
    }
    if (c.vpc.vpcId !== undefined && c.account === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['vpc', 'vpcId'],
        message:
          'needs account and region: an imported VPC is looked up (and cached in cdk.context.json) per account and region',
      });
    }
    if (c.vpc.natGateways > c.vpc.maxAzs) {
      ctx.addIssue({
        code: 'custom',
        path: ['vpc', 'natGateways'],
        message: `is ${c.vpc.natGateways}: at most one per AZ (vpc.maxAzs is ${c.vpc.maxAzs})`,
      });
    }
    if (c.account !== undefined && c.vpc.vpcId === undefined && c.vpc.availabilityZones === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['vpc', 'availabilityZones'],
        message: 'is required when account is set: list the AZs so synth needs no lookup',
      });
    }
    const roles: Array<[string[], string]> = [
      [['elasticsearch', 'masterNodes', 'instanceType'], c.elasticsearch.masterNodes.instanceType],
      [['elasticsearch', 'dataNodes', 'instanceType'], c.elasticsearch.dataNodes.instanceType],
      [['kibana', 'instanceType'], c.kibana.instanceType],
      [['logstash', 'instanceType'], c.logstash.instanceType],
      [['alerter', 'instanceType'], c.alerter.instanceType],
    ];
    for (const [path, type] of roles) {
      if (instanceMemoryGib(type) !== undefined && instanceArchitecture(type) !== c.ami.architecture) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `${type} is ${instanceArchitecture(type)} but ami.architecture is ${c.ami.architecture}`,
        });
      }
    }
    for (const [i, az] of (c.vpc.availabilityZones ?? []).entries()) {
      if (c.region !== undefined && !az.startsWith(c.region)) {
        ctx.addIssue({
          code: 'custom',
          path: ['vpc', 'availabilityZones', i],
          message: `${az} is not in the environment's region ${c.region} (e.g. ${c.region}a)`,
        });
      }
    }
    const arn = c.kibana.certificateArn?.split(':');
    if (arn && c.region !== undefined && arn[3] !== c.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['kibana', 'certificateArn'],
        message: `is in region ${arn[3]}, but the load balancer is in ${c.region}: use a certificate of ${c.region}`,
      });
    }
    if (arn && c.account !== undefined && arn[4] !== c.account) {
      ctx.addIssue({
        code: 'custom',
        path: ['kibana', 'certificateArn'],
        message: `belongs to account ${arn[4]}, not to the environment's account ${c.account}`,
      });
    }
    for (const [i, g] of (c.logstash.producers?.certificateGroups ?? []).entries()) {
      const account = g.roleArn.split(':')[4];
      if (c.account !== undefined && account !== c.account) {
        ctx.addIssue({
          code: 'custom',
          path: ['logstash', 'producers', 'certificateGroups', i, 'roleArn'],
          message: `belongs to account ${account}: the issuer serves instances of the environment's account ${c.account} only`,
        });
      }
    }
    if (c.logstash.allowPlainBeats && (c.logstash.producers?.certificateGroups.length ?? 0) > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['logstash', 'producers', 'certificateGroups'],
        message: 'client certificates need Beats over TLS: remove logstash.allowPlainBeats or these groups',
      });
    }
    const imageIssue = parseImage(c.alerter.image)
      ? (imageProblem(c.alerter.image, c.alerter.requireImageDigest ?? false) ??
        ecrImageProblem(c.alerter.image, { account: c.account, region: c.region }))
      : undefined;
    if (imageIssue) ctx.addIssue({ code: 'custom', path: ['alerter', 'image'], message: imageIssue });
    if (c.kibana.count > 0 && versionBefore(c.elasticsearch.version, KIBANA_MIN_VERSION)) {
      ctx.addIssue({
        code: 'custom',
        path: ['elasticsearch', 'version'],
        message:
          `${c.elasticsearch.version} is too old for Kibana: elk-cdk needs ${KIBANA_MIN_VERSION} or later (with ` +
          `status.allowAnonymous false, Kibana answers the load balancer's unauthenticated /api/status from 8.9 on; ` +
          `it reloads its renewed TLS certificate on SIGHUP from 8.11.2 on); upgrade elasticsearch.version, or set ` +
          `kibana.count: 0`,
      });
    }
    if (c.kibana.count > 0 && c.kibana.certificateArn === undefined && !c.kibana.allowPlainHttp) {
      ctx.addIssue({
        code: 'custom',
        path: ['kibana', 'certificateArn'],
        message:
          'is missing: set an ACM certificate ARN, or set kibana.allowPlainHttp: true to choose plain HTTP deliberately',
      });
    }
  });

export type EnvironmentConfigInput = z.input<typeof EnvironmentConfigSchema>;

/** A validated environment: the schema's output plus the environment's name. */
export type EnvironmentConfig = z.output<typeof EnvironmentConfigSchema> & { readonly name: string };

/** Whether the environment's cluster is protected against deletion (`deploy.protect`, default: has an account). */
export function isProtected(config: Pick<EnvironmentConfig, 'account' | 'deploy'>): boolean {
  return config.deploy.protect ?? config.account !== undefined;
}
