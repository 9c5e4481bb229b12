/**
 * Pure: what the collector saw → the metric data it publishes. No SDK, no clock (the caller passes `now`).
 * Every collection publishes the cluster-level metrics whatever Elasticsearch answered, so a dead cluster, a cluster
 * without a master or an unreachable one still produces data points the alarms can judge.
 */
import { METRIC, NODE_DIMENSION, PROBE_BOOT_GRACE_MINUTES, TIER_DIMENSION, type Tier } from './contract';
import type { ProbeResult } from './probe';

export type HealthStatus = 'green' | 'yellow' | 'red';

/** Cluster health as answered, or why it was not. */
export type HealthObservation =
  | { readonly kind: 'answered'; readonly status: HealthStatus; readonly unassignedShards: number }
  /** Elasticsearch answered, but no master is elected (503 / master_not_discovered_exception). */
  | { readonly kind: 'no-master'; readonly reason: string }
  /** Elasticsearch answered with another error (401, 403, 500, ...). */
  | { readonly kind: 'error'; readonly reason: string }
  /** No answer at all (connection refused, timeout, DNS). */
  | { readonly kind: 'unreachable'; readonly reason: string };

export interface NodeObservation {
  readonly name: string;
  readonly roles: readonly string[];
  readonly heapUsedPercent?: number;
  readonly diskTotalBytes?: number;
  readonly diskAvailableBytes?: number;
}

/** A certificate's end of validity, or a node whose certificate clients refuse (expired, another CA, name). */
export type CertificateObservation =
  /** `subject`: node name, or `ca` for the cluster CA. */
  { readonly subject: string; readonly notAfter: Date } | { readonly subject: string; readonly refused: string };

/** One instance of a tier and what the probe of its TLS port found. */
export interface TierTarget {
  readonly instance: string;
  /** Launch time, when known (service instances): a younger instance is still booting. */
  readonly launchedAt?: Date;
  readonly result: ProbeResult;
}

/** A tier's instances as probed; `listed: false` when they could not be listed (nothing is then published). */
export interface TierObservation {
  readonly tier: Tier;
  readonly listed: boolean;
  readonly targets: readonly TierTarget[];
}

export interface Observation {
  readonly health: HealthObservation;
  /** Nodes that answered node stats; empty when the call failed. */
  readonly nodes: readonly NodeObservation[];
  /** Certificates read (the CA and each node's TLS handshake that succeeded). */
  readonly certificates: readonly CertificateObservation[];
  /** Per tier, every instance's probe (Elasticsearch: the nodes of node info; Kibana, Logstash: listed groups). */
  readonly tiers?: readonly TierObservation[];
}

export interface Datum {
  readonly name: string;
  readonly value: number;
  readonly unit: 'None' | 'Count' | 'Percent';
  /** Extra dimensions besides `Environment`. */
  readonly dimensions?: Readonly<Record<string, string>>;
}

const STATUS_VALUE: Record<HealthStatus, number> = { green: 0, yellow: 1, red: 2 };
const DAY_MS = 86_400_000;

/** Disk used percent of a node, or undefined when node stats lack the figures. */
export function diskUsedPercent(n: NodeObservation): number | undefined {
  if (n.diskTotalBytes === undefined || n.diskAvailableBytes === undefined || n.diskTotalBytes <= 0) return undefined;
  return round2(((n.diskTotalBytes - n.diskAvailableBytes) / n.diskTotalBytes) * 100);
}

export function isDataNode(n: NodeObservation): boolean {
  return n.roles.some((r) => r === 'data' || r.startsWith('data_'));
}

