import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface ClusterSecurityGroupsProps {
  readonly vpc: ec2.IVpc;
  /** CIDR allowed to reach Logstash's Beats port and Kibana's load balancer (the VPC's own CIDR). */
  readonly vpcCidr: string;
  /** Create Kibana's groups (kibana.count > 0). */
  readonly kibana: boolean;
  /** Create Logstash's group (logstash.count > 0). */
  readonly logstash: boolean;
  /**
   * Who may reach the Logstash load balancer on 5044 (logstash.producers): security groups of the producers and
   * CIDRs. @default the VPC CIDR
   */
  readonly beatsProducers?: { readonly securityGroupIds: readonly string[]; readonly cidrs: readonly string[] };
}

/**
 * Every security group of the cluster, and every ingress rule between them. Nothing else in the stack adds an
 * ingress rule, so this file is the complete list (asserted by the tests):
 *
 * | to                 | port        | from                                      |
 * |--------------------|-------------|-------------------------------------------|
 * | Elasticsearch      | 9300        | Elasticsearch (node to node)              |
 * | Elasticsearch      | 9200        | clients (client group), ES load balancer  |
 * | ES load balancer   | 9200        | clients (client group)                    |
 * | Kibana             | 5601        | Kibana load balancer                      |
 * | Kibana LB          | 443 (or 80) | VPC CIDR (added by KibanaService)         |
 * | Logstash           | 5044        | Logstash load balancer                    |
 * | Logstash LB        | 5044        | logstash.producers (SGs, CIDRs), else VPC CIDR |
 *
 * Clients of Elasticsearch (Kibana, Logstash, the orchestrator Lambdas, the alerter, the security bootstrap)
 * join `client`; nothing else reaches 9200. `client` allows outbound only 443 (anywhere) and 9200 (the VPC): the
 * groups of a member add up, so an all-open client group would cancel the alerter's restricted egress.
 */
export class ClusterSecurityGroups extends Construct {
  /** Elasticsearch nodes (master and data). */
  readonly elasticsearch: ec2.SecurityGroup;
  /** Join this group to reach Elasticsearch on 9200 (directly or through the load balancer). */
  readonly client: ec2.SecurityGroup;
  /** The internal Network Load Balancer in front of the data nodes. */
  readonly esLoadBalancer: ec2.SecurityGroup;
  readonly kibana?: ec2.SecurityGroup;
  readonly kibanaLoadBalancer?: ec2.SecurityGroup;
  readonly logstash?: ec2.SecurityGroup;
  /**
   * The internal NLB in front of Logstash. An NLB gets security groups only at creation: it has one from the start,
   * so producers can later be narrowed (a producer group instead of the VPC CIDR) without replacing the NLB and its
   * DNS name. The nodes admit only the NLB: no producer reaches a node directly, client IPs preserved or not.
   */
  readonly logstashLoadBalancer?: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: ClusterSecurityGroupsProps) {
    super(scope, id);
    const sg = (name: string, description: string) =>
      new ec2.SecurityGroup(this, name, { vpc: props.vpc, description, allowAllOutbound: true });
    this.elasticsearch = sg('Elasticsearch', 'Elasticsearch nodes: 9300 between nodes, 9200 from clients');
    // Not all-open: security groups add up, so an open client group would undo the egress limits of its members
    // (the alerter's). Its members need HTTPS (AWS APIs through the NAT) and Elasticsearch in the VPC; members with
    // more needs (package repositories on the nodes) get them from their own group.
    this.client = new ec2.SecurityGroup(this, 'Client', {
      vpc: props.vpc,
      description: 'Clients of Elasticsearch (members may reach 9200)',
      allowAllOutbound: false,
    });
    this.client.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS: AWS APIs');
    this.client.addEgressRule(ec2.Peer.ipv4(props.vpcCidr), ec2.Port.tcp(9200), 'Elasticsearch in the VPC');
    this.esLoadBalancer = sg('EsLoadBalancer', 'Internal NLB in front of the Elasticsearch data nodes');

    this.elasticsearch.addIngressRule(this.elasticsearch, ec2.Port.tcp(9300), 'transport between Elasticsearch nodes');
    this.elasticsearch.addIngressRule(this.client, ec2.Port.tcp(9200), 'HTTP from Elasticsearch clients');
    this.elasticsearch.addIngressRule(this.esLoadBalancer, ec2.Port.tcp(9200), 'HTTP from the Elasticsearch NLB');
    this.esLoadBalancer.addIngressRule(this.client, ec2.Port.tcp(9200), 'HTTP (TLS passthrough) from clients');
    if (props.kibana) {
      this.kibana = sg('Kibana', 'Kibana nodes: 5601 from the Kibana load balancer');
      this.kibanaLoadBalancer = sg('KibanaLoadBalancer', 'Internal ALB in front of Kibana');
      this.kibana.addIngressRule(this.kibanaLoadBalancer, ec2.Port.tcp(5601), 'Kibana from its load balancer');
    }
    if (props.logstash) {
      this.logstash = sg('Logstash', 'Logstash nodes: Beats 5044 from the Logstash load balancer');
      this.logstashLoadBalancer = sg('LogstashLoadBalancer', 'Internal NLB in front of Logstash (Beats 5044)');
      this.logstash.addIngressRule(this.logstashLoadBalancer, ec2.Port.tcp(5044), 'Beats from the Logstash NLB');
      const producers = props.beatsProducers;
      const peers =
        producers && producers.securityGroupIds.length + producers.cidrs.length > 0
          ? [
              ...producers.securityGroupIds.map((id, i) => ({
                peer: ec2.SecurityGroup.fromSecurityGroupId(this, `Producer${i}`, id, { mutable: false }),
                what: `producer group ${id}`,
              })),
              ...producers.cidrs.map((cidr) => ({ peer: ec2.Peer.ipv4(cidr), what: `producers in ${cidr}` })),
            ]
          : [{ peer: ec2.Peer.ipv4(props.vpcCidr), what: 'producers in the VPC' }];
      for (const { peer, what } of peers) {
        this.logstashLoadBalancer.addIngressRule(peer, ec2.Port.tcp(5044), `Beats from ${what}`);
      }
    }
  }
}
