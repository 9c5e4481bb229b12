import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AlerterStack } from '../../lib/alerter/AlerterStack';
import { loadEnvironment } from '../../lib/config';
import { testApp } from '../helpers/app';

// Issue #13: an ElastAlert image mirrored into the environment's ECR repository. The instance role gets exactly the
// ECR login (GetAuthorizationToken, which has no resource-level permission) and the two pull actions on that one
// repository; an image on a public registry gets no ECR permission at all.

const staging = loadEnvironment('staging');
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const ECR_IMAGE = `111111111111.dkr.ecr.eu-west-1.amazonaws.com/mirror/elastalert2:2.31.0@${DIGEST}`;

function synth(image: string) {
  const app = testApp();
  const env = { account: staging.account, region: staging.region };
  const net = new Stack(app, 'Net', { env });
  const vpc = new ec2.Vpc(net, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const stack = new AlerterStack(app, 'Alerter', {
    env,
    config: { ...staging, alerter: { ...staging.alerter, image } },
    vpc,
    esEndpoint: 'es.staging',
  });
  return stack;
}

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };
function ecrStatements(stack: Stack): Statement[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
    .filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('ecr:')))
    .map(({ Action, Resource }) => ({ Action, Resource }));
}

describe('pulling the alerter image from ECR', () => {
  test('an ECR image: exactly the login on * and the two pull actions on that repository', () => {
    expect(ecrStatements(synth(ECR_IMAGE))).toEqual([
      { Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      {
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        Resource: 'arn:aws:ecr:eu-west-1:111111111111:repository/mirror/elastalert2',
      },
    ]);
  });

  test.each([
    ['Docker Hub', 'jertel/elastalert2:2.31.0'],
    ['ECR Public', `public.ecr.aws/jertel/elastalert2:2.31.0@${DIGEST}`],
  ])('an image on %s: no ECR permission', (_what, image) => {
    expect(ecrStatements(synth(image))).toEqual([]);
  });

  test('the stack with an ECR image is cdk-nag clean', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(synth(ECR_IMAGE));
    expect(report.violations.map((v) => `${v.ruleName} ${JSON.stringify(v)}`.slice(0, 400))).toEqual([]);
  });
});
