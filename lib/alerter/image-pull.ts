import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { EcrImage, ecrImage } from '../config';

/**
 * What the alerter's instance role needs to pull `image`: nothing for a public registry; for a private ECR repository
 * (validated to be of the environment's account and region, pinned by digest: lib/config/ecr.ts) exactly
 * `ecr:GetAuthorizationToken` (which has no resource-level permission: `*`), and `ecr:BatchGetImage` and
 * `ecr:GetDownloadUrlForLayer` on that one repository. deploy-rules.sh logs docker in to the registry with
 * `aws ecr get-login-password | docker login --password-stdin` before the pull and out after it.
 */
export function grantImagePull(role: iam.Role, image: string): EcrImage | undefined {
  const ecr = ecrImage(image);
  if (!ecr) return undefined;
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'EcrLoginForTheElastalertImage',
      actions: ['ecr:GetAuthorizationToken'],
      resources: ['*'],
    }),
  );
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ecr:GetAuthorizationToken supports no resource-level permission (it returns a login token for the registry; the pulls are granted on one repository).',
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'PullTheElastalertImage',
      actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      resources: [
        Stack.of(role).formatArn({
          service: 'ecr',
          account: ecr.account,
          region: ecr.region,
          resource: 'repository',
          resourceName: ecr.repositoryName,
        }),
      ],
    }),
  );
  return ecr;
}
