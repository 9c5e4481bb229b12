import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/** Why 443 is open to any IPv4 address (no VPC interface endpoints; the package mirrors are CDNs). */
const HTTPS_OUT = 'HTTPS: AWS APIs through the NAT, the issuer URL, artifacts.elastic.co, Amazon Linux repositories';

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
 * | Kibana             | 5601        | Kibana load balancer, certificate probe   |
 * | Kibana LB          | 443 (or 80) | VPC CIDR (added by KibanaService)         |
 * | Logstash           | 5044        | Logstash load balancer, certificate probe |
 * | Logstash LB        | 5044        | logstash.producers (SGs, CIDRs), else VPC CIDR |
 *
 * Clients of Elasticsearch (Kibana, Logstash, the orchestrator Lambdas, the alerter, the security bootstrap)
 * join `client`; nothing else reaches 9200.
 *
 * No group is all-open outbound; every egress rule of the stack is here too (groups add up, so one open group
 * would cancel the others' limits):
 *
 * | from               | port | to                                                              |
 * |--------------------|------|-----------------------------------------------------------------|
 * | Elasticsearch      | 9300 | Elasticsearch (transport to its peers)                          |
 * | Elasticsearch      | 443  | anywhere (AWS APIs, the issuer URL, artifacts.elastic.co, dnf)  |
 * | client             | 9200 | Elasticsearch, ES load balancer                                 |
 * | client             | 443  | anywhere (AWS APIs, artifacts.elastic.co, dnf)                  |
 * | ES load balancer   | 9200 | Elasticsearch (forwarding and health check)                     |
 * | Kibana LB          | 5601 | Kibana                                                          |
 * | Logstash LB        | 5044 | Logstash                                                        |
 * | certificate probe  | 5601 | Kibana (the collector reads the certificate of each instance)   |
 * | certificate probe  | 5044 | Logstash (idem: the server certificate of the Beats handshake)  |
 *
 * Kibana's and Logstash's own groups allow nothing out: their instances also join `client`, which is exactly
 * what they need. 443 goes anywhere because the VPC has no interface endpoints and the package mirrors are CDNs
 * without fixed addresses (docs/security.md, Network). DNS (the VPC resolver), IMDS and the time service are
 * link-local and not subject to security groups.
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
  /**
   * The metrics collector's second group (with `client`): it reaches each Kibana instance on 5601 and each Logstash
   * instance on 5044, directly (not through their load balancers: each instance's own certificate counts), only for
   * a TLS handshake. It holds no client certificate, so the Beats input refuses it; Kibana asks for a login.
   * Present when Kibana or Logstash is.
   */
  readonly certificateProbe?: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: ClusterSecurityGroupsProps) {
    super(scope, id);
    const sg = (name: string, description: string) =>
      new ec2.SecurityGroup(this, name, { vpc: props.vpc, description, allowAllOutbound: false });
    this.elasticsearch = sg('Elasticsearch', 'Elasticsearch nodes: 9300 between nodes, 9200 from clients');
    this.client = sg('Client', 'Clients of Elasticsearch (members may reach 9200)');
    this.esLoadBalancer = sg('EsLoadBalancer', 'Internal NLB in front of the Elasticsearch data nodes');

    this.elasticsearch.addIngressRule(this.elasticsearch, ec2.Port.tcp(9300), 'transport between Elasticsearch nodes');
    this.elasticsearch.addIngressRule(this.client, ec2.Port.tcp(9200), 'HTTP from Elasticsearch clients');
    this.elasticsearch.addIngressRule(this.esLoadBalancer, ec2.Port.tcp(9200), 'HTTP from the Elasticsearch NLB');
    this.esLoadBalancer.addIngressRule(this.client, ec2.Port.tcp(9200), 'HTTP (TLS passthrough) from clients');

    this.elasticsearch.addEgressRule(this.elasticsearch, ec2.Port.tcp(9300), 'transport to the other nodes');
    this.elasticsearch.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), HTTPS_OUT);
    this.client.addEgressRule(this.elasticsearch, ec2.Port.tcp(9200), 'Elasticsearch nodes');
    this.client.addEgressRule(this.esLoadBalancer, ec2.Port.tcp(9200), 'Elasticsearch NLB');
    this.client.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), HTTPS_OUT);
    this.esLoadBalancer.addEgressRule(this.elasticsearch, ec2.Port.tcp(9200), 'data nodes (traffic, health check)');
    keepEgressExplicit(this.esLoadBalancer);
    if (props.kibana) {
      this.kibana = sg('Kibana', 'Kibana nodes: 5601 from the Kibana load balancer');
      this.kibanaLoadBalancer = sg('KibanaLoadBalancer', 'Internal ALB in front of Kibana');
      this.kibana.addIngressRule(this.kibanaLoadBalancer, ec2.Port.tcp(5601), 'Kibana from its load balancer');
      this.kibanaLoadBalancer.addEgressRule(this.kibana, ec2.Port.tcp(5601), 'Kibana (traffic, health check)');
      keepEgressExplicit(this.kibanaLoadBalancer);
    }
    if (props.logstash) {
      this.logstash = sg('Logstash', 'Logstash nodes: Beats 5044 from the Logstash load balancer');
      this.logstashLoadBalancer = sg('LogstashLoadBalancer', 'Internal NLB in front of Logstash (Beats 5044)');
      this.logstash.addIngressRule(this.logstashLoadBalancer, ec2.Port.tcp(5044), 'Beats from the Logstash NLB');
      this.logstashLoadBalancer.addEgressRule(this.logstash, ec2.Port.tcp(5044), 'Logstash (Beats, health check)');
      keepEgressExplicit(this.logstashLoadBalancer);
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
    if (this.kibana || this.logstash) {
      const probe = sg('CertificateProbe', 'Metrics collector: TLS handshakes with each Kibana and Logstash instance');
      this.certificateProbe = probe;
      for (const [group, port, what] of [
        [this.kibana, 5601, 'Kibana'],
        [this.logstash, 5044, 'Logstash (Beats)'],
      ] as const) {
        if (!group) continue;
        group.addIngressRule(probe, ec2.Port.tcp(port), `certificate probe of the metrics collector`);
        probe.addEgressRule(group, ec2.Port.tcp(port), `${what}: the certificate each instance presents`);
      }
      keepEgressExplicit(probe);
    }
  }
}

/**
 * A group whose egress rules all name another group has them as separate `AWS::EC2::SecurityGroupEgress` resources,
 * and CDK then leaves the group's own `SecurityGroupEgress` empty: the template would rely on CloudFormation removing
 * the default all-open rule (on create) or the previous all-open rule (on update, from `allowAllOutbound: true`).
 * An inline rule that matches no packet (CDK's own placeholder: ICMP type 252 code 86 to 255.255.255.255/32) makes the
 * group's inline egress explicit. Call it after the group's last egress rule: CDK drops this rule when another is added.
 */
function keepEgressExplicit(group: ec2.SecurityGroup): void {
  group.addEgressRule(ec2.Peer.ipv4('255.255.255.255/32'), ec2.Port.icmpTypeAndCode(252, 86), 'Disallow all traffic');
}
