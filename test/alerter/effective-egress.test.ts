import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { FIXED_VERSION } from '../cluster/helpers';
import { testApp } from '../helpers/app';

// Security groups add up: the alerter's own restricted egress means nothing if another group of its instance is
// all-open. On the real app (staging), every group the alerter's launch template attaches (its own, and the cluster's
// client group, read from SSM) allows only HTTPS and Elasticsearch out.

type Egress = { IpProtocol: string; CidrIp?: unknown; FromPort?: number; ToPort?: number };
type Resource = { Type: string; Properties?: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

const [stage] = buildApp(testApp(), { environments: ['staging'], version: FIXED_VERSION });
const cluster = (Template.fromStack(stage!.cluster).toJSON() as { Resources: Record<string, Resource> }).Resources;
const alerterJson = Template.fromStack(stage!.alerter!).toJSON() as {
  Resources: Record<string, Resource>;
  Parameters: Record<string, { Default?: string }>;
};
const ports = (rules: Egress[]) => rules.map((r) => `${r.IpProtocol}/${r.FromPort}-${r.ToPort}`).sort();

describe('effective egress of the alerter instance (staging)', () => {
  const lt = Object.values(alerterJson.Resources).find((r) => r.Type === 'AWS::EC2::LaunchTemplate')!;
  const groups = lt.Properties!.LaunchTemplateData.SecurityGroupIds as unknown[];

  test('two groups: its own and the cluster client group (by SSM parameter)', () => {
    expect(groups).toHaveLength(2);
    const param = groups.map((g) => JSON.stringify(g)).find((g) => !g.includes('GroupId'))!;
    const name = alerterJson.Parameters[JSON.parse(param).Ref as string]!.Default;
    expect(name).toBe('/elk/staging/cluster/client-security-group-id');
  });

  test("its own group: 443 anywhere and 9200 to the Elasticsearch NLB's group only, no CIDR on 9200", () => {
    const [ownId, own] = Object.entries(alerterJson.Resources).find(([, r]) => r.Type === 'AWS::EC2::SecurityGroup')!;
    const egress = own.Properties!.SecurityGroupEgress as Egress[];
    expect(ports(egress)).toEqual(['tcp/443-443']);
    const separate = Object.values(alerterJson.Resources)
      .filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress')
      .map((r) => r.Properties!);
    expect(separate).toHaveLength(1);
    expect(separate[0]).toMatchObject({ GroupId: { 'Fn::GetAtt': [ownId, 'GroupId'] }, FromPort: 9200, ToPort: 9200 });
    expect(separate[0]!.CidrIp).toBeUndefined();
    // the group id comes from the cluster's parameter, and the cluster writes the NLB's group into it
    const name = alerterJson.Parameters[separate[0]!.DestinationSecurityGroupId.Ref as string]!.Default;
    expect(name).toBe('/elk/staging/cluster/es-load-balancer-security-group-id');
    const written = Object.values(cluster).find(
      (r) => r.Type === 'AWS::SSM::Parameter' && r.Properties!.Name === name,
    )!;
    expect(written.Properties!.Value).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^SecurityGroupsEsLoadBalancer/), 'GroupId'],
    });
  });

  test('the cluster client group: 443 anywhere and 9200 to the Elasticsearch groups only, nothing all-open', () => {
    const [clientId, client] = Object.entries(cluster).find(
      ([id, r]) => r.Type === 'AWS::EC2::SecurityGroup' && id.startsWith('SecurityGroupsClient'),
    )!;
    const inline = client.Properties!.SecurityGroupEgress as Egress[];
    expect(ports(inline)).toEqual(['tcp/443-443']);
    expect(inline.some((r) => r.IpProtocol === '-1')).toBe(false);
    // the separate egress resources of the client group: 9200 to the nodes' and the NLB's groups, nothing else
    const separate = Object.values(cluster)
      .filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress')
      .map((r) => r.Properties!)
      .filter((p) => JSON.stringify(p.GroupId).includes(clientId));
    expect(ports(separate as Egress[])).toEqual(['tcp/9200-9200', 'tcp/9200-9200']);
    expect(separate.map((p) => p.DestinationSecurityGroupId['Fn::GetAtt'][0]).sort()).toEqual([
      expect.stringMatching(/^SecurityGroupsElasticsearch/),
      expect.stringMatching(/^SecurityGroupsEsLoadBalancer/),
    ]);
  });
});
