import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** The port ElastAlert reaches Elasticsearch on. */
export const ELASTICSEARCH_PORT = 9200;

export interface AlerterEgress {
  /**
   * The security group of what ElastAlert connects to on 9200: the Elasticsearch NLB (the service name is its alias).
   * The NLB has a security group, so the packets leave the alerter for the NLB's network interfaces, members of that
   * group; the NLB admits the cluster's client group (which the alerter joins), and the nodes admit the NLB's group
   * whether or not the client IP is preserved. @default none: no 9200 rule on this group
   */
  readonly elasticsearch?: ec2.ISecurityGroup;
  /** Further TCP ports open to any IPv4 destination (`alerter.egressPorts`, e.g. 587 for the email alerter). */
  readonly extraPorts?: readonly number[];
}

/**
 * The egress of the alerter instance, instead of all-open: HTTPS anywhere (the AWS APIs the instance uses: SSM,
 * S3, Secrets Manager, CloudWatch, CloudFormation; the image registry; HTTPS alert targets), 9200 to the
 * Elasticsearch load balancer's group only (not to every host of the VPC), and the ports the environment opens on
 * purpose. DNS (the VPC resolver), IMDS and the time service are link-local and not subject to security groups.
 * No ingress.
 */
export function restrictAlerterEgress(group: ec2.SecurityGroup, egress: AlerterEgress): void {
  group.addEgressRule(
    ec2.Peer.anyIpv4(),
    ec2.Port.tcp(443),
    'HTTPS: AWS APIs, the image registry and HTTPS alert targets',
  );
  if (egress.elasticsearch) {
    group.addEgressRule(
      egress.elasticsearch,
      ec2.Port.tcp(ELASTICSEARCH_PORT),
      'Elasticsearch through its load balancer (the service name)',
    );
  }
  for (const port of [...new Set(egress.extraPorts ?? [])].sort((a, b) => a - b)) {
    if (port === 443 || port === ELASTICSEARCH_PORT) continue;
    group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(port), `alerter.egressPorts: ${port}`);
  }
}

/** Alias of the customer-managed key of an environment's alerter parameters. */
export function alerterKeyAlias(environment: string): string {
  return `alias/elk/${environment}/alerter`;
}

/**
 * The customer-managed KMS key the environment's alerter SecureString parameters are encrypted with
 * (`aws ssm put-parameter --type SecureString --key-id alias/elk/<env>/alerter ...`). The alerter's instance role
 * decrypts with this key only (through SSM, for its own parameters); a parameter under the AWS-managed `aws/ssm`
 * key, which every principal of the account with SSM access can use, is not readable by the alerter. Retained on
 * stack deletion and replacement (the parameters outlive the stack), not after a rolled-back first create.
 */
export function alerterParameterKey(scope: Construct, id: string, environment: string): kms.Key {
  return new kms.Key(scope, id, {
    alias: alerterKeyAlias(environment),
    description: `elk-cdk ${environment}: SecureString parameters of the alerter (/elk/${environment}/alerter/)`,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
  });
}
