import * as https from 'https';
import { AddressInfo } from 'net';
import { X509Certificate } from 'crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { metricsFrom, type Observation } from '../../lambda/cluster-metrics/collect';
import { collect } from '../../lambda/cluster-metrics/index';
import {
  classifyHealthError,
  observe,
  parsePublishAddress,
  type ClusterReader,
} from '../../lambda/cluster-metrics/observe';
import { probeCertificate } from '../../lambda/cluster-metrics/probe';
import { makeServerCert, makeTestCa, tempDir, type TestCa } from '../security/helpers/pki';

const NOW = new Date('2026-12-01T00:00:00Z');
const days = (n: number) => new Date(NOW.getTime() + n * 86_400_000);
const byName = (data: ReturnType<typeof metricsFrom>) =>
  Object.fromEntries(data.filter((d) => !d.dimensions).map((d) => [d.name, d.value]));

const tierData = (data: ReturnType<typeof metricsFrom>) =>
  data.filter((d) => d.dimensions?.Tier).map((d) => `${d.name} ${d.dimensions!.Tier} ${d.value}`);

const node = (name: string, roles: string[], heap: number, usedPct?: number) => ({
  name,
  roles,
  heapUsedPercent: heap,
  ...(usedPct === undefined ? {} : { diskTotalBytes: 1000, diskAvailableBytes: 1000 - usedPct * 10 }),
});

describe('metricsFrom (what one collection publishes)', () => {
  const healthy: Observation = {
    health: { kind: 'answered', status: 'yellow', unassignedShards: 3 },
    nodes: [
      node('i-m1', ['master'], 40),
      node('i-m2', ['master'], 55),
      node('i-d1', ['data', 'ingest'], 70, 62.5),
      node('i-d2', ['data_hot', 'data_content'], 20, 91),
    ],
    certificates: [
      { subject: 'ca', notAfter: days(3650) },
      { subject: 'i-d1', notAfter: days(30) },
      { subject: 'i-m2', notAfter: days(12.5) },
    ],
  };

  it('publishes status, master, unassigned shards, nodes per role, the maxima and the soonest certificate', () => {
    expect(byName(metricsFrom(healthy, NOW))).toEqual({
      ClusterReachable: 1,
      ClusterStatus: 1,
      MasterPresent: 1,
      UnassignedShards: 3,
      MasterNodes: 2,
      DataNodes: 2,
      HeapUsedPercentMax: 70,
      DiskUsedPercentMax: 91,
      CertificateDaysToExpiry: 12.5,
      // the CA on its own: node certificates and the CA have their own alarm thresholds
      CaCertificateDaysToExpiry: 3650,
    });
  });

  it('publishes heap per node and disk per data node (masters hold no data: no disk series)', () => {
    const perNode = metricsFrom(healthy, NOW)
      .filter((d) => d.dimensions)
      .map((d) => `${d.name} ${d.dimensions!.Node} ${d.value}`);
    expect(perNode).toEqual([
      'HeapUsedPercent i-m1 40',
      'HeapUsedPercent i-m2 55',
      'HeapUsedPercent i-d1 70',
      'HeapUsedPercent i-d2 20',
      'DiskUsedPercent i-d1 62.5',
      'DiskUsedPercent i-d2 91',
    ]);
  });

  it.each([
    ['no master', { kind: 'no-master', reason: '503' }, 1],
    ['an error status', { kind: 'error', reason: '401' }, 1],
    ['no answer at all', { kind: 'unreachable', reason: 'ECONNREFUSED' }, 0],
  ] as const)('a cluster with %s is published as red, without master', (_, health, reachable) => {
    const m = byName(metricsFrom({ health, nodes: [], certificates: [{ subject: 'ca', notAfter: days(100) }] }, NOW));
    expect(m).toEqual({
      ClusterReachable: reachable,
      ClusterStatus: 2,
      MasterPresent: 0,
      MasterNodes: 0,
      DataNodes: 0,
      CertificateDaysToExpiry: 100,
      CaCertificateDaysToExpiry: 100,
    });
  });

  it('an expired certificate counts negative days', () => {
    const m = byName(
      metricsFrom(
        { ...healthy, certificates: [{ subject: 'i-d1', notAfter: new Date(NOW.getTime() - 86_400_000) }] },
        NOW,
      ),
    );
    expect(m.CertificateDaysToExpiry).toBe(-1);
    expect(m.CaCertificateDaysToExpiry).toBeUndefined();
  });

  it('green is 0 and red is 2', () => {
    for (const [status, value] of [
      ['green', 0],
      ['red', 2],
    ] as const) {
      const m = byName(metricsFrom({ ...healthy, health: { kind: 'answered', status, unassignedShards: 0 } }, NOW));
      expect([status, m.ClusterStatus]).toEqual([status, value]);
    }
  });
});

