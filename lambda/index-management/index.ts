/**
 * Index management custom resource (Provider framework with isComplete). onEvent only acknowledges; isComplete
 * waits for the cluster and applies the cluster-level definitions (dynamic cluster settings, the snapshot repository,
 * the SLM policy: cluster.ts), then the ILM policies, component templates and index templates of `indices/`,
 * deleting those removed from the folder when Elasticsearch no longer uses them. Delete leaves the cluster's
 * definitions in place (they go with the cluster). One log line per decision; never a secret.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createEsClient, readCaPem, readUserSecret } from '../shared/es-client';
import { ApplyResult, applyIndexDefinitions } from './apply';
import { applyClusterRequests } from './cluster';
import { IndexEnvSchema, IndexPropertiesSchema } from './contract';
import { clientPort, IndexPort } from './port';

export const PHYSICAL_ID = 'elk-cdk-index-management';

export interface Deps {
  readonly port: () => Promise<IndexPort>;
  readonly log: (line: Record<string, unknown>) => void;
}

const defaultDeps = (): Deps => ({
  port: async () => {
    const env = IndexEnvSchema.parse(process.env);
    const secretsManager = new SecretsManagerClient({});
    const user = await readUserSecret(secretsManager, env.USER_SECRET_ARN);
    const caPem = await readCaPem(
      { ssmParameterName: env.CA_PARAMETER_NAME },
      { ssm: new SSMClient({}), secretsManager },
    );
    const es = createEsClient({
      node: env.ES_ENDPOINT,
      servername: env.ES_SERVERNAME,
      caPem,
      username: user.username,
      password: user.password,
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    });
    return clientPort(es);
  },
  log: (line) => console.log(JSON.stringify(line)),
});

export async function onEvent(event: CloudFormationCustomResourceEvent): Promise<{ PhysicalResourceId: string }> {
  if (event.RequestType !== 'Delete') IndexPropertiesSchema.parse(event.ResourceProperties);
  return { PhysicalResourceId: event.RequestType === 'Create' ? PHYSICAL_ID : event.PhysicalResourceId };
}

export async function isComplete(
  event: CloudFormationCustomResourceEvent,
  deps: Deps = defaultDeps(),
): Promise<{ IsComplete: boolean; Data?: Record<string, string> }> {
  if (event.RequestType === 'Delete') {
    deps.log({ decision: 'done', reason: 'Delete leaves index definitions in the cluster' });
    return { IsComplete: true };
  }
  const props = IndexPropertiesSchema.parse(event.ResourceProperties);
  const desired = props.DefinitionsJson;
  const previous =
    event.RequestType === 'Update'
      ? (IndexPropertiesSchema.safeParse(event.OldResourceProperties).data?.DefinitionsJson ?? [])
      : [];
  let port: IndexPort;
  try {
    port = await deps.port();
  } catch (e) {
    deps.log({ decision: 'wait', reason: `cannot connect yet: ${(e as Error).message}` });
    return { IsComplete: false };
  }
  let result: ApplyResult;
  try {
    // Cluster settings, the snapshot repository and the SLM policy first (cluster.ts), then indices/.
    const cluster = await applyClusterRequests(port, props.ClusterJson, deps.log);
    if (cluster.verdict !== 'done') result = cluster;
    else {
      result = await applyIndexDefinitions(port, desired, previous, deps.log);
      if (result.verdict === 'done') result = { ...result, applied: [...cluster.applied, ...result.applied] };
    }
  } catch (e) {
    deps.log({ decision: 'wait', reason: `Elasticsearch not reachable: ${(e as Error).message}` });
    return { IsComplete: false };
  }
  if (result.verdict === 'fail') {
    deps.log({ decision: 'fail', reason: result.reason });
    throw new Error(result.reason);
  }
  if (result.verdict === 'wait') {
    deps.log({ decision: 'wait', reason: result.reason });
    return { IsComplete: false };
  }
  deps.log({ decision: 'done', applied: result.applied.length, unchanged: result.unchanged, kept: result.kept });
  return {
    IsComplete: true,
    Data: { Applied: String(result.applied.length), Kept: result.kept.join('; ').slice(0, 1000) },
  };
}
