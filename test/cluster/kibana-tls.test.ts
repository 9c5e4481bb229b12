import { loadEnvironment } from '../../lib/config';
import { CfnResourceJson, ENVIRONMENTS, logicalId, resourcesOf, Synthesized, synthEnvironment } from './helpers';

// TLS between the Kibana ALB and Kibana, and a health check that needs no anonymous full status (issue #13).

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const groupRef = (ref: Json): string => JSON.stringify(ref?.['Fn::GetAtt']?.[0] ?? ref);

/**
 * Every source that may open a TCP connection to `port` on an instance with the given security groups (logical
 * ids): inline and separate ingress rules of those groups whose protocol and port range cover the port, as
 * `sg:<logical id>` or `cidr:<block>`.
 */
function sourcesReaching(resources: Record<string, CfnResourceJson>, groups: string[], port: number): string[] {
  const covers = (r: Json) =>
    String(r.IpProtocol) === '-1' || (String(r.IpProtocol) === 'tcp' && r.FromPort <= port && port <= r.ToPort);
  const source = (r: Json) =>
    (r.CidrIp ?? r.CidrIpv6)
      ? `cidr:${r.CidrIp ?? r.CidrIpv6}`
      : r.SourcePrefixListId
        ? `prefix-list:${JSON.stringify(r.SourcePrefixListId)}`
        : `sg:${groupRef(r.SourceSecurityGroupId).replace(/"/g, '')}`;
  const found: string[] = [];
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::EC2::SecurityGroup' && groups.includes(id)) {
      for (const rule of (r.Properties?.SecurityGroupIngress ?? []) as Json[])
        if (covers(rule)) found.push(source(rule));
    }
    if (
      r.Type === 'AWS::EC2::SecurityGroupIngress' &&
      groups.includes(groupRef(r.Properties!.GroupId).replace(/"/g, ''))
    ) {
      if (covers(r.Properties!)) found.push(source(r.Properties!));
    }
  }
  return found.sort();
}

/** The logical ids of the security groups Kibana's launch template gives its instances. */
function kibanaInstanceGroups(s: Synthesized): string[] {
  const lt = s.json.Resources[logicalId(s.stack, s.stack.kibana!.launchTemplate)]!;
  const data = lt.Properties!.LaunchTemplateData as Json;
  const refs: Json[] = data.SecurityGroupIds ?? (data.NetworkInterfaces as Json[]).flatMap((n) => n.Groups ?? []);
  return refs.map((r) => groupRef(r).replace(/"/g, ''));
}

describe.each(ENVIRONMENTS.filter((e) => loadEnvironment(e).kibana.count > 0))('Kibana behind its ALB (%s)', (env) => {
  const s = synthEnvironment(env);
  const kibana = s.stack.kibana!;
  const [tg, ...more] = Object.values(resourcesOf(s, 'AWS::ElasticLoadBalancingV2::TargetGroup')).filter(
    (r) => r.Properties!.Port === 5601,
  );

  test('the target group speaks HTTPS to 5601 and checks /api/status over HTTPS, 200 only', () => {
    expect(more).toEqual([]);
    expect(tg!.Properties).toMatchObject({
      Protocol: 'HTTPS',
      Port: 5601,
      HealthCheckProtocol: 'HTTPS',
      HealthCheckPath: '/api/status',
      // not 401: with status.allowAnonymous false Kibana 8.9+ answers 200 (available) or 503, never 401
      Matcher: { HttpCode: '200' },
    });
  });

  // The ALB accepts any certificate from a target (AWS: "The load balancer does not validate these certificates",
  // Application Load Balancer guide, Target groups, Routing configuration), so the TLS hop encrypts but does not
  // prove to the ALB that it talks to Kibana: what keeps another host from being Kibana's port is this.
  test("only the ALB's group and the collector's probe group reach Kibana's 5601, on every group of Kibana's instances", () => {
    const groups = kibanaInstanceGroups(s);
    expect(groups.length).toBeGreaterThanOrEqual(1);
    const alb = s.json.Resources[logicalId(s.stack, kibana.loadBalancer)]!;
    const albGroups = (alb.Properties!.SecurityGroups as Json[]).map((r) => `sg:${groupRef(r).replace(/"/g, '')}`);
    expect(albGroups).toHaveLength(1);
    const probe = `sg:${logicalId(s.stack, s.stack.securityGroups.certificateProbe!)}`;
    expect(sourcesReaching(s.json.Resources, groups, 5601)).toEqual([...albGroups, probe].sort());
    // and those groups are the ALB's and the metrics collector's alone: no instance of the stack joins them, and no
    // other function (the collector reads each instance's certificate, issue #13; it holds no Kibana login)
    for (const lt of Object.values(resourcesOf(s, 'AWS::EC2::LaunchTemplate'))) {
      for (const g of [...albGroups, probe]) {
        expect(JSON.stringify(lt.Properties!.LaunchTemplateData)).not.toContain(g.slice(3));
      }
    }
    const joiners = Object.entries(resourcesOf(s, 'AWS::Lambda::Function'))
      .filter(([, f]) => JSON.stringify(f.Properties!.VpcConfig ?? {}).includes(probe.slice(3)))
      .map(([id]) => id);
    expect(joiners).toEqual([expect.stringMatching(/^MonitoringCollector/)]);
  });

  test('the 5601 check sees a rule that opens Kibana wider (negative control)', () => {
    const groups = kibanaInstanceGroups(s);
    const widened: Record<string, CfnResourceJson> = {
      ...s.json.Resources,
      Extra: {
        Type: 'AWS::EC2::SecurityGroupIngress',
        Properties: { GroupId: { 'Fn::GetAtt': [groups.at(-1), 'GroupId'] }, IpProtocol: '-1', CidrIp: '10.0.0.0/8' },
      },
    };
    expect(sourcesReaching(widened, groups, 5601)).toContain('cidr:10.0.0.0/8');
    const inline = structuredClone(s.json.Resources);
    (inline[groups[0]!]!.Properties!.SecurityGroupIngress ??= []).push({
      IpProtocol: 'tcp',
      FromPort: 5000,
      ToPort: 6000,
      SourceSecurityGroupId: { 'Fn::GetAtt': ['SomeOtherGroup', 'GroupId'] },
    });
    expect(sourcesReaching(inline, groups, 5601)).toContain('sg:SomeOtherGroup');
  });

  test("Kibana's group is in the issuer policy with its role and kibana.<env>.elk.internal", () => {
    const [param] = Object.values(resourcesOf(s, 'AWS::SSM::Parameter')).filter(
      (r) => r.Properties!.Name === `/elk/${env}/security/issuer-policy`,
    );
    const value = JSON.stringify(param!.Properties!.Value);
    expect(value).toContain(logicalId(s.stack, kibana.autoScalingGroup));
    expect(value).toContain(logicalId(s.stack, kibana.instanceRole));
    expect(value).toContain(`"profile\\":\\"kibana\\"`);
    expect(value).toContain(`kibana.${env}.elk.internal`);
  });

  test('its user data carries the issuer URL and the service name (kibana-boot.sh installs the certificate)', () => {
    const lt = s.json.Resources[logicalId(s.stack, kibana.launchTemplate)]!;
    const userData = JSON.stringify(lt.Properties!.LaunchTemplateData.UserData);
    expect(userData).toContain('ELK_CERT_ISSUER_URL');
    expect(userData).toContain(`ELK_SERVICE_NAME='kibana.${env}.elk.internal'`);
  });
});
