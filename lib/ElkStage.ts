import { Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnvironmentConfig } from './config';
import { ClusterStack } from './cluster/ClusterStack';

export interface ElkStageProps extends StageProps {
  /** The validated environment configuration. */
  readonly config: EnvironmentConfig;
}

/** One environment: `cdk deploy '<env>/*'` deploys all of its stacks. */
export class ElkStage extends Stage {
  readonly cluster: ClusterStack;

  constructor(scope: Construct, id: string, props: ElkStageProps) {
    const { config } = props;
    super(scope, id, {
      ...props,
      env: config.account ? { account: config.account, region: config.region } : undefined,
    });
    this.cluster = new ClusterStack(this, 'cluster', { config, stackName: `elk-${config.name}-cluster` });
  }
}
