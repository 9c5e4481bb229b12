import { CfnElement } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { loadEnvironment } from '../../lib/config';
import { ENVIRONMENTS, resourcesOf, synthEnvironment, Synthesized, CfnResourceJson } from './helpers';

// Egress per tier (issue #13): no security group of the cluster is all-open outbound. Security groups add up, so
// the effective egress of an instance is the union of its groups' rules: these tests list every egress rule of the
// stack (inline and separate resources), then the union per tier.

type Rule = Record<string, unknown>;

/** Security group logical id → its name on ClusterSecurityGroups (Elasticsearch, Client, ...). */
function sgNames(s: Synthesized): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [field, sg] of Object.entries(s.stack.securityGroups as unknown as Record<string, unknown>)) {
    if (!(sg instanceof ec2.SecurityGroup)) continue;
    names[s.stack.getLogicalId(sg.node.defaultChild as CfnElement)] = field.charAt(0).toUpperCase() + field.slice(1);
  }
  return names;
}

/** CDK's placeholder of a group without egress rules (matches no packet). */
const isPlaceholder = (r: Rule) => r.CidrIp === '255.255.255.255/32' && r.IpProtocol === 'icmp';

/** Every egress rule of the stack as "<from> -> <to> <protocol> <ports>"; the placeholder as "<from> -> nothing". */
function egressRules(s: Synthesized): string[] {
  const names = sgNames(s);
  const peer = (rule: Rule) => {
    if (rule.CidrIp) return String(rule.CidrIp);
    if (rule.CidrIpv6) return String(rule.CidrIpv6);
    const dst = rule.DestinationSecurityGroupId as { 'Fn::GetAtt': [string, string] };
    return names[dst['Fn::GetAtt'][0]] ?? JSON.stringify(dst);
  };
  const line = (from: string, r: Rule) =>
    isPlaceholder(r) ? `${from} -> nothing` : `${from} -> ${peer(r)} ${r.IpProtocol} ${r.FromPort}-${r.ToPort}`;
  const rules: string[] = [];
  for (const [id, r] of Object.entries(resourcesOf(s, 'AWS::EC2::SecurityGroup'))) {
    const from = names[id] ?? id;
    const inline = r.Properties?.SecurityGroupEgress as Rule[] | undefined;
    // No SecurityGroupEgress property at all means CloudFormation's default: all traffic out.
    if (inline === undefined) rules.push(`${from} -> 0.0.0.0/0 -1 all (default)`);
    for (const rule of inline ?? []) rules.push(line(from, rule));
  }
  for (const r of Object.values(resourcesOf(s, 'AWS::EC2::SecurityGroupEgress'))) {
    const id = (r.Properties!.GroupId as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    rules.push(line(names[id] ?? id, r.Properties!));
  }
  return rules.sort();
}

/** The security groups of the launch template of each instance tier, by name. */
function tierGroups(s: Synthesized): Record<string, string[]> {
  const names = sgNames(s);
  const out: Record<string, string[]> = {};
  for (const lt of Object.values(resourcesOf(s, 'AWS::EC2::LaunchTemplate')) as CfnResourceJson[]) {
    const role = lt.Metadata?.['elk-cdk:role'] as string | undefined;
    if (!role) continue;
    const data = lt.Properties!.LaunchTemplateData;
    const ids = (data.SecurityGroupIds ?? data.NetworkInterfaces[0].Groups) as Array<{ 'Fn::GetAtt': [string] }>;
    out[role] = ids.map((g) => names[g['Fn::GetAtt'][0]] ?? JSON.stringify(g)).sort();
  }
  return out;
}

/** The union of the egress rules of these groups, without the group names and placeholders. */
function effectiveEgress(rules: string[], groups: string[]): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    const [from, rest] = r.split(' -> ') as [string, string];
    if (groups.includes(from) && rest !== 'nothing') out.add(rest);
  }
  return [...out].sort();
}

const HTTPS = '0.0.0.0/0 tcp 443-443';

