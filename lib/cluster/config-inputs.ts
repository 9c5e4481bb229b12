import { CfnResource, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { EnvironmentConfig } from '../config';

/**
 * Metadata key on Elasticsearch launch templates and groups: config key (or script asset) → the value it had at
 * synth. `elkctl diff` compares it between two assemblies to name the config key that causes each node replacement
 * or each in-place group update that terminates nodes. Metadata only: changing it changes no resource.
 */
export const META_INPUTS = 'elk-cdk:inputs';

export type Inputs = Record<string, string>;

/** The config keys an Elasticsearch launch template is made from, with their values. */
export function launchTemplateInputs(
  config: EnvironmentConfig,
  role: 'master' | 'data',
  region: string,
  scriptHashes: Readonly<Record<string, string>>,
): Inputs {
  const es = config.elasticsearch;
  const group = role === 'master' ? 'masterNodes' : 'dataNodes';
  const out: Inputs = {
    'elasticsearch.version': es.version,
    'elasticsearch.clusterName': es.clusterName,
    [`elasticsearch.${group}.instanceType`]: es[group].instanceType,
    ...scriptHashes,
  };
  if (Token.isUnresolved(region)) out['ami.images'] = JSON.stringify(config.ami.images);
  else out[`ami.images.${region}`] = config.ami.images[region] ?? '';
  if (role === 'master') out['elasticsearch.masterNodes.count'] = String(es.masterNodes.count);
  if (role === 'data') out['elasticsearch.dataNodes.volumeGb'] = String(es.dataNodes.volumeGb);
  // Every phase of a CA rotation is a new launch template version (ELK_CA_GENERATION in the user data).
  const rotation = config.security.caRotation;
  if (rotation) out['security.caRotation'] = `rotation ${rotation.rotation}, ${rotation.phase}`;
  return out;
}

/** The config keys an Elasticsearch group's subnets and sizes come from. */
export function groupInputs(config: EnvironmentConfig, role: 'master' | 'data'): Inputs {
  const v = config.vpc;
  const out: Inputs =
    v.vpcId !== undefined
      ? { 'vpc.vpcId': v.vpcId }
      : {
          'vpc.cidr': v.cidr,
          'vpc.maxAzs': String(v.maxAzs),
          'vpc.availabilityZones': JSON.stringify(v.availabilityZones ?? null),
        };
  out[`elasticsearch.${role === 'master' ? 'masterNodes' : 'dataNodes'}.count`] = String(
    role === 'master' ? config.elasticsearch.masterNodes.count : config.elasticsearch.dataNodes.count,
  );
  return out;
}

/** Records inputs on a construct's CloudFormation resource. */
export function recordInputs(construct: IConstruct, inputs: Inputs): void {
  (construct.node.defaultChild as CfnResource).addMetadata(META_INPUTS, inputs);
}