describe('reading the cluster', () => {
  it('classifies client errors: 503 is no master, another status an error, no status unreachable', () => {
    expect(classifyHealthError({ name: 'ResponseError', statusCode: 503, message: 'x' }).kind).toBe('no-master');
    expect(
      classifyHealthError({
        name: 'ResponseError',
        statusCode: 500,
        body: { error: { type: 'master_not_discovered_exception' } },
      }).kind,
    ).toBe('no-master');
    expect(classifyHealthError({ name: 'ResponseError', statusCode: 403, message: 'forbidden' }).kind).toBe('error');
    expect(classifyHealthError({ name: 'ConnectionError', message: 'ECONNREFUSED' }).kind).toBe('unreachable');
    expect(classifyHealthError(new Error('timeout')).kind).toBe('unreachable');
  });

  it.each([
    ['10.0.1.5:9200', { host: '10.0.1.5', port: 9200 }],
    ['ip-10-0-1-5.ec2.internal/10.0.1.5:9200', { host: '10.0.1.5', port: 9200 }],
    ['[::1]:9201', { host: '::1', port: 9201 }],
    ['nonsense', undefined],
  ])('publish_address %s', (a, want) => {
    expect(parsePublishAddress(a)).toEqual(want);
  });

  let pki: { dir: string; cleanup: () => void };
  let testCa: TestCa;
  beforeAll(() => {
    pki = tempDir('elk-metrics-');
    testCa = makeTestCa(pki.dir);
  });
  afterAll(() => pki.cleanup());

  it('keeps what answered when one read fails, and probes every node address it got', async () => {
    const reader: ClusterReader = {
      health: () => Promise.reject(Object.assign(new Error('no master'), { name: 'ResponseError', statusCode: 503 })),
      nodeStats: () =>
        Promise.resolve({
          nodes: {
            a: {
              name: 'i-d1',
              roles: ['data'],
              jvm: { mem: { heap_used_percent: 33 } },
              fs: { total: { total_in_bytes: 200, available_in_bytes: 50 } },
            },
          },
        }),
      nodeAddresses: () =>
        Promise.resolve({
          nodes: {
            a: { name: 'i-d1', http: { publish_address: 'x/10.0.0.1:9200' } },
            b: { name: 'i-m1', http: { publish_address: '10.0.0.2:9200' } },
            c: { name: 'i-m2', http: { publish_address: '10.0.0.3:9200' } },
          },
        }),
    };
    const probed: string[] = [];
    const logs: Array<Record<string, unknown>> = [];
    const o = await observe({
      reader,
      caPem: testCa.certPem,
      probe: (host, port) => {
        probed.push(`${host}:${port}`);
        if (host === '10.0.0.1') return Promise.resolve({ kind: 'certificate', notAfter: days(20) });
        if (host === '10.0.0.3') return Promise.resolve({ kind: 'refused', reason: 'CERT_HAS_EXPIRED' });
        return Promise.resolve({ kind: 'unreachable', reason: 'ETIMEDOUT' });
      },
      log: (l) => logs.push(l),
    });
    expect(o.health).toEqual({ kind: 'no-master', reason: 'ResponseError: no master' });
    expect(o.nodes).toEqual([
      { name: 'i-d1', roles: ['data'], heapUsedPercent: 33, diskTotalBytes: 200, diskAvailableBytes: 50 },
    ]);
    expect(probed).toEqual(['10.0.0.1:9200', '10.0.0.2:9200', '10.0.0.3:9200']);
    expect(o.certificates.map((c) => c.subject)).toEqual(['ca', 'i-d1', 'i-m2']);
    expect(o.certificates[2]).toEqual({ subject: 'i-m2', refused: 'CERT_HAS_EXPIRED' });
    expect((o.certificates[0] as { notAfter: Date }).notAfter).toEqual(
      new Date(new X509Certificate(testCa.certPem).validTo),
    );
    expect(logs).toContainEqual(expect.objectContaining({ read: 'certificate', node: 'i-m1', outcome: 'failed' }));
    expect(byName(metricsFrom(o, NOW))).toMatchObject({
      ClusterStatus: 2,
      MasterPresent: 0,
      DiskUsedPercentMax: 75,
      CertificateDaysToExpiry: 0, // i-m2's expired certificate
    });
    // the Elasticsearch tier: its fewest days (the refused one counts 0), and i-m1 unread (a node in the cluster)
    expect(tierData(metricsFrom(o, NOW))).toEqual([
      'TierCertificatesUnread elasticsearch 1',
      'TierCertificateDaysToExpiry elasticsearch 0',
    ]);
  });

  it("reads a node certificate's notAfter from a real TLS handshake", async () => {
    const cert = makeServerCert(pki.dir, testCa, ['DNS:elasticsearch.dev.elk.internal', 'IP:127.0.0.1']);
    const server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (_q, r) => r.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const got = await probeCertificate('127.0.0.1', port, { caPem: testCa.certPem, timeoutMs: 5000 });
      expect(got).toEqual({ kind: 'certificate', notAfter: new Date(new X509Certificate(cert.certPem).validTo) });
      // verified against the cluster CA: another CA's certificate is not measured
      const other = makeTestCa(pki.dir, 'other-ca');
      expect((await probeCertificate('127.0.0.1', port, { caPem: other.certPem, timeoutMs: 5000 })).kind).toBe(
        'refused',
      );
    } finally {
      server.close();
    }
  });

  it('a handshake that never comes fails instead of hanging', async () => {
    const net = await import('net');
    const server = net.createServer(() => undefined); // accepts, never speaks TLS
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await probeCertificate('127.0.0.1', port, { caPem: testCa.certPem, timeoutMs: 200 })).toEqual({
        kind: 'unreachable',
        reason: expect.stringMatching(/timed out/),
      });
    } finally {
      server.close();
    }
  });
});

