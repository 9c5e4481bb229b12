import { synthEnvironment } from './helpers';

/**
 * The network of a deployed cluster is immutable (docs/cluster.md, "Changes refused at synth"): a new logical id of
 * the VPC, a subnet, a security group or a load balancer replaces it, which replaces every node without a drain or
 * splits the cluster. A renamed construct must fail here, not in production.
 */
describe('logical ids of the network are part of the contract', () => {
  const s = synthEnvironment('production');
  const ids = (type: string) =>
    Object.entries(s.json.Resources)
      .filter(([, r]) => r.Type === type)
      .map(([id]) => id)
      .sort();

  test.each([
    ['AWS::EC2::VPC', ['Vpc8378EB38']],
    [
      'AWS::EC2::Subnet',
      [
        'VpcprivateSubnet1SubnetCEAD3716',
        'VpcprivateSubnet2Subnet2DE7549C',
        'VpcprivateSubnet3SubnetA5AC68D9',
        'VpcpublicSubnet1Subnet2BB74ED7',
        'VpcpublicSubnet2SubnetE34B022A',
        'VpcpublicSubnet3SubnetDFEF064A',
      ],
    ],
    [
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      ['EsLoadBalancerNlbBE1BA0A1', 'KibanaAlbBF4904F0', 'LogstashNlb1E680EDE'],
    ],
    ['AWS::Route53::HostedZone', ['EsLoadBalancerZone783CA97E']],
  ])('%s', (type, expected) => {
    expect(ids(type)).toEqual(expected);
  });

  test('AWS::EC2::SecurityGroup of the cluster (the Lambdas join the client group; the metrics collector also joins the certificate probe group, which reaches only Kibana and Logstash)', () => {
    expect(ids('AWS::EC2::SecurityGroup').filter((id) => id.startsWith('SecurityGroups'))).toEqual([
      'SecurityGroupsCertificateProbeCAA70F5A',
      'SecurityGroupsClientBC1399B6',
      'SecurityGroupsElasticsearch4895B545',
      'SecurityGroupsEsLoadBalancerD198DF6B',
      'SecurityGroupsKibana2A24DEE2',
      'SecurityGroupsKibanaLoadBalancer256986DA',
      'SecurityGroupsLogstash528CA43C',
      'SecurityGroupsLogstashLoadBalancer2B3D673F',
    ]);
  });
});
