import { Stack, StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Alerter, AlerterProps } from './Alerter';

export type AlerterStackProps = StackProps & AlerterProps;

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
    this.alerter = new Alerter(this, 'Alerter', props);
  }
}
