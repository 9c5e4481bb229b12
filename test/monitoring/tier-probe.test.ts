import { mockClient } from 'aws-sdk-client-mock';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { metricsFrom, tierMetrics, type TierObservation } from '../../lambda/cluster-metrics/collect';
import { CollectorEnvSchema } from '../../lambda/cluster-metrics/contract';
import { observe } from '../../lambda/cluster-metrics/observe';
import type { ProbeResult } from '../../lambda/cluster-metrics/probe';
import { listTierInstances, tierGroups, tierInstancesOf } from '../../lambda/cluster-metrics/tiers';
import { makeTestCa, tempDir } from '../security/helpers/pki';

// The collector's outside view of the Kibana and Logstash certificates (issue #13): which instances it probes, on
// which port, and what it publishes per tier, a node that publishes nothing itself included.

const NOW = new Date('2026-12-01T00:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY);
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const cert = (days: number): ProbeResult => ({ kind: 'certificate', notAfter: at(days) });
const unreachable: ProbeResult = { kind: 'unreachable', reason: 'ETIMEDOUT' };
const lines = (t: TierObservation) => tierMetrics(t, NOW).map((d) => `${d.name} ${d.dimensions!.Tier} ${d.value}`);

describe('tierMetrics (pure)', () => {
  it("publishes the tier's fewest days and no unread instance when every certificate was read", () => {
    expect(
      lines({
        tier: 'kibana',
        listed: true,
        targets: [
          { instance: 'i-1', launchedAt: minutesAgo(600), result: cert(6.5) },
          { instance: 'i-2', launchedAt: minutesAgo(600), result: cert(3.25) },
        ],
      }),
    ).toEqual(['TierCertificatesUnread kibana 0', 'TierCertificateDaysToExpiry kibana 3.25']);
  });

  it('a refused certificate (expired, another CA) counts 0 days; an expired one read from the handshake, negative', () => {
    const t = (result: ProbeResult): TierObservation => ({
      tier: 'logstash',
      listed: true,
      targets: [
        { instance: 'i-1', launchedAt: minutesAgo(600), result: cert(5) },
        { instance: 'i-2', launchedAt: minutesAgo(600), result },
      ],
    });
    expect(lines(t({ kind: 'refused', reason: 'CERT_HAS_EXPIRED' }))).toContain(
      'TierCertificateDaysToExpiry logstash 0',
    );
    expect(lines(t(cert(-1.5)))).toContain('TierCertificateDaysToExpiry logstash -1.5');
  });

  it('an instance that cannot be reached counts as unread once past its boot (20 minutes), not before', () => {
    const booting = lines({
      tier: 'kibana',
      listed: true,
      targets: [
        { instance: 'i-old', launchedAt: minutesAgo(600), result: cert(6) },
        { instance: 'i-new', launchedAt: minutesAgo(19), result: unreachable },
      ],
    });
    expect(booting).toEqual(['TierCertificatesUnread kibana 0', 'TierCertificateDaysToExpiry kibana 6']);
    const stuck = lines({
      tier: 'kibana',
      listed: true,
      targets: [
        { instance: 'i-old', launchedAt: minutesAgo(600), result: cert(6) },
        { instance: 'i-new', launchedAt: minutesAgo(20), result: unreachable },
      ],
    });
    expect(stuck).toEqual(['TierCertificatesUnread kibana 1', 'TierCertificateDaysToExpiry kibana 6']);
  });

  it('no certificate read: no days at all (the alarm sees the absence); an unlisted tier publishes nothing', () => {
    expect(
      lines({
        tier: 'logstash',
        listed: true,
        targets: [{ instance: 'i-1', launchedAt: minutesAgo(60), result: unreachable }],
      }),
    ).toEqual(['TierCertificatesUnread logstash 1']);
    expect(lines({ tier: 'logstash', listed: true, targets: [] })).toEqual(['TierCertificatesUnread logstash 0']);
    expect(lines({ tier: 'logstash', listed: false, targets: [] })).toEqual([]);
  });
});

describe('observe: the service tiers', () => {
  let pki: { dir: string; cleanup: () => void };
  let caPem: string;
  beforeAll(() => {
    pki = tempDir('elk-tiers-');
    caPem = makeTestCa(pki.dir).certPem;
  });
  afterAll(() => pki.cleanup());

  const reader = {
    health: async () => ({ status: 'green', unassigned_shards: 0 }),
    nodeStats: async () => ({ nodes: {} }),
    nodeAddresses: async () => ({ nodes: {} }),
  };

  it("probes every listed instance on its tier's TLS port (Kibana 5601, Logstash's Beats 5044)", async () => {
    const probed: string[] = [];
    const o = await observe({
      reader,
      caPem,
      probe: async (host, port) => {
        probed.push(`${host}:${port}`);
        return host === '10.0.2.9' ? unreachable : cert(host === '10.0.1.5' ? 6 : 2.5);
      },
      serviceTiers: {
        tiers: ['kibana', 'logstash'],
        list: async () => [
          { tier: 'kibana', instanceId: 'i-k1', privateIp: '10.0.1.5', launchedAt: minutesAgo(100) },
          { tier: 'logstash', instanceId: 'i-l1', privateIp: '10.0.2.8', launchedAt: minutesAgo(100) },
          { tier: 'logstash', instanceId: 'i-l2', privateIp: '10.0.2.9', launchedAt: minutesAgo(100) },
        ],
      },
      log: () => undefined,
    });
    expect(probed.sort()).toEqual(['10.0.1.5:5601', '10.0.2.8:5044', '10.0.2.9:5044']);
    const tiers = metricsFrom(o, NOW)
      .filter((d) => d.dimensions?.Tier)
      .map((d) => `${d.name} ${d.dimensions!.Tier} ${d.value}`);
    expect(tiers).toEqual([
      'TierCertificatesUnread elasticsearch 0',
      'TierCertificatesUnread kibana 0',
      'TierCertificateDaysToExpiry kibana 6',
      'TierCertificatesUnread logstash 1',
      'TierCertificateDaysToExpiry logstash 2.5',
    ]);
  });

  it('a listing that fails leaves each service tier unlisted (no days: their alarms fire on the absence), logged', async () => {
    const logs: Array<Record<string, unknown>> = [];
    const o = await observe({
      reader,
      caPem,
      probe: async () => cert(5),
      serviceTiers: {
        tiers: ['kibana', 'logstash'],
        list: () => Promise.reject(new Error('AccessDenied: ec2:DescribeInstances')),
      },
      log: (l) => logs.push(l),
    });
    expect(o.tiers!.filter((t) => t.tier !== 'elasticsearch')).toEqual([
      { tier: 'kibana', listed: false, targets: [] },
      { tier: 'logstash', listed: false, targets: [] },
    ]);
    expect(metricsFrom(o, NOW).filter((d) => d.dimensions?.Tier && d.dimensions.Tier !== 'elasticsearch')).toEqual([]);
    expect(logs).toContainEqual(expect.objectContaining({ read: 'service-instances', outcome: 'failed' }));
  });
});

describe('listing the service instances (issuer policy + DescribeInstances)', () => {
  const policy = {
    environment: 'dev',
    validityDays: 7,
    groups: [
      {
        autoScalingGroup: 'dev-Master',
        profile: 'elasticsearch-master',
        roleArn: 'arn:aws:iam::123456789012:role/m',
        dnsNames: [],
      },
      { autoScalingGroup: 'dev-Kibana', profile: 'kibana', roleArn: 'arn:aws:iam::123456789012:role/k', dnsNames: [] },
      {
        autoScalingGroup: 'dev-Logstash',
        profile: 'logstash',
        roleArn: 'arn:aws:iam::123456789012:role/l',
        dnsNames: [],
      },
      {
        autoScalingGroup: 'app-Shippers',
        profile: 'beats-producer',
        roleArn: 'arn:aws:iam::123456789012:role/p',
        dnsNames: [],
      },
    ],
  };
  const tag = (group: string) => [{ Key: 'aws:autoscaling:groupName', Value: group }];

  it("takes the tiers' groups by issuer profile: not the Elasticsearch groups, not the producers", () => {
    expect([...tierGroups(policy, ['kibana', 'logstash']).entries()]).toEqual([
      ['dev-Kibana', 'kibana'],
      ['dev-Logstash', 'logstash'],
    ]);
    expect([...tierGroups(policy, ['kibana']).keys()]).toEqual(['dev-Kibana']);
    expect(
      tierInstancesOf(
        [
          { InstanceId: 'i-1', PrivateIpAddress: '10.0.1.5', Tags: tag('dev-Kibana') },
          { InstanceId: 'i-2', PrivateIpAddress: '10.0.1.6', Tags: tag('app-Shippers') },
          { InstanceId: 'i-3', Tags: tag('dev-Logstash') }, // no IP (yet): nothing to probe
        ],
        tierGroups(policy, ['kibana', 'logstash']),
      ),
    ).toEqual([{ tier: 'kibana', instanceId: 'i-1', privateIp: '10.0.1.5' }]);
  });

  const ssm = mockClient(SSMClient);
  const ec2 = mockClient(EC2Client);
  beforeEach(() => {
    ssm.reset();
    ec2.reset();
  });

  it('reads the policy, lists running instances of exactly those groups, follows pages', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(policy) } });
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        Reservations: [
          {
            Instances: [{ InstanceId: 'i-1', PrivateIpAddress: '10.0.1.5', LaunchTime: NOW, Tags: tag('dev-Kibana') }],
          },
        ],
        NextToken: 'p2',
      })
      .resolvesOnce({
        Reservations: [{ Instances: [{ InstanceId: 'i-2', PrivateIpAddress: '10.0.2.5', Tags: tag('dev-Logstash') }] }],
      });
    const got = await listTierInstances(
      { ssm: new SSMClient({ region: 'eu-west-1' }), ec2: new EC2Client({ region: 'eu-west-1' }) },
      '/elk/dev/security/issuer-policy',
      ['kibana', 'logstash'],
    );
    expect(got).toEqual([
      { tier: 'kibana', instanceId: 'i-1', privateIp: '10.0.1.5', launchedAt: NOW },
      { tier: 'logstash', instanceId: 'i-2', privateIp: '10.0.2.5' },
    ]);
    expect(ssm.commandCalls(GetParameterCommand)[0]!.args[0].input).toEqual({
      Name: '/elk/dev/security/issuer-policy',
    });
    const calls = ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.Filters).toEqual([
      { Name: 'tag:aws:autoscaling:groupName', Values: ['dev-Kibana', 'dev-Logstash'] },
      { Name: 'instance-state-name', Values: ['running'] },
    ]);
    expect(calls[1]!.NextToken).toBe('p2');
  });

  it('a bounded number of pages, however many the answer announces', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(policy) } });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [], NextToken: 'again' });
    await listTierInstances({ ssm: new SSMClient({}), ec2: new EC2Client({}) }, '/p', ['kibana']);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(5);
  });

  it('no tiers: no call at all; a malformed policy: an error (the tiers go unlisted)', async () => {
    expect(await listTierInstances({ ssm: new SSMClient({}), ec2: new EC2Client({}) }, '/p', [])).toEqual([]);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(0);
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '{"groups":"nope"}' } });
    await expect(
      listTierInstances({ ssm: new SSMClient({}), ec2: new EC2Client({}) }, '/p', ['kibana']),
    ).rejects.toThrow();
  });
});

describe('the collector environment', () => {
  const base = {
    ENVIRONMENT: 'dev',
    ES_ENDPOINT: 'https://elasticsearch.dev.elk.internal:9200',
    ES_SERVERNAME: 'elasticsearch.dev.elk.internal',
    CA_PARAMETER_NAME: '/elk/dev/security/ca-certificate',
    USER_SECRET_ARN: 'arn:x',
  };
  it('PROBE_TIERS lists kibana and logstash only, and needs the issuer policy parameter', () => {
    expect(CollectorEnvSchema.parse(base).PROBE_TIERS).toEqual([]);
    expect(
      CollectorEnvSchema.parse({ ...base, PROBE_TIERS: 'kibana,logstash', ISSUER_POLICY_PARAMETER_NAME: '/p' })
        .PROBE_TIERS,
    ).toEqual(['kibana', 'logstash']);
    expect(() => CollectorEnvSchema.parse({ ...base, PROBE_TIERS: 'kibana' })).toThrow(/ISSUER_POLICY_PARAMETER_NAME/);
    expect(() =>
      CollectorEnvSchema.parse({ ...base, PROBE_TIERS: 'alerter', ISSUER_POLICY_PARAMETER_NAME: '/p' }),
    ).toThrow();
  });
});
