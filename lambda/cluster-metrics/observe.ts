/**
 * Reads the cluster for one collection: cluster health, node stats (heap, disk), node info (HTTP addresses), each
 * node's certificate dates from a TLS handshake, and the certificates of the Kibana and Logstash instances. Every read has its own timeout and its own failure: one that fails
 * leaves the others' figures intact. Nothing here throws for the cluster's state.
 */
import { X509Certificate } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import type {
  CertificateObservation,
  HealthObservation,
  NodeObservation,
  Observation,
  TierObservation,
  TierTarget,
} from './collect';
import { PROBED_SERVICE_PORTS, type ServiceTier } from './contract';
import type { ProbeResult } from './probe';
import type { TierInstance } from './tiers';

/** The three calls the collector makes (the `metrics_collector` role allows exactly these). */
export interface ClusterReader {
  health(): Promise<{ status: string; unassigned_shards: number }>;
  nodeStats(): Promise<{ nodes?: Record<string, RawNodeStats> }>;
  nodeAddresses(): Promise<{ nodes?: Record<string, { name?: string; http?: { publish_address?: string } }> }>;
}

export interface RawNodeStats {
  name?: string;
  roles?: string[];
  jvm?: { mem?: { heap_used_percent?: number } };
  fs?: { total?: { total_in_bytes?: number; available_in_bytes?: number } };
}

/** The reader over the official client: short server-side timeouts, no retry (the next collection is the retry). */
export function clientReader(es: Client): ClusterReader {
  return {
    health: () => es.cluster.health({ timeout: '5s', master_timeout: '5s' }) as never,
    nodeStats: () =>
      es.nodes.stats({
        metric: ['jvm', 'fs'],
        timeout: '5s',
        filter_path: [
          'nodes.*.name',
          'nodes.*.roles',
          'nodes.*.jvm.mem.heap_used_percent',
          'nodes.*.fs.total.total_in_bytes',
          'nodes.*.fs.total.available_in_bytes',
        ],
      }) as never,
    nodeAddresses: () =>
      es.nodes.info({
        metric: ['http'],
        timeout: '5s',
        filter_path: ['nodes.*.name', 'nodes.*.http.publish_address'],
      }) as never,
  };
}

/** An error of the client (ResponseError has statusCode and body; connection errors have neither). */
export function classifyHealthError(e: unknown): HealthObservation {
  const err = e as { name?: string; statusCode?: number; message?: string; body?: unknown };
  const reason = `${err.name ?? 'Error'}: ${String(err.message ?? e).slice(0, 200)}`;
  if (typeof err.statusCode === 'number') {
    const type = (err.body as { error?: { type?: string } } | undefined)?.error?.type;
    if (err.statusCode === 503 || type === 'master_not_discovered_exception') return { kind: 'no-master', reason };
    return { kind: 'error', reason };
  }
  return { kind: 'unreachable', reason };
}

export function parseHealth(h: { status: string; unassigned_shards: number }): HealthObservation {
  if (h.status !== 'green' && h.status !== 'yellow' && h.status !== 'red') {
    return { kind: 'error', reason: `unknown health status ${JSON.stringify(h.status)}` };
  }
  return { kind: 'answered', status: h.status, unassignedShards: h.unassigned_shards };
}

