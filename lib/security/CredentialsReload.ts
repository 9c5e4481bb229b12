import { Arn, ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { RELOAD_TAG } from '../../lambda/security-bootstrap/reload';

export { RELOAD_TAG };

/** Where the reload lives on a Kibana/Logstash node (scripts/node) and on the alerter (lib/alerter user data). */
export const NODE_RELOAD_SCRIPT = '/opt/elk-cdk/bin/elk-credentials-reload.sh';
export const ALERTER_RELOAD_SCRIPT = '/opt/elk-alerter/bin/reload-credentials.sh';

export interface CredentialsReloadProps {
  readonly environmentName: string;
}

/**
 * The client side of a password rotation: an SSM Command document that makes an instance re-read its service user's
 * password and restart what uses it (Kibana, Logstash: scripts/node/elk-credentials-reload.sh; the alerter: its rule
 * deployment again, which recreates the container when the resolved secrets changed). The security bootstrap's
 * `sync-passwords` action sends it, after setting the passwords in Elasticsearch, to the instances of the environment
 * tagged `elk-cdk:reload-credentials=true`, one at a time, stopping at the first failure.
 */
export class CredentialsReload extends Construct {
  readonly document: ssm.CfnDocument;
  /** The document's name (generated: a content change is a new document, never a name collision). */
  readonly documentName: string;
  private readonly environmentName: string;

  constructor(scope: Construct, id: string, props: CredentialsReloadProps) {
    super(scope, id);
    this.environmentName = props.environmentName;
    this.document = new ssm.CfnDocument(this, 'Document', {
      documentType: 'Command',
      documentFormat: 'JSON',
      content: {
        schemaVersion: '2.2',
        description: `elk-cdk ${props.environmentName}: reload the service user's rotated password on this instance`,
        mainSteps: [
          {
            action: 'aws:runShellScript',
            name: 'reload',
            inputs: {
              timeoutSeconds: '900',
              runCommand: [
                'set -euo pipefail',
                `if [ -x ${NODE_RELOAD_SCRIPT} ]; then exec ${NODE_RELOAD_SCRIPT}; fi`,
                `if [ -x ${ALERTER_RELOAD_SCRIPT} ]; then exec ${ALERTER_RELOAD_SCRIPT}; fi`,
                'echo "elk-cdk: this instance has no credentials reload" >&2',
                'exit 1',
              ],
            },
          },
        ],
      },
    });
    this.documentName = this.document.ref;
  }

  /** ssm:SendCommand of this document, on this environment's instances only (by their environment tag). */
  grantSend(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:SendCommand'],
        resources: [Arn.format({ service: 'ssm', resource: 'document', resourceName: this.documentName }, stack)],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:SendCommand'],
        resources: [
          Arn.format(
            { service: 'ec2', resource: 'instance', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME },
            stack,
          ),
        ],
        conditions: {
          StringEquals: {
            'ssm:resourceTag/elk-cdk:environment': this.environmentName,
            [`ssm:resourceTag/${RELOAD_TAG}`]: 'true',
          },
        },
      }),
    );
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      // cdk-nag names the ARN as it reads it from the template: pseudo parameters where the stack has no env.
      const pseudo = (value: string, name: string) => (Token.isUnresolved(value) ? `<AWS::${name}>` : value);
      const arn = `arn:${pseudo(stack.partition, 'Partition')}:ec2:${pseudo(stack.region, 'Region')}:${pseudo(stack.account, 'AccountId')}:instance/*`;
      Validations.of(principal).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${arn}]`,
        reason:
          `SendCommand of the reload document only, on instances tagged elk-cdk:environment=${this.environmentName} ` +
          `and ${RELOAD_TAG}=true (Kibana, Logstash, the alerter: their ids change on every replacement).`,
      });
    }
  }
}
