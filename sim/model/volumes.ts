import type { EsNode } from './cluster-types';

/**
 * Data volumes of the simulated data nodes (issue 17, volume handoff). A data node's volume is its own EBS volume in
 * one Availability Zone: it holds the node's shard files and its persistent node id. A booting data instance attaches
 * a free volume of its zone (the oldest free one) or creates an empty one. An ordinary termination deletes the volume
 * with the instance (what a launch-template volume does); a handoff detaches it and leaves it free in its zone.
 *
 * Simplified: attach and detach take no time of their own (they fall inside boot and termination), never fail, and
 * two instances never race for one volume (the boot script's conditional attach is the real guard).
 */
export interface Volume {
  readonly id: string;
  readonly az: string;
  readonly createdAt: number;
  /** Instance the volume is attached to; undefined while free. */
  attachedTo?: string;
  /** The node whose files and node id are on the volume (undefined for a new, empty volume). */
  node?: EsNode;
  /** When the volume was last detached. */
  freeSince?: number;
}

export class Volumes {
  readonly all: Volume[] = [];
  private counter = 0;

  /** A new empty volume attached to the instance. */
  create(az: string, instanceId: string, now: number): Volume {
    const v: Volume = { id: `vol-${(++this.counter).toString(16).padStart(17, '0')}`, az, createdAt: now };
    v.attachedTo = instanceId;
    this.all.push(v);
    return v;
  }

  /** The oldest free volume of the zone, attached to the instance; undefined when none is free there. */
  attachFree(az: string, instanceId: string): Volume | undefined {
    const free = this.all
      .filter((v) => v.attachedTo === undefined && v.az === az)
      .sort((a, b) => (a.freeSince ?? 0) - (b.freeSince ?? 0) || a.id.localeCompare(b.id))[0];
    if (free) {
      free.attachedTo = instanceId;
      free.freeSince = undefined;
    }
    return free;
  }

  attachedTo(instanceId: string): Volume | undefined {
    return this.all.find((v) => v.attachedTo === instanceId);
  }

  /** Handoff: the volume stays, free in its zone, with the node's files. */
  detach(instanceId: string, now: number): Volume | undefined {
    const v = this.attachedTo(instanceId);
    if (v) {
      v.attachedTo = undefined;
      v.freeSince = now;
    }
    return v;
  }

  /** An ordinary termination: the volume is deleted with its instance. */
  deleteWith(instanceId: string): void {
    const i = this.all.findIndex((v) => v.attachedTo === instanceId);
    if (i >= 0) this.all.splice(i, 1);
  }

  /** Free volumes that hold a node's files: nothing will attach them unless a node boots in their zone. */
  orphaned(): Volume[] {
    return this.all.filter((v) => v.attachedTo === undefined && v.node !== undefined);
  }
}
