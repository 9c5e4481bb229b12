import { Duration, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { clusterReferences } from '../cluster/ClusterParameters';
import { alarmTopicArn } from '../monitoring/topic';
import { Alerter, AlerterProps } from './Alerter';

export type AlerterStackProps = StackProps &
  Omit<AlerterProps, 'vpc'> & {
    /**
     * The VPC. @default the cluster's VPC, client security group, Elasticsearch NLB group and elastalert user secret,
     * read at deploy time from
     * the cluster stack's SSM parameters (no CloudFormation export between the stacks; see ClusterParameters)
     */
    readonly vpc?: ec2.IVpc;
  };

/**
 * The alerter of one environment: ElastAlert on an Auto Scaling group of one, its rules deployed through SSM.
 * Takes plain inputs (VPC, endpoint, optional client security group, CA parameter, user secret), so it does not
 * depend on the cluster stack's internals.
 */
export class AlerterStack extends Stack {
  readonly alerter: Alerter;

  constructor(scope: Construct, id: string, props: AlerterStackProps) {
    super(scope, id, props);
    Tags.of(this).add('elk-cdk:environment', props.config.name);
    Tags.of(this).add('elk-cdk:component', 'alerter');
    let alerterProps: AlerterProps;
    if (props.vpc) {
      alerterProps = { ...props, vpc: props.vpc };
    } else {
      const cluster = clusterReferences(this, props.config);
      alerterProps = {
        ...props,
        vpc: cluster.vpc,
        clientSecurityGroup: props.clientSecurityGroup ?? cluster.clientSecurityGroup,
        credentialsSecret: props.credentialsSecret ?? cluster.elastalertSecret,
        // ElastAlert connects to the service name, an alias of the Elasticsearch NLB: its group, not the VPC
        elasticsearchSecurityGroup: props.elasticsearchSecurityGroup ?? cluster.esLoadBalancerSecurityGroup,
      };
    }
    // The heartbeat alarm notifies the environment's alarm topic (alarms.topicArn, or the cluster stack's, by name).
    const alarms = props.config.alarms;
    alerterProps = {
      ...alerterProps,
      alarmTopic: props.alarmTopic ?? sns.Topic.fromTopicArn(this, 'AlarmTopic', alarmTopicArn(this, props.config)),
      heartbeatStaleAfter: props.heartbeatStaleAfter ?? Duration.minutes(alarms.alerterStaleMinutes),
    };
    this.alerter = new Alerter(this, 'Alerter', alerterProps);
  }
}
