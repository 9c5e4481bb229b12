/**
 * Elasticsearch down on an EC2-healthy instance (issue 12, finding 7). EC2 status checks and Auto Scaling's EC2
 * health check see the instance, not the Elasticsearch process: an instance whose node stopped, crashed or never
 * joined stays InService and Healthy for ever, and the cluster runs one node short. This check marks such an instance
 * Unhealthy once it has been out of the cluster for `downSeconds`, so that Auto Scaling replaces it (ReplaceUnhealthy),
 * as it would a dead instance.
 *
 * Where it runs: outside a roll, a periodic invocation (EventBridge schedule) of the reconcile function; inside a roll
 * (lock held) the roll's own decide() hook, so that one actor at a time decides. Both keep the clock in the same group
 * tag (`elk-cdk:node-missing`, `<instance>@<seconds>` per instance first seen out of the cluster).
 *
 * Safety (what it never does): mark when the cluster cannot be observed (Elasticsearch or Auto Scaling unknown, or no
 * elected master); mark more than one instance at a time (it waits while any instance of the groups is Unhealthy,
 * launching or terminating, or out of the cluster for less than the bound: a replacement may be booting); mark a
 * data node while the cluster is red (a primary without a started copy may have its only copy on that node's volume,
 * which dies with the instance); mark a master when the master-eligible members without it are not a majority of the
 * master group. Inside a roll it leaves alone a new instance the roll is waiting for (its join timeout applies).
 * Pure: no SDK, no clock.
 */
import type { FleetGroup, FleetInstance } from './fleet-port';
import { TAG } from './tags';
import type { EsView } from './types';

export const NODE_DOWN = 'node-down';

/** At most this many entries per group tag (AWS tag values are at most 256 characters). */
const MAX_ENTRIES = 7;

export type NodeHealthDecision =
  /** Nothing is out of the cluster and nothing is recorded. */
  | { readonly kind: 'none' }
  /** The group's record changes (an instance first seen missing, or one back or gone): write the tag. */
  | { readonly kind: 'record'; readonly group: string; readonly value: string; readonly reason: string }
  /** Mark this instance Unhealthy (Auto Scaling replaces it). */
  | { readonly kind: 'mark'; readonly group: string; readonly instanceId: string; readonly reason: string }
  /** Something is missing, but not long enough, or marking it now is not safe: the reason says which. */
  | { readonly kind: 'wait'; readonly reason: string };

export interface NodeHealthInput {
  readonly es: EsView;
  /** The cluster's Elasticsearch groups (data and master). */
  readonly groups: readonly FleetGroup[];
  readonly now: number;
  /** Seconds out of the cluster before the instance is marked Unhealthy; 0 turns the check off. */
  readonly downSeconds: number;
  /** Inside a roll: new instances the roll waits for (join-wait mark) are its own business. */
  readonly inRoll: boolean;
}

/** Parses `<id>@<seconds>,...`. */
export function parseMissing(value: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of (value ?? '').split(',')) {
    const m = /^(i-[0-9a-z]+)@(\d+)$/.exec(part.trim());
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export function formatMissing(entries: ReadonlyMap<string, number>): string {
  const list = [...entries].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).slice(0, MAX_ENTRIES);
  return list.length ? list.map(([id, t]) => `${id}@${Math.floor(t)}`).join(',') : '-';
}

const awaited = (g: FleetGroup, i: FleetInstance, inRoll: boolean): boolean =>
  inRoll && i.launchTemplateVersion === g.targetLaunchTemplateVersion && g.tags[TAG.joinWait] !== undefined;

const isBusy = (i: FleetInstance): boolean =>
  i.lifecycleState !== 'Terminated' && (i.lifecycleState !== 'InService' || i.healthStatus !== 'Healthy');

export function nodeHealth(input: NodeHealthInput): NodeHealthDecision {
  const { es, groups, now, downSeconds, inRoll } = input;
  if (downSeconds <= 0) return { kind: 'none' };
  const members = new Set(es.nodes.map((n) => n.name));
  const missing: { g: FleetGroup; i: FleetInstance; since: number; recorded: boolean }[] = [];
  for (const g of groups) {
    const old = parseMissing(g.tags[TAG.nodeMissing]);
    const next = new Map<string, number>();
    for (const i of g.instances) {
      if (i.lifecycleState !== 'InService' || i.healthStatus !== 'Healthy' || members.has(i.instanceId)) continue;
      if (awaited(g, i, inRoll)) continue;
      const since = old.get(i.instanceId);
      next.set(i.instanceId, since ?? now);
      missing.push({ g, i, since: since ?? now, recorded: since !== undefined });
    }
    if (formatMissing(next) !== formatMissing(old)) {
      const added = [...next.keys()].filter((id) => !old.has(id));
      const removed = [...old.keys()].filter((id) => !next.has(id));
      const why = [
        added.length ? `${added.join(', ')} out of the cluster while InService and Healthy: its clock starts` : '',
        removed.length ? `${removed.join(', ')} back in the cluster or gone: its clock is removed` : '',
      ].filter((s) => s);
      return { kind: 'record', group: g.name, value: formatMissing(next), reason: `${NODE_DOWN}: ${why.join('; ')}` };
    }
  }
  if (!missing.length) return { kind: 'none' };

  const due = missing
    .filter((m) => m.recorded && now - m.since >= downSeconds)
    .sort((a, b) => a.since - b.since || a.i.instanceId.localeCompare(b.i.instanceId));
  const text = (m: (typeof missing)[number]) =>
    `${m.i.instanceId} (${m.g.name}) out of the cluster for ${Math.round(now - m.since)} s`;
  if (!due.length) {
    return {
      kind: 'wait',
      reason: `${NODE_DOWN}: ${missing.map(text).join(', ')}; marked Unhealthy after ${downSeconds} s`,
    };
  }
  const pick = due[0]!;
  const hold = (why: string): NodeHealthDecision => ({
    kind: 'wait',
    reason: `${NODE_DOWN}: ${text(pick)}, not marked Unhealthy: ${why}`,
  });
  if (es.electedMaster === undefined || !members.has(es.electedMaster)) {
    return hold('no elected master, the cluster cannot be observed');
  }
  const busy = groups.flatMap((g) =>
    g.instances.filter(isBusy).map((i) => `${i.instanceId} is ${i.lifecycleState}/${i.healthStatus}`),
  );
  if (busy.length) return hold(`one replacement at a time (${busy[0]})`);
  const young = missing.find((m) => m !== pick && !due.includes(m));
  if (young)
    return hold(
      `one replacement at a time (${young.i.instanceId} is out of the cluster too, for ${Math.round(now - young.since)} s)`,
    );
  if (pick.g.role === 'master') {
    const masterGroup = pick.g;
    const eligible = es.nodes.filter((n) => n.roles.includes('master')).length;
    const majority = Math.floor(Math.max(masterGroup.desiredCapacity, 1) / 2) + 1;
    if (eligible < majority) {
      return hold(`${eligible} master-eligible members, fewer than a majority of ${masterGroup.desiredCapacity}`);
    }
  } else if (es.health.status === 'red') {
    return hold(
      'the cluster is red: a primary without a started copy may have its only copy on this node’s volume, which ' +
        'dies with the instance (start Elasticsearch on it again, or accept the loss and terminate it yourself)',
    );
  }
  return {
    kind: 'mark',
    group: pick.g.name,
    instanceId: pick.i.instanceId,
    reason:
      `${NODE_DOWN}: ${text(pick)} while EC2 reports it InService and Healthy (bound ${downSeconds} s): marked ` +
      'Unhealthy so that Auto Scaling replaces it',
  };
}
