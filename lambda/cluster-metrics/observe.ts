/**
 * Reads the cluster for one collection: cluster health, node stats (heap, disk), node info (HTTP addresses), and each
 * node's certificate dates from a TLS handshake. Every read has its own timeout and its own failure: one that fails
 * leaves the others' figures intact. Nothing here throws for the cluster's state.
 */
import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import type { Client } from '@elastic/elasticsearch';
import type { CertificateObservation, HealthObservation, NodeObservation, Observation } from './collect';

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

/**
 * The notAfter of the certificate a node presents on its HTTP port, verified against the cluster CA (a node is reached
 * by its private IP, which its certificate carries). Only the handshake happens; nothing is sent. A certificate that
 * fails verification because it has expired rejects with `code: 'CERT_HAS_EXPIRED'` (counted as expired by observe).
 */
export function certificateNotAfter(
  host: string,
  port: number,
  opts: { caPem: string; timeoutMs: number },
): Promise<Date> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, ca: opts.caPem });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TLS handshake with ${host}:${port} timed out`));
    }, opts.timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const raw = socket.getPeerCertificate().raw;
      socket.destroy();
      if (!raw) return reject(new Error(`${host}:${port} presented no certificate`));
      resolve(new Date(new X509Certificate(raw).validTo));
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    });
  });
}

export interface ObserveDeps {
  readonly reader: ClusterReader;
  /** PEM of the cluster CA (its own expiry counts). */
  readonly caPem: string;
  readonly probe: (host: string, port: number) => Promise<Date>;
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
  if (addresses.status === 'fulfilled') {
    const targets = Object.entries(addresses.value.nodes ?? {}).flatMap(([id, n]) => {
      const a = n.http?.publish_address ? parsePublishAddress(n.http.publish_address) : undefined;
      return a ? [{ subject: n.name ?? id, ...a }] : [];
    });
    const probed = await Promise.allSettled(targets.map((t) => d.probe(t.host, t.port)));
    probed.forEach((p, i) => {
      const t = targets[i]!;
      if (p.status === 'fulfilled') certificates.push({ subject: t.subject, notAfter: p.value });
      else if ((p.reason as { code?: string }).code === 'CERT_HAS_EXPIRED') {
        certificates.push({ subject: t.subject, expired: true });
      } else d.log({ read: 'certificate', node: t.subject, outcome: 'failed', reason: String(p.reason) });
    });
  } else {
    d.log({ read: 'nodes-info', outcome: 'failed', reason: String(addresses.reason) });
  }
  return { health: h, nodes, certificates };
}
