import * as fs from 'fs';
import * as path from 'path';
import { parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import type { EnvironmentConfig } from './schema';
import { CA_ROTATION_PHASES, rotationStepProblem } from '../../lambda/cluster-ca/rotation';

/**
 * The deployed record of an environment: the values of the keys that cannot change in place once the cluster exists
 * (node counts may only grow, the cluster name and the network never change, a CA rotation moves one phase per
 * deploy). It lives next to the environment
 * files, `<config dir>/deployed/<env>.yaml`, is committed, and is rewritten by `elkctl config record <env>` after
 * each successful deploy. Without a record (an environment never deployed) nothing is compared.
 *
 * Why a committed file: synth runs offline and without credentials, so it cannot ask AWS what runs; the record is
 * reviewed in the same pull request as the change, and `elkctl diff` (which compares with the previous assembly)
 * catches a forgotten update.
 */
export const DeployedRecordSchema = z
  .object({
    elasticsearch: z
      .object({
        clusterName: z.string().optional(),
        masterNodes: z
          .object({ count: z.number().int().min(1) })
          .strict()
          .optional(),
        dataNodes: z
          .object({ count: z.number().int().min(1) })
          .strict()
          .optional(),
        /**
         * The deployed groups protect every instance from scale in (recorded from this version on): a lower count is
         * then a planned scale-in by the rolling replacement, not a scale-in by Auto Scaling.
         */
        scaleInProtected: z.boolean().optional(),
      })
      .strict()
      .optional(),
    vpc: z
      .object({
        vpcId: z.string().optional(),
        cidr: z.string().optional(),
        maxAzs: z.number().int().optional(),
        availabilityZones: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    /** The CA rotation phase the environment runs (`security.caRotation`); absent: none ever configured. */
    security: z
      .object({
        caRotation: z
          .object({ rotation: z.number().int().min(1), phase: z.enum(CA_ROTATION_PHASES) })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type DeployedRecord = z.infer<typeof DeployedRecordSchema>;

/** Path of an environment's deployed record. */
export function deployedRecordFile(configDir: string, name: string): string {
  return path.join(configDir, 'deployed', `${name}.yaml`);
}

/** The record that describes `config` once deployed (what `elkctl config record` writes). */
export function deployedRecordOf(config: EnvironmentConfig): DeployedRecord {
  const es = config.elasticsearch;
  const vpc = config.vpc;
  return {
    elasticsearch: {
      clusterName: es.clusterName,
      masterNodes: { count: es.masterNodes.count },
      dataNodes: { count: es.dataNodes.count },
      scaleInProtected: true,
    },
    vpc:
      vpc.vpcId !== undefined
        ? { vpcId: vpc.vpcId }
        : {
            cidr: vpc.cidr,
            maxAzs: vpc.maxAzs,
            ...(vpc.availabilityZones ? { availabilityZones: [...vpc.availabilityZones] } : {}),
          },
    ...(config.security.caRotation ? { security: { caRotation: { ...config.security.caRotation } } } : {}),
  };
}

/** YAML text of a record, with a header that says what it is. */
export function renderDeployedRecord(name: string, record: DeployedRecord): string {
  return (
    `# What the ${name} environment runs now. Written by \`elkctl config record ${name}\` after a successful deploy;\n` +
    '# synth refuses a change of these keys that cannot happen in place (docs/cluster.md, "Deployed record").\n' +
    stringify(record)
  );
}

/** Reads an environment's record; undefined when the environment has none. Throws with the file on a bad record. */
export function readDeployedRecord(configDir: string, name: string): DeployedRecord | undefined {
  const file = deployedRecordFile(configDir, name);
  if (!fs.existsSync(file)) return undefined;
  const doc = parseDocument(fs.readFileSync(file, 'utf8'), { uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`${file}: invalid YAML: ${doc.errors[0]!.message}`);
  const parsed = DeployedRecordSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${file}: ${i.path.join('.') || '(top level)'}: ${i.message}`);
  }
  return parsed.data;
}

/** One refused change: the key (dotted path) and why, with the safe procedure. */
export interface RefusedChange {
  readonly key: string;
  readonly message: string;
}

const NETWORK_WHY =
  'the network of a deployed cluster is immutable: new subnets make Auto Scaling replace every node at once without a ' +
  'drain, and a new Elasticsearch security group splits the cluster (discovery and the 9300 rule no longer see the ' +
  'old nodes). Safe procedure: build the new network as a new environment, restore a snapshot there, move clients, ' +
  'then retire this one (docs/cluster.md, "Changes refused at synth")';

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Changes of `config` against the deployed record that synth refuses. Pure: the caller reads the record.
 * Raising a count is allowed (the record is then updated after the deploy).
 */
export function refusedChanges(config: EnvironmentConfig, record: DeployedRecord, recordFile: string): RefusedChange[] {
  const out: RefusedChange[] = [];
  const es = config.elasticsearch;
  const counts = [
    ['masterNodes', es.masterNodes.count, record.elasticsearch?.masterNodes?.count],
    ['dataNodes', es.dataNodes.count, record.elasticsearch?.dataNodes?.count],
  ] as const;
  for (const [group, wanted, deployed] of counts) {
    // Protected groups: the rolling replacement drains and removes the extra nodes (a planned scale-in).
    if (record.elasticsearch?.scaleInProtected === true) continue;
    if (deployed !== undefined && wanted < deployed) {
      out.push({
        key: `elasticsearch.${group}.count`,
        message:
          `is ${wanted} but ${deployed} are deployed (${recordFile}): lowering a node count is refused while the ` +
          'deployed groups do not protect their instances from scale in, because Auto Scaling would terminate nodes ' +
          'of its choosing without a drain (data and, for masters, the quorum at risk). Deploy this version with the ' +
          'deployed count first and run `elkctl config record` (it records scaleInProtected: true); then the lower ' +
          'count is a planned scale-in through the drain (docs/cluster.md, "Lowering a node count")',
      });
    }
  }
  const name = record.elasticsearch?.clusterName;
  if (name !== undefined && name !== es.clusterName) {
    out.push({
      key: 'elasticsearch.clusterName',
      message:
        `is "${es.clusterName}" but the deployed cluster is "${name}" (${recordFile}): a node never joins a cluster of ` +
        'another name, so every replacement would wait forever. A new name is a new cluster: create a new ' +
        'environment and restore a snapshot into it (docs/cluster.md, "Changes refused at synth")',
    });
  }
  const rotation = rotationStepProblem(record.security?.caRotation, config.security.caRotation);
  if (rotation) out.push({ key: 'security.caRotation', message: `${rotation} (${recordFile})` });
  const vpc = record.vpc;
  if (vpc) {
    const network: Array<[string, unknown, unknown]> = [
      ['vpc.vpcId', config.vpc.vpcId, vpc.vpcId],
      ...(config.vpc.vpcId === undefined && vpc.vpcId === undefined
        ? ([
            ['vpc.cidr', config.vpc.cidr, vpc.cidr],
            ['vpc.maxAzs', config.vpc.maxAzs, vpc.maxAzs],
            ['vpc.availabilityZones', config.vpc.availabilityZones, vpc.availabilityZones],
          ] as Array<[string, unknown, unknown]>)
        : []),
    ];
    for (const [key, wanted, deployed] of network) {
      if (!same(wanted, deployed)) {
        out.push({
          key,
          message: `is ${JSON.stringify(wanted) ?? '(not set)'} but the deployed network has ${JSON.stringify(deployed) ?? '(not set)'} (${recordFile}): ${NETWORK_WHY}`,
        });
      }
    }
  }
  return out;
}
