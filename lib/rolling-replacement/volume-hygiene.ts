import type { DataVolume } from '../../lambda/rolling-replacement/adapters/volume-handoff';
import {
  VOLUME_TAG_DETACHED_AT,
  VOLUME_TAG_DETACHED_FROM,
  VOLUME_TAG_FORMATTED,
  VOLUME_TAG_ZONE,
} from '../../lambda/shared/data-volume';

/**
 * Volume hygiene (issue 17): every free data volume is reported, never deleted. A free volume is expected only for a
 * moment: the one a handoff in progress just detached (its replacement attaches it), or one a booting node is about
 * to attach. Any other is reported with where it came from: the volume of a drained node (no shard copies left; the
 * next data node booting in its zone reuses it), a storage change (another spec: never attached again), a replacement
 * that landed in another zone, or a node that died (it may hold the only copy of a shard). elk-cdk deletes none of
 * them. Pure.
 */
export interface FreeVolumeFinding {
  readonly volumeId: string;
  readonly zone: string;
  readonly why: string;
}

export function freeVolumes(
  volumes: readonly DataVolume[],
  o: { readonly handoffNode?: string; readonly spec?: string },
): FreeVolumeFinding[] {
  return volumes
    .filter((v) => v.state === 'available')
    .filter((v) => !(o.handoffNode && v.tags[VOLUME_TAG_DETACHED_FROM] === o.handoffNode))
    .map((v) => {
      const from = v.tags[VOLUME_TAG_DETACHED_FROM] ?? v.tags['elk-cdk:attached-to'];
      const since = v.tags[VOLUME_TAG_DETACHED_AT];
      const origin = `${from ? `last attached to ${from}` : 'never attached'}${since ? `, detached ${since}` : ''}`;
      const fate =
        o.spec !== undefined && v.spec !== o.spec
          ? `its spec ${v.spec ?? '(none)'} is not the group's ${o.spec}: no node attaches it again`
          : v.tags[VOLUME_TAG_FORMATTED] === 'true'
            ? 'the next data node booting in its zone attaches it'
            : 'empty: the next data node booting in its zone attaches it';
      return { volumeId: v.volumeId, zone: v.tags[VOLUME_TAG_ZONE] ?? '?', why: `${origin}; ${fate}` };
    });
}

/** The lines `elkctl roll status` prints (none when no volume is free). */
export function freeVolumeLines(findings: readonly FreeVolumeFinding[]): string[] {
  if (findings.length === 0) return [];
  return [
    `free data volumes (${findings.length}), not attached to any node; elk-cdk deletes none (one may hold the only ` +
      'copy of a shard of a node that died: check with _cat/shards before deleting):',
    ...findings.map((f) => `  ${f.volumeId}  ${f.zone}  ${f.why}`),
  ];
}
