import { Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnvironmentConfig, isProtected } from './config';
import { ClusterStack } from './cluster/ClusterStack';
import { AlerterStack } from './alerter/AlerterStack';

export interface ElkStageProps extends StageProps {
  /** The validated environment configuration. */
  readonly config: EnvironmentConfig;
}

/** One environment: `cdk deploy '<env>/*'` deploys all of its stacks. */
export class ElkStage extends Stage {
  readonly cluster: ClusterStack;
  /** ElastAlert and its rules (when alerter.enabled). */
  readonly alerter?: AlerterStack;

  constructor(scope: Construct, id: string, props: ElkStageProps) {
    const { config } = props;
    super(scope, id, {
      ...props,
      env: config.account ? { account: config.account, region: config.region } : undefined,
    });
    this.cluster = new ClusterStack(this, 'cluster', {
      config,
      stackName: `elk-${config.name}-cluster`,
      // One `cdk destroy` must not delete a cluster's data (deploy.protect; default: account-pinned environments).
      terminationProtection: isProtected(config),
    });
    if (config.alerter.enabled) {
      // Rules are compiled and validated here: a bad rule fails synth for this environment.
      this.alerter = new AlerterStack(this, 'alerter', {
        config,
        stackName: `elk-${config.name}-alerter`,
        // the private DNS name the node certificates carry (verify_certs), not the NLB's own name
        esEndpoint: this.cluster.security.serviceName,
        caCertificateParameterName: this.cluster.security.caCertificateParameterName,
        // VPC, client security group and the elastalert secret: from the cluster's SSM parameters (no export).
      });
      // Deployed after the cluster stack (its parameters, and the security bootstrap creates the user): an order only.
      this.alerter.addStackDependency(this.cluster);
    }
  }
}