describe('collect (the handler)', () => {
  const cw = mockClient(CloudWatchClient);
  beforeEach(() => cw.reset());

  it('puts every data point in elk-cdk/Cluster with the Environment dimension, per-node ones with Node too', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    const pki = tempDir('elk-metrics-h-');
    const testCa = makeTestCa(pki.dir);
    const logs: Array<Record<string, unknown>> = [];
    try {
      const r = await collect({
        environment: 'dev',
        now: () => NOW,
        cloudWatch: new CloudWatchClient({ region: 'eu-west-1' }),
        log: (l) => logs.push(l),
        observeDeps: async () => ({
          reader: {
            health: async () => ({ status: 'green', unassigned_shards: 0 }),
            nodeStats: async () => ({
              nodes: { a: { name: 'i-d1', roles: ['data'], jvm: { mem: { heap_used_percent: 10 } } } },
            }),
            nodeAddresses: async () => ({ nodes: {} }),
          },
          caPem: testCa.certPem,
          probe: () => Promise.reject(new Error('unused')),
          log: () => undefined,
        }),
      });
      const calls = cw.commandCalls(PutMetricDataCommand);
      expect(calls).toHaveLength(1);
      const input = calls[0]!.args[0].input;
      expect(input.Namespace).toBe('elk-cdk/Cluster');
      const names = input.MetricData!.map((d) => d.MetricName);
      expect(names).toEqual(
        expect.arrayContaining(['ClusterStatus', 'MasterPresent', 'HeapUsedPercent', 'CertificateDaysToExpiry']),
      );
      expect(r.published).toBe(input.MetricData!.length);
      const status = input.MetricData!.find((d) => d.MetricName === 'ClusterStatus')!;
      expect(status).toMatchObject({ Value: 0, Timestamp: NOW, Dimensions: [{ Name: 'Environment', Value: 'dev' }] });
      const heap = input.MetricData!.find((d) => d.MetricName === 'HeapUsedPercent')!;
      expect(heap.Dimensions).toEqual([
        { Name: 'Environment', Value: 'dev' },
        { Name: 'Node', Value: 'i-d1' },
      ]);
      expect(logs).toEqual([expect.objectContaining({ collected: 'dev', health: 'green', nodes: 1 })]);
    } finally {
      pki.cleanup();
    }
  });

  it('splits a large collection into calls of at most 500 data points (PutMetricData takes 1000)', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    const pki = tempDir('elk-metrics-b-');
    const testCa = makeTestCa(pki.dir);
    const nodes = Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [
        `n${i}`,
        {
          name: `i-${i}`,
          roles: ['data'],
          jvm: { mem: { heap_used_percent: 1 } },
          fs: { total: { total_in_bytes: 10, available_in_bytes: 5 } },
        },
      ]),
    );
    try {
      const r = await collect({
        environment: 'dev',
        now: () => NOW,
        cloudWatch: new CloudWatchClient({ region: 'eu-west-1' }),
        log: () => undefined,
        observeDeps: async () => ({
          reader: {
            health: async () => ({ status: 'green', unassigned_shards: 0 }),
            nodeStats: async () => ({ nodes }),
            nodeAddresses: async () => ({ nodes: {} }),
          },
          caPem: testCa.certPem,
          probe: () => Promise.reject(new Error('unused')),
          log: () => undefined,
        }),
      });
      const sizes = cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData!.length);
      expect(sizes).toEqual([500, r.published - 500]);
      expect(r.published).toBeGreaterThan(600);
    } finally {
      pki.cleanup();
    }
  });
});
