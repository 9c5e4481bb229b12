/**
 * How the rolling replacement will replace the data nodes of a template (issue #17): the method (`rollout.method`,
 * read from the Custom::RollingReplacement resource's `Method`), how many drain at once (`MaxSurge`, the way the
 * orchestrator's core/parallel.ts sizes a batch: a multiple of the group's zone count) and whether the data volumes
 * outlive their instances (group tag `elk-cdk:data-volumes`), so `elkctl diff` can say it and estimate it. Pure.
 */
import { GROUP_TAG_DATA_VOLUMES, persistentSpec } from '../../lambda/shared/data-volume';
import type { Template, TemplateResource } from './assembly';
import { AUTO_SCALING_GROUP, autoScalingGroupRole } from './impact';

const ROLLOUT_RESOURCE = 'Custom::RollingReplacement';

export interface DataRollMethod {
  /** `handoff`: where safe (a node that cannot keep its volume is drained); `drain`: every node. */
  readonly method: 'drain' | 'handoff';
  /** Data nodes drained at once (1 unless maxSurge allows a batch balanced over the zones). */
  readonly atOnce: number;
  /** The words for the impact sentence. */
  readonly text: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function dataGroup(template: Template): TemplateResource | undefined {
  return Object.values(template.Resources ?? {}).find(
    (r) => r.Type === AUTO_SCALING_GROUP && autoScalingGroupRole(r, template) === 'data',
  );
}

function tagValue(group: TemplateResource, key: string): string | undefined {
  const tags = group.Properties?.Tags;
  if (!Array.isArray(tags)) return undefined;
  const t = (tags as { Key?: unknown; Value?: unknown }[]).find((x) => x.Key === key);
  return str(t?.Value) ?? joined(t?.Value);
}

/** A value built with Fn::Join (the data volume spec names the environment's key): its text, a token as `?`. */
function joined(v: unknown): string | undefined {
  const j = (v as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  return Array.isArray(j?.[1]) ? j[1].map((p) => str(p) ?? '?').join(j[0]) : undefined;
}

/** Zones the group launches into: one subnet per zone (VPCZoneIdentifier), else AvailabilityZones. */
function zoneCount(group: TemplateResource): number | undefined {
  const p = group.Properties ?? {};
  const list = Array.isArray(p.VPCZoneIdentifier) ? p.VPCZoneIdentifier : p.AvailabilityZones;
  return Array.isArray(list) && list.length > 0 ? list.length : undefined;
}

/**
 * Drains at once for `maxSurge` over `zones` zones and `nodes` data nodes: with the zones chosen by the roll
 * (`rollout.surgePlacement: orchestrator`, core/zone-launch.ts) maxSurge itself, else as core/parallel.ts's surgeSize
 * (a multiple of the zone count, since Auto Scaling picks the zones).
 */
export function drainsAtOnce(maxSurge: number, zones: number | undefined, nodes: number, zonesChosen = false): number {
  const limit = Math.min(Math.max(1, maxSurge), nodes);
  if (limit <= 1) return 1;
  if (zonesChosen) return limit;
  const z = zones ?? 1;
  const rounds = Math.min(Math.floor(limit / z), Math.floor(nodes / z));
  return rounds >= 1 ? rounds * z : 1;
}

/** The method the data nodes of `head` get; undefined when the template has no rolling replacement resource. */
export function dataRollMethod(head: Template, dataNodes: number): DataRollMethod | undefined {
  const rollout = Object.values(head.Resources ?? {}).find((r) => r.Type === ROLLOUT_RESOURCE);
  if (!rollout) return undefined;
  const configured = str(rollout.Properties?.Method) ?? 'auto';
  const maxSurge = Number(str(rollout.Properties?.MaxSurge) ?? '1');
  const group = dataGroup(head);
  const persistent = group ? persistentSpec(tagValue(group, GROUP_TAG_DATA_VOLUMES)) !== undefined : false;
  if (configured !== 'drain' && persistent) {
    return {
      method: 'handoff',
      atOnce: 1,
      text: `data nodes: volume handoff where safe, else drain, rollout.method ${configured}`,
    };
  }
  const zones = group ? zoneCount(group) : undefined;
  // SurgePlacement is absent in templates written before it existed: Auto Scaling placed every surge then.
  const chosen = str(rollout.Properties?.SurgePlacement) === 'orchestrator';
  const atOnce = drainsAtOnce(Number.isFinite(maxSurge) ? maxSurge : 1, zones, dataNodes, chosen);
  const why =
    configured === 'drain'
      ? 'rollout.method drain'
      : `rollout.method ${configured} and data volumes that die with their instances`;
  const batch =
    atOnce > 1 && chosen
      ? `${atOnce} at a time, rollout.maxSurge ${maxSurge}, each surge instance launched into the zone its drain comes from`
      : atOnce > 1
        ? `${atOnce} at a time, rollout.maxSurge ${maxSurge} over ${zones ?? 1} zone${zones === 1 ? '' : 's'}`
        : maxSurge > 1
          ? `one at a time, rollout.maxSurge ${maxSurge} is below the ${zones ?? 1} zones or the nodes per zone`
          : '';
  return { method: 'drain', atOnce, text: `data nodes: drain, ${batch ? `${batch}, ` : ''}${why}` };
}
