import { App, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ClusterSecurity } from '../../../lib/security/ClusterSecurity';
import { testApp } from '../../helpers/app';

export interface SecurityTestStack {
  readonly app: App;
  readonly stack: Stack;
  readonly security: ClusterSecurity;
  readonly roles: { node: iam.Role; orchestrator: iam.Role; alerter: iam.Role; logstash: iam.Role; kibana: iam.Role };
}

/**
 * A small stack holding ClusterSecurity the way ClusterStack uses it: a VPC, the bootstrap, and one role per
 * consumer granted through the helpers.
 */
export function securityTestStack(options: { bundle?: boolean; outdir?: string } = {}): SecurityTestStack {
  const app = testApp(options);
  const stack = new Stack(app, 'SecurityTest');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  Validations.of(vpc).acknowledge({
    id: 'AwsSolutions-VPC7',
    reason: "Test fixture VPC; the real VPC is ClusterStack's.",
  });
  const sg = new ec2.SecurityGroup(stack, 'BootstrapSg', { vpc, allowAllOutbound: true });
  const security = new ClusterSecurity(stack, 'Security', { environmentName: 'test' });
  security.bootstrap(stack, {
    vpc,
    securityGroups: [sg],
    endpoint: 'https://elasticsearch.test.elk.internal:9200',
  });
  const role = (id: string, service: string) =>
    new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal(service) });
  const roles = {
    node: role('NodeRole', 'ec2.amazonaws.com'),
    orchestrator: role('OrchestratorRole', 'lambda.amazonaws.com'),
    alerter: role('AlerterRole', 'ec2.amazonaws.com'),
    logstash: role('LogstashRole', 'ec2.amazonaws.com'),
    kibana: role('KibanaRole', 'ec2.amazonaws.com'),
  };
  security.grantNodeBootstrapPassword(roles.node);
  security.allowNodeCertificates({
    profile: 'elasticsearch',
    group: autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'NodeGroup', 'test-node-group'),
    role: roles.node,
    dnsNames: [security.serviceName],
  });
  security.grantClient('orchestrator', roles.orchestrator);
  security.grantClient('elastalert', roles.alerter);
  security.grantClient('logstash_writer', roles.logstash);
  security.grantClient('kibana_system', roles.kibana);
  return { app, stack, security, roles };
}
