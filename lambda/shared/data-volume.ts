/**
 * The data volume contract shared by the CDK (lib/cluster), the boot step (scripts/node/es-data-volume.sh) and the
 * orchestrator's AWS adapter (volume handoff): tag keys and values. A data node's volume is its own EBS volume,
 * created or attached by the booting node, kept when the instance terminates. Changing a name is a breaking change:
 * volumes of a running cluster carry them.
 */

/** Volume and group tag: environment name (the node role's IAM conditions use it). */
export const VOLUME_TAG_ENVIRONMENT = 'elk-cdk:environment';
/** Volume tag: the group the volume belongs to in its environment (`data`). */
export const VOLUME_TAG_GROUP = 'elk-cdk:volume-group';
/** Volume tag: the Availability Zone (a volume can only be attached in its zone). */
export const VOLUME_TAG_ZONE = 'elk-cdk:zone';
/**
 * Volume tag: `<type>/<size GiB>/<KMS key id>` the volume was created with; a different spec is a storage change (the
 * replacement needs a new volume, so the node is drained instead).
 */
export const VOLUME_TAG_SPEC = 'elk-cdk:volume-spec';
/** Volume tag: `true` once the volume has a filesystem (a volume with it is never formatted again). */
export const VOLUME_TAG_FORMATTED = 'elk-cdk:formatted';
/** Volume tag: the instance that attached it last. */
export const VOLUME_TAG_ATTACHED_TO = 'elk-cdk:attached-to';
/** Volume tag: when (ISO time) and from which instance a handoff detached it. */
export const VOLUME_TAG_DETACHED_AT = 'elk-cdk:detached-at';
export const VOLUME_TAG_DETACHED_FROM = 'elk-cdk:detached-from';

/**
 * Group tag of a data group whose volumes outlive their instances: `persistent:<spec>` (the spec new volumes get).
 * The orchestrator's adapter reads it (FleetGroup.volumesOutliveInstances).
 */
export const GROUP_TAG_DATA_VOLUMES = 'elk-cdk:data-volumes';

/** The value of the `elk-cdk:volume-group` tag of data volumes. */
export const DATA_VOLUME_GROUP = 'data';

export const volumeSpec = (type: string, sizeGb: number | string, keyId: string): string =>
  `${type}/${sizeGb}/${keyId}`;

/** The spec a group tag asks for, or undefined when the group's volumes do not outlive their instances. */
export function persistentSpec(groupTagValue: string | undefined): string | undefined {
  const m = /^persistent:(.+)$/.exec(groupTagValue ?? '');
  return m?.[1];
}
