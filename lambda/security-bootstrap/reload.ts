/**
 * The reload command a password rotation sends after the passwords are set in Elasticsearch (pure: the SSM request,
 * no SDK). One instance at a time and no error tolerated: a node that cannot use the new password stops the rotation
 * there, the others keep running (with the old password they get 401 until reloaded: docs/security.md, "Rotation").
 */

/** Instance tag of the groups whose instances reload credentials (Kibana, Logstash, the alerter). */
export const RELOAD_TAG = 'elk-cdk:reload-credentials';

export interface ReloadCommand {
  readonly DocumentName: string;
  readonly Targets: Array<{ Key: string; Values: string[] }>;
  readonly MaxConcurrency: string;
  readonly MaxErrors: string;
  readonly TimeoutSeconds: number;
  readonly Comment: string;
}

export function reloadCommand(documentName: string, environment: string): ReloadCommand {
  return {
    DocumentName: documentName,
    Targets: [
      { Key: 'tag:elk-cdk:environment', Values: [environment] },
      { Key: `tag:${RELOAD_TAG}`, Values: ['true'] },
    ],
    MaxConcurrency: '1',
    MaxErrors: '0',
    TimeoutSeconds: 600,
    Comment: `elk-cdk ${environment}: reload rotated passwords`.slice(0, 100),
  };
}