describe.each(ENVIRONMENTS)('egress of the cluster security groups (%s)', (env) => {
  const config = loadEnvironment(env);
  const s = synthEnvironment(env);
  const rules = egressRules(s);

  // "-> nothing" is the inline no-traffic rule: every group states its inline egress, so CloudFormation's default
  // (all out, on a group created without inline egress) never applies, whatever separate rules it has.
  test('every egress rule of the stack is one of the listed ones, none all-open', () => {
    const expected = [
      'Elasticsearch -> Elasticsearch tcp 9300-9300',
      `Elasticsearch -> ${HTTPS}`,
      'Client -> Elasticsearch tcp 9200-9200',
      'Client -> EsLoadBalancer tcp 9200-9200',
      `Client -> ${HTTPS}`,
      'EsLoadBalancer -> Elasticsearch tcp 9200-9200',
      'EsLoadBalancer -> nothing',
    ];
    for (const [tier, port] of [
      ['Kibana', 5601],
      ['Logstash', 5044],
    ] as const) {
      if (config[tier === 'Kibana' ? 'kibana' : 'logstash'].count === 0) continue;
      expected.push(`${tier} -> nothing`, `${tier}LoadBalancer -> ${tier} tcp ${port}-${port}`);
      expected.push(`${tier}LoadBalancer -> nothing`);
      // the metrics collector's TLS handshake with each instance (its certificate, issue #13)
      expected.push(`CertificateProbe -> ${tier} tcp ${port}-${port}`);
    }
    if (config.kibana.count + config.logstash.count > 0) expected.push('CertificateProbe -> nothing');
    expect(rules).toEqual(expected.sort());
    expect(rules.filter((r) => / -1 |default/.test(r))).toEqual([]);
  });

  test('each tier: what its instances may open, the union of its groups', () => {
    const tiers = tierGroups(s);
    expect(tiers.master).toEqual(['Elasticsearch']);
    expect(tiers.data).toEqual(['Elasticsearch']);
    // Elasticsearch: its peers' transport and HTTPS (AWS APIs, the issuer, the package mirrors); no 9200 out (a node
    // reaches only itself on 9200, over loopback), no SSH, SMTP or other ports.
    expect(effectiveEgress(rules, tiers.data!)).toEqual([HTTPS, 'Elasticsearch tcp 9300-9300']);
    const client = [HTTPS, 'Elasticsearch tcp 9200-9200', 'EsLoadBalancer tcp 9200-9200'];
    for (const tier of ['kibana', 'logstash'] as const) {
      if (config[tier].count === 0) {
        expect(tiers[tier]).toBeUndefined();
        continue;
      }
      expect(tiers[tier]).toEqual(['Client', tier.charAt(0).toUpperCase() + tier.slice(1)]);
      // Elasticsearch on 9200 (nodes or NLB) and HTTPS; not the transport port, not each other.
      expect(effectiveEgress(rules, tiers[tier]!)).toEqual(client);
    }
  });

  test("the collector's probe group reaches exactly Kibana's 5601 and Logstash's 5044, and only the collector joins it", () => {
    const want = [
      ...(config.kibana.count > 0 ? ['Kibana tcp 5601-5601'] : []),
      ...(config.logstash.count > 0 ? ['Logstash tcp 5044-5044'] : []),
    ];
    if (want.length === 0) {
      expect(s.stack.securityGroups.certificateProbe).toBeUndefined();
      return;
    }
    expect(effectiveEgress(rules, ['CertificateProbe'])).toEqual(want);
    // the collector: the client group's egress plus the probe's, nothing else
    const collector = Object.entries(resourcesOf(s, 'AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('MonitoringCollector'),
    )![1];
    const names = sgNames(s);
    const groups = (collector.Properties!.VpcConfig.SecurityGroupIds as Array<{ 'Fn::GetAtt': [string] }>)
      .map((g) => names[g['Fn::GetAtt'][0]]!)
      .sort();
    expect(groups).toEqual(['CertificateProbe', 'Client']);
    expect(effectiveEgress(rules, groups)).toEqual(
      [HTTPS, 'Elasticsearch tcp 9200-9200', 'EsLoadBalancer tcp 9200-9200', ...want].sort(),
    );
    // no instance tier joins the probe group
    for (const tierGroupsOf of Object.values(tierGroups(s))) expect(tierGroupsOf).not.toContain('CertificateProbe');
  });

  test('the load balancers reach only their own targets on the target port', () => {
    expect(effectiveEgress(rules, ['EsLoadBalancer'])).toEqual(['Elasticsearch tcp 9200-9200']);
    if (config.kibana.count > 0)
      expect(effectiveEgress(rules, ['KibanaLoadBalancer'])).toEqual(['Kibana tcp 5601-5601']);
    if (config.logstash.count > 0) {
      expect(effectiveEgress(rules, ['LogstashLoadBalancer'])).toEqual(['Logstash tcp 5044-5044']);
    }
  });
});
