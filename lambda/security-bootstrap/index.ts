/**
 * Security bootstrap custom resource (Provider framework with isComplete). onEvent only acknowledges; isComplete
 * polls until the cluster has formed and then PUTs the roles, users and passwords (idempotent, every time the
 * definitions change). Invoked directly with `{"action": "sync-passwords"}`, onEvent re-applies every user's
 * password from its secret: the rotation path, no node restart.
 * Logs one line per decision; never a password or a request body.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Client } from '@elastic/elasticsearch';
import { createEsClient, readCaPem, readUserSecret } from '../shared/es-client';
import { BootstrapEnv, BootstrapEnvSchema, BootstrapPropertiesSchema } from './contract';
import { reloadCommand } from './reload';
import { classifyEsError, EsRequest, healthVerdict, planPasswordSync, planSecurityRequests } from './core';

export const PHYSICAL_ID = 'elk-cdk-security-bootstrap';

export interface Deps {
  readonly secretsManager: SecretsManagerClient;
  readonly ssm: SSMClient;
  readonly env: NodeJS.ProcessEnv;
  readonly log: (line: Record<string, unknown>) => void;
}

let cachedDeps: Deps | undefined;
const defaultDeps = (): Deps =>
  (cachedDeps ??= {
    secretsManager: new SecretsManagerClient({}),
    ssm: new SSMClient({}),
    env: process.env,
    log: (line) => console.log(JSON.stringify(line)),
  });

export interface SyncPasswordsRequest {
  readonly action: 'sync-passwords';
}

export async function onEvent(
  event: CloudFormationCustomResourceEvent | SyncPasswordsRequest,
  deps: Deps = defaultDeps(),
): Promise<{ PhysicalResourceId?: string; applied?: number; reloadCommandId?: string }> {
  if ('action' in event) {
    if (event.action !== 'sync-passwords') throw new Error(`unknown action "${String(event.action)}"`);
    const env = BootstrapEnvSchema.parse(deps.env);
    const passwords = await loadPasswords(env, deps);
    const result = await withClient(env, passwords.elastic, deps, (es) => run(es, planPasswordSync(passwords), deps));
    if (result.verdict !== 'done') throw new Error(`sync-passwords did not complete: ${result.reason}`);
    if (!env.RELOAD_DOCUMENT_NAME || !env.ENVIRONMENT_NAME) return { applied: result.applied };
    // The clients (Kibana, Logstash, the alerter) re-read their passwords, one instance at a time.
    const sent = await deps.ssm.send(
      new SendCommandCommand(reloadCommand(env.RELOAD_DOCUMENT_NAME, env.ENVIRONMENT_NAME)),
    );
    const reloadCommandId = sent.Command?.CommandId;
    deps.log({
      decision: 'reload-sent',
      reason: 'passwords set; the clients reload them one instance at a time',
      commandId: reloadCommandId,
    });
    return { applied: result.applied, ...(reloadCommandId ? { reloadCommandId } : {}) };
  }
  if (event.RequestType !== 'Delete') {
    BootstrapPropertiesSchema.parse(event.ResourceProperties); // fail fast on a broken contract
    BootstrapEnvSchema.parse(deps.env);
  }
  deps.log({ decision: 'accepted', requestType: event.RequestType, reason: 'isComplete applies the definitions' });
  return { PhysicalResourceId: event.RequestType === 'Create' ? PHYSICAL_ID : event.PhysicalResourceId };
}

export async function isComplete(
  event: CloudFormationCustomResourceEvent,
  deps: Deps = defaultDeps(),
): Promise<{ IsComplete: boolean; Data?: Record<string, string> }> {
  if (event.RequestType === 'Delete') {
    // Roles and users live in the cluster; deleting the stack (and cluster) removes them.
    deps.log({ decision: 'done', reason: 'Delete leaves the cluster security as it is' });
    return { IsComplete: true };
  }
  const props = BootstrapPropertiesSchema.parse(event.ResourceProperties);
  const env = BootstrapEnvSchema.parse(deps.env);
  const passwords = await loadPasswords(env, deps);
  const plan = planSecurityRequests({ roles: props.RolesJson, users: props.UsersJson, passwords });

  const result = await withClient(env, passwords.elastic, deps, async (es) => {
    const health = await call(es, {
      method: 'GET',
      path: '/_cluster/health?timeout=5s',
      description: 'cluster health',
    });
    if ('verdict' in health) return health;
    const notReady = healthVerdict(health.body as { status?: string });
    if (notReady) return notReady;
    return run(es, plan, deps);
  });
  if (result.verdict === 'fail') {
    deps.log({ decision: 'fail', reason: result.reason });
    throw new Error(result.reason);
  }
  if (result.verdict === 'wait') {
    deps.log({ decision: 'wait', reason: result.reason });
    return { IsComplete: false };
  }
  const applied = 'applied' in result ? result.applied : 0;
  deps.log({ decision: 'done', reason: `applied ${applied} security requests`, hash: props.DefinitionsHash });
  return { IsComplete: true, Data: { DefinitionsHash: props.DefinitionsHash } };
}

type RunResult =
  | { readonly verdict: 'done'; readonly applied: number; readonly reason: string }
  | { readonly verdict: 'wait' | 'fail'; readonly reason: string };

async function loadPasswords(env: BootstrapEnv, deps: Deps): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(env.USER_SECRET_ARNS).map(async ([user, arn]) => {
      const secret = await readUserSecret(deps.secretsManager, arn);
      if (secret.username !== user) {
        throw new Error(`secret ${arn}: username is "${secret.username}" but it is configured for user "${user}"`);
      }
      return [user, secret.password] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * Connects as elastic with the current password. If that gets 401, elastic's password is set to the current value
 * with the first of these that still authenticates: the elastic secret's AWSPREVIOUS version (a rotation), then the
 * one-time bootstrap password (a new cluster: nodes hold only that one, in `bootstrap.password`). Then it continues
 * with the current one. Otherwise 401 means wait (bootstrap.password may not be in place yet).
 */