/** The data points of one collection. */
export function metricsFrom(o: Observation, now: Date): Datum[] {
  const out: Datum[] = [];
  const h = o.health;
  out.push({ name: METRIC.reachable, value: h.kind === 'unreachable' ? 0 : 1, unit: 'None' });
  // Not knowing is not green: a cluster nobody can read counts as red, so the red alarm pages for it too.
  out.push({ name: METRIC.status, value: h.kind === 'answered' ? STATUS_VALUE[h.status] : 2, unit: 'None' });
  out.push({ name: METRIC.masterPresent, value: h.kind === 'answered' ? 1 : 0, unit: 'None' });
  if (h.kind === 'answered') out.push({ name: METRIC.unassignedShards, value: h.unassignedShards, unit: 'Count' });

  out.push({
    name: METRIC.masterNodes,
    value: o.nodes.filter((n) => n.roles.includes('master')).length,
    unit: 'Count',
  });
  out.push({ name: METRIC.dataNodes, value: o.nodes.filter(isDataNode).length, unit: 'Count' });

  const heaps = o.nodes.filter((n) => n.heapUsedPercent !== undefined);
  for (const n of heaps) {
    out.push({
      name: METRIC.heapUsed,
      value: n.heapUsedPercent!,
      unit: 'Percent',
      dimensions: { [NODE_DIMENSION]: n.name },
    });
  }
  if (heaps.length > 0) {
    out.push({ name: METRIC.heapUsedMax, value: Math.max(...heaps.map((n) => n.heapUsedPercent!)), unit: 'Percent' });
  }
  const disks = o.nodes.filter(isDataNode).flatMap((n) => {
    const used = diskUsedPercent(n);
    return used === undefined ? [] : [{ node: n.name, used }];
  });
  for (const d of disks) {
    out.push({ name: METRIC.diskUsed, value: d.used, unit: 'Percent', dimensions: { [NODE_DIMENSION]: d.node } });
  }
  if (disks.length > 0)
    out.push({ name: METRIC.diskUsedMax, value: Math.max(...disks.map((d) => d.used)), unit: 'Percent' });

  const days = soonestExpiry(o.certificates, now);
  if (days) out.push({ name: METRIC.certificateDays, value: days.days, unit: 'None' });
  const ca = soonestExpiry(
    o.certificates.filter((c) => c.subject === 'ca'),
    now,
  );
  if (ca) out.push({ name: METRIC.caCertificateDays, value: ca.days, unit: 'None' });
  for (const t of o.tiers ?? []) out.push(...tierMetrics(t, now));
  return out;
}

/** Days left of a probed certificate: a refused one counts 0 (clients refuse it now), an unread one not at all. */
export function probedDays(r: ProbeResult, now: Date): number | undefined {
  if (r.kind === 'unreachable') return undefined;
  if (r.kind === 'refused') return 0;
  return round2((r.notAfter.getTime() - now.getTime()) / DAY_MS);
}

/**
 * A tier's data points: the fewest days left over the certificates read, and the number of instances past their
 * boot whose certificate could not be read. A tier that could not be listed publishes nothing: the absence of its
 * days is what its alarm sees.
 */
export function tierMetrics(t: TierObservation, now: Date): Datum[] {
  if (!t.listed) return [];
  const dimensions = { [TIER_DIMENSION]: t.tier };
  const days = t.targets.flatMap((x) => {
    const d = probedDays(x.result, now);
    return d === undefined ? [] : [d];
  });
  const graceMs = PROBE_BOOT_GRACE_MINUTES * 60_000;
  const unread = t.targets.filter(
    (x) => x.result.kind === 'unreachable' && (!x.launchedAt || now.getTime() - x.launchedAt.getTime() >= graceMs),
  ).length;
  const out: Datum[] = [{ name: METRIC.tierCertificatesUnread, value: unread, unit: 'Count', dimensions }];
  if (days.length > 0)
    out.push({ name: METRIC.tierCertificateDays, value: Math.min(...days), unit: 'None', dimensions });
  return out;
}

/** The certificate that expires first and its days left (fractional; 0 or less once expired). */
export function soonestExpiry(
  certs: readonly CertificateObservation[],
  now: Date,
): { subject: string; days: number } | undefined {
  let best: { subject: string; days: number } | undefined;
  for (const c of certs) {
    const days = 'refused' in c ? 0 : round2((c.notAfter.getTime() - now.getTime()) / DAY_MS);
    if (!best || days < best.days) best = { subject: c.subject, days };
  }
  return best;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
