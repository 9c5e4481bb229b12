import * as path from 'path';
import { Arn, Duration, Lazy, Resource, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import type { IssuerGroup } from '../../lambda/cert-issuer/contract';
import { securityLambda } from './functions';

const LAMBDA_DIR = path.join(__dirname, '..', '..', 'lambda');

export interface CertificateIssuerProps {
  readonly environmentName: string;
  /** Gives the issuer function read access to the CA secret (and nobody else gets it through this construct). */
  readonly grantCaRead: (grantee: iam.IGrantable) => void;
  readonly caSecretArn: string;
  /** Validity of an issued node certificate; nodes renew before it ends. @default 7 days */
  readonly validityDays?: number;
}

export interface AllowGroupProps {
  /** What the group is, e.g. `elasticsearch`, `logstash` (logged by the issuer). */
  readonly profile: string;
  readonly group: autoscaling.IAutoScalingGroup;
  /** The group's instance role: only sessions of this role, on instances of this group, are served. */
  readonly role: iam.IRole;
  /** Service names an instance may carry besides its own private DNS name, instance id and IP. */
  readonly dnsNames: readonly string[];
}

/**
 * The node-certificate issuer of one environment: a Lambda behind a function URL with AWS_IAM auth. A node signs its
 * request with its instance role; the issuer checks the session (EC2 sets its name to the instance id), the
 * instance's Auto Scaling group and role against the policy parameter, and the requested SANs against the
 * instance's own private IP and DNS name plus its group's service names, then signs a short-lived certificate.
 * Instance roles hold no read on the CA key.
 *
 * The group names live in an SSM parameter the function reads at run time (not its environment): the launch
 * templates reference the function URL, and the groups reference the launch templates.
 */
export class CertificateIssuer extends Construct {
  readonly function: NodejsFunction;
  readonly functionUrl: lambda.FunctionUrl;
  /** `https://<id>.lambda-url.<region>.on.aws/` */
  readonly url: string;
  readonly policyParameterName: string;
  readonly validityDays: number;
  private readonly groups: IssuerGroup[] = [];

  constructor(scope: Construct, id: string, props: CertificateIssuerProps) {
    super(scope, id);
    const env = props.environmentName;
    this.validityDays = props.validityDays ?? 7;
    if (!Number.isInteger(this.validityDays) || this.validityDays < 1 || this.validityDays > 90) {
      throw new Error(`CertificateIssuer: validityDays ${this.validityDays} must be a whole number from 1 to 90.`);
    }
    this.policyParameterName = `/elk/${env}/security/issuer-policy`;
    const stack = Stack.of(this);
    new ssm.StringParameter(this, 'Policy', {
      parameterName: this.policyParameterName,
      description: `elk-cdk ${env}: which Auto Scaling groups may get node certificates, with which names`,
      stringValue: Lazy.string({
        produce: () => stack.toJsonString({ environment: env, validityDays: this.validityDays, groups: this.groups }),
      }),
    });

    this.function = securityLambda(this, 'Function', {
      entry: path.join(LAMBDA_DIR, 'cert-issuer', 'index.ts'),
      handler: 'handler',
      description: `elk-cdk ${env}: issues short-lived node certificates to this environment's instances`,
      timeout: Duration.seconds(20),
      environment: { CA_SECRET_ARN: props.caSecretArn, POLICY_PARAMETER_NAME: this.policyParameterName },
    });
    props.grantCaRead(this.function);
    // By name, not by reference: the parameter names the groups, whose launch templates name this function.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [
          Arn.format({ service: 'ssm', resource: 'parameter', resourceName: this.policyParameterName.slice(1) }, stack),
        ],
      }),
    );
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }));
    Validations.of(this.function.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeInstances (the caller instance: state, IP, DNS name, group tag) has no resource-level permissions.',
    });
    this.functionUrl = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    this.url = this.functionUrl.url;
  }

  /**
   * Lets the instances of `group` ask for certificates, and grants its role the function URL invocation: on the
   * role's own policy when this app owns the role, else (a producer's role, imported by ARN; CDK would silently drop
   * a grant to it) on the function's resource policy, which needs the role to exist when it is deployed.
   */
  allowGroup(props: AllowGroupProps): void {
    this.groups.push({
      autoScalingGroup: props.group.autoScalingGroupName,
      profile: props.profile,
      roleArn: props.role.roleArn,
      dnsNames: [...props.dnsNames],
    });
    if (Resource.isOwnedResource(props.role)) {
      this.function.grantInvokeUrl(props.role);
      return;
    }
    const principal = new iam.ArnPrincipal(props.role.roleArn);
    const n = this.groups.length;
    this.function.addPermission(`Url${n}`, {
      principal,
      action: 'lambda:InvokeFunctionUrl',
      functionUrlAuthType: lambda.FunctionUrlAuthType.AWS_IAM,
    });
    this.function.addPermission(`Invoke${n}`, {
      principal,
      action: 'lambda:InvokeFunction',
      invokedViaFunctionUrl: true,
    });
  }
}