async function withClient(
  env: BootstrapEnv,
  elasticPassword: string,
  deps: Deps,
  fn: (es: Client) => Promise<RunResult>,
): Promise<RunResult> {
  const caPem = await readCaPem({ ssmParameterName: env.CA_PARAMETER_NAME }, deps);
  const connect = (password: string) =>
    createEsClient({
      node: env.ES_ENDPOINT,
      caPem,
      username: 'elastic',
      password,
      servername: env.ES_SERVERNAME,
      requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
      maxRetries: 0,
    });
  const es = connect(elasticPassword);
  try {
    const auth = await call(es, {
      method: 'GET',
      path: '/_security/_authenticate',
      description: 'authenticate elastic',
    });
    if ('verdict' in auth) {
      if (!auth.reason.includes('HTTP 401')) return auth;
      const adopted =
        (await adoptRotatedElasticPassword(env, elasticPassword, connect, deps)) ??
        (await adoptFromBootstrapPassword(env, elasticPassword, connect, deps));
      if (adopted) return adopted.verdict === 'done' ? await fn(es) : adopted;
      return auth;
    }
    return await fn(es);
  } finally {
    await es.close();
  }
}

async function adoptRotatedElasticPassword(
  env: BootstrapEnv,
  current: string,
  connect: (password: string) => Client,
  deps: Deps,
): Promise<RunResult | undefined> {
  let previous: string;
  try {
    previous = (await readUserSecret(deps.secretsManager, env.USER_SECRET_ARNS.elastic, 'AWSPREVIOUS')).password;
  } catch {
    return undefined; // no previous version: nothing was rotated
  }
  if (previous === current) return undefined;
  return setElasticPasswordWith(
    previous,
    current,
    connect,
    deps,
    'elastic secret was rotated; set with the previous password',
  );
}

/** First formation: elastic authenticates only with the nodes' one-time bootstrap.password. */
async function adoptFromBootstrapPassword(
  env: BootstrapEnv,
  current: string,
  connect: (password: string) => Client,
  deps: Deps,
): Promise<RunResult | undefined> {
  if (!env.BOOTSTRAP_SECRET_ARN) return undefined;
  let bootstrap: string;
  try {
    bootstrap = (await readUserSecret(deps.secretsManager, env.BOOTSTRAP_SECRET_ARN)).password;
  } catch {
    return undefined;
  }
  if (bootstrap === current) return undefined;
  return setElasticPasswordWith(
    bootstrap,
    current,
    connect,
    deps,
    "first formation: set elastic's real password with the one-time bootstrap password",
  );
}

async function setElasticPasswordWith(
  previous: string,
  current: string,
  connect: (password: string) => Client,
  deps: Deps,
  reason: string,
): Promise<RunResult | undefined> {
  const old = connect(previous);
  try {
    const auth = await call(old, {
      method: 'GET',
      path: '/_security/_authenticate',
      description: 'authenticate elastic (previous)',
    });
    if ('verdict' in auth) return undefined;
    const [req] = planPasswordSync({ elastic: current });
    const set = await call(old, req);
    if ('verdict' in set) return set;
    deps.log({ decision: 'applied', request: req.description, reason });
    return { verdict: 'done', applied: 1, reason };
  } finally {
    await old.close();
  }
}

async function call(
  es: Client,
  req: EsRequest,
): Promise<{ body: unknown } | { verdict: 'wait' | 'fail'; reason: string }> {
  try {
    const res = await es.transport.request({ method: req.method, path: req.path, body: req.body }, { meta: true });
    return { body: res.body };
  } catch (err) {
    const e = err as { meta?: { statusCode?: number; body?: unknown }; message?: string; name?: string };
    // Only a ResponseError carries a real HTTP status; connection errors and timeouts report 0 or none.
    const status = e.name === 'ResponseError' && e.meta?.statusCode ? e.meta.statusCode : undefined;
    const detail = `${req.description}: ${status !== undefined ? esReason(e.meta?.body) : `${e.name}: ${e.message}`}`;
    return classifyEsError(status, detail);
  }
}

/** Elasticsearch's error reason, never the request (which may hold a password). */
function esReason(body: unknown): string {
  const b = body as { error?: { reason?: string; type?: string } | string } | undefined;
  if (typeof b?.error === 'string') return b.error;
  return b?.error?.reason ?? b?.error?.type ?? 'no reason given';
}

async function run(es: Client, plan: readonly EsRequest[], deps: Deps): Promise<RunResult> {
  for (const req of plan) {
    const r = await call(es, req);
    if ('verdict' in r) return r;
    deps.log({ decision: 'applied', request: req.description });
  }
  return { verdict: 'done', applied: plan.length, reason: 'all applied' };
}
