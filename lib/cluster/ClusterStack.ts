import { Stack, StackProps, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnvironmentConfig } from '../config';

export interface ClusterStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/** The Elasticsearch cluster, Kibana and Logstash of one environment. (Skeleton; see issue 2.) */
export class ClusterStack extends Stack {
  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    Tags.of(this).add('elk-cdk:environment', props.config.name);
    Tags.of(this).add('elk-cdk:component', 'cluster');
  }
}