export function parseNodeStats(r: { nodes?: Record<string, RawNodeStats> }): NodeObservation[] {
  return Object.entries(r.nodes ?? {})
    .map(([id, n]) => ({
      name: n.name ?? id,
      roles: n.roles ?? [],
      heapUsedPercent: n.jvm?.mem?.heap_used_percent,
      diskTotalBytes: n.fs?.total?.total_in_bytes,
      diskAvailableBytes: n.fs?.total?.available_in_bytes,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** `host:port`, `name/ip:port` or `[v6]:port` (Elasticsearch's publish_address) → host and port. */
export function parsePublishAddress(a: string): { host: string; port: number } | undefined {
  const last = a.slice(a.lastIndexOf('/') + 1);
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(last);
  return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
}

export interface ObserveDeps {
  readonly reader: ClusterReader;
  /** PEM of the cluster CA (its own expiry counts). */
  readonly caPem: string;
  /** A TLS handshake with host:port and what it showed (lambda/cluster-metrics/probe.ts); never rejects. */
  readonly probe: (host: string, port: number) => Promise<ProbeResult>;
  /** The service tiers of the environment to probe, and how to list their running instances. */
  readonly serviceTiers?: {
    readonly tiers: readonly ServiceTier[];
    readonly list: () => Promise<readonly TierInstance[]>;
  };
  readonly log: (line: Record<string, unknown>) => void;
}

export async function observe(d: ObserveDeps): Promise<Observation> {
  const [health, stats, addresses] = await Promise.allSettled([
    d.reader.health(),
    d.reader.nodeStats(),
    d.reader.nodeAddresses(),
  ]);
  const h = health.status === 'fulfilled' ? parseHealth(health.value) : classifyHealthError(health.reason);
  if (h.kind !== 'answered') d.log({ read: 'health', outcome: h.kind, reason: h.reason });
  if (stats.status === 'rejected') d.log({ read: 'nodes-stats', outcome: 'failed', reason: String(stats.reason) });
  const nodes = stats.status === 'fulfilled' ? parseNodeStats(stats.value) : [];

  const certificates: CertificateObservation[] = [
    { subject: 'ca', notAfter: new Date(new X509Certificate(d.caPem).validTo) },
  ];
  const tiers: TierObservation[] = [];
  if (addresses.status === 'fulfilled') {
    const targets = Object.entries(addresses.value.nodes ?? {}).flatMap(([id, n]) => {
      const a = n.http?.publish_address ? parsePublishAddress(n.http.publish_address) : undefined;
      return a ? [{ subject: n.name ?? id, ...a }] : [];
    });
    const probed = await Promise.all(targets.map((t) => d.probe(t.host, t.port)));
    const esTargets: TierTarget[] = [];
    probed.forEach((result, i) => {
      const t = targets[i]!;
      esTargets.push({ instance: t.subject, result });
      if (result.kind === 'certificate') certificates.push({ subject: t.subject, notAfter: result.notAfter });
      else if (result.kind === 'refused') {
        certificates.push({ subject: t.subject, refused: result.reason });
        d.log({ read: 'certificate', node: t.subject, outcome: 'refused', reason: result.reason });
      } else d.log({ read: 'certificate', node: t.subject, outcome: 'failed', reason: result.reason });
    });
    tiers.push({ tier: 'elasticsearch', listed: true, targets: esTargets });
  } else {
    d.log({ read: 'nodes-info', outcome: 'failed', reason: String(addresses.reason) });
  }
  if (d.serviceTiers) tiers.push(...(await observeServiceTiers(d, d.serviceTiers)));
  return { health: h, nodes, certificates, tiers };
}

/** Probes every listed instance of the service tiers on its TLS port; a failed listing marks each tier unlisted. */
async function observeServiceTiers(
  d: ObserveDeps,
  s: NonNullable<ObserveDeps['serviceTiers']>,
): Promise<TierObservation[]> {
  let instances: readonly TierInstance[];
  try {
    instances = await s.list();
  } catch (e) {
    d.log({ read: 'service-instances', outcome: 'failed', reason: String(e).slice(0, 300) });
    return s.tiers.map((tier) => ({ tier, listed: false, targets: [] }));
  }
  const results = await Promise.all(instances.map((i) => d.probe(i.privateIp, PROBED_SERVICE_PORTS[i.tier])));
  return s.tiers.map((tier) => {
    const targets: TierTarget[] = [];
    instances.forEach((i, n) => {
      if (i.tier !== tier) return;
      const result = results[n]!;
      targets.push({ instance: i.instanceId, ...(i.launchedAt ? { launchedAt: i.launchedAt } : {}), result });
      if (result.kind !== 'certificate')
        d.log({ read: 'certificate', tier, node: i.instanceId, outcome: result.kind, reason: result.reason });
    });
    return { tier, listed: true, targets };
  });
}
