import * as https from 'https';
import { AddressInfo } from 'net';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { classifyEsError, planPasswordSync, planSecurityRequests } from '../../lambda/security-bootstrap/core';
import { Deps, isComplete, onEvent, PHYSICAL_ID } from '../../lambda/security-bootstrap/index';
import { NATIVE_USERS, ROLES, securityDefinitionsHash, SERVICE_USERS } from '../../lib/security/roles';
import { makeServerCert, makeTestCa, tempDir, TestCa } from './helpers/pki';

const PASSWORDS: Record<string, string> = Object.fromEntries(SERVICE_USERS.map((u) => [u, `pw-of-${u}-0123456789`]));

describe('planSecurityRequests', () => {
  const plan = planSecurityRequests({ roles: ROLES, users: NATIVE_USERS, passwords: PASSWORDS });

  it('persists elastic first, then roles before the users that reference them, then built-in passwords', () => {
    expect(plan.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /_security/user/elastic/_password',
      'PUT /_security/role/elastalert',
      'PUT /_security/role/index_manager',
      'PUT /_security/role/logstash_writer',
      'PUT /_security/role/metrics_collector',
      'PUT /_security/role/node_monitor',
      'PUT /_security/role/orchestrator',
      'PUT /_security/user/elastalert',
      'PUT /_security/user/index_manager',
      'PUT /_security/user/logstash_writer',
      'PUT /_security/user/metrics_collector',
      'PUT /_security/user/node_monitor',
      'PUT /_security/user/orchestrator',
      'POST /_security/user/kibana_system/_password',
    ]);
  });

  it('sends each user its own password and role, and keeps passwords out of the descriptions', () => {
    const orch = plan.find((r) => r.path === '/_security/user/orchestrator')!;
    expect(orch.body).toEqual({
      password: PASSWORDS.orchestrator,
      roles: ['orchestrator'],
      full_name: NATIVE_USERS.orchestrator.full_name,
      metadata: { managed_by: 'elk-cdk' },
    });
    for (const r of plan) for (const pw of Object.values(PASSWORDS)) expect(r.description).not.toContain(pw);
  });

  it('refuses to redefine a reserved user and names a user whose secret is missing', () => {
    expect(() =>
      planSecurityRequests({ roles: {}, users: { elastic: { roles: ['x'], full_name: '' } }, passwords: PASSWORDS }),
    ).toThrow(/"elastic" is a reserved user/);
    const { orchestrator: _omit, ...missing } = PASSWORDS;
    expect(() => planSecurityRequests({ roles: ROLES, users: NATIVE_USERS, passwords: missing })).toThrow(
      /no password loaded for user "orchestrator"/,
    );
  });

  it('sync-passwords sets every password, elastic first, and nothing else', () => {
    const sync = planPasswordSync(PASSWORDS);
    expect(sync[0].path).toBe('/_security/user/elastic/_password');
    expect(sync.map((r) => r.path).every((p) => p.endsWith('/_password'))).toBe(true);
    expect(sync).toHaveLength(SERVICE_USERS.length);
  });
});

describe('classifyEsError', () => {
  it.each([
    [undefined, 'wait'],
    [0, 'wait'],
    [503, 'wait'],
    [500, 'wait'],
    [408, 'wait'],
    [429, 'wait'],
    [401, 'wait'],
    [400, 'fail'],
    [403, 'fail'],
    [404, 'fail'],
  ] as const)('HTTP %s means %s', (status, verdict) => {
    expect(classifyEsError(status, 'x').verdict).toBe(verdict);
  });
});

interface Seen {
  method: string;
  url: string;
  auth: string;
  body: string;
}
type Responder = (req: Seen) => { status: number; body: unknown };

describe('security-bootstrap handlers against a loopback HTTPS Elasticsearch', () => {
  const tmp = tempDir('sec-bootstrap-');
  const sm = mockClient(SecretsManagerClient);
  const ssm = mockClient(SSMClient);
  let ca: TestCa;
  let server: https.Server;
  let port: number;
  let seen: Seen[];
  let responder: Responder;
  let logs: string[];
  /** The password Elasticsearch currently accepts for elastic; a POST to elastic's _password changes it. */
  let esElasticPassword: string;

  beforeAll(async () => {
    ca = makeTestCa(tmp.dir);
    const cert = makeServerCert(tmp.dir, ca, ['DNS:elasticsearch.test.elk.internal']);
    server = https.createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const s: Seen = { method: req.method!, url: req.url!, auth: req.headers.authorization ?? '', body };
        seen.push(s);
        const basic = (pw: string) => 'Basic ' + Buffer.from(`elastic:${pw}`).toString('base64');
        if (s.auth !== basic(esElasticPassword)) {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { type: 'security_exception', reason: 'unable to authenticate user' } }));
          return;
        }
        const out = responder(s);
        if (out.status === 200 && s.url === '/_security/user/elastic/_password') {
          esElasticPassword = JSON.parse(s.body).password;
        }
        res.writeHead(out.status, { 'content-type': 'application/json', 'x-elastic-product': 'Elasticsearch' });
        res.end(JSON.stringify(out.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.close();
    server.closeAllConnections();
    tmp.cleanup();
  });

  const arn = (u: string) => `arn:aws:secretsmanager:eu-west-1:111111111111:secret:elk/test/users/${u}-AbCdEf`;
  const deps = (): Deps => ({
    secretsManager: new SecretsManagerClient({}),
    ssm: new SSMClient({}),
    env: {
      ES_ENDPOINT: `https://127.0.0.1:${port}`,
      ES_SERVERNAME: 'elasticsearch.test.elk.internal',
      CA_PARAMETER_NAME: '/elk/test/security/ca-cert',
      USER_SECRET_ARNS: JSON.stringify(Object.fromEntries(SERVICE_USERS.map((u) => [u, arn(u)]))),
      REQUEST_TIMEOUT_MS: '2000',
    },
    log: (line) => logs.push(JSON.stringify(line)),
  });

  const cfnEvent = (type: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent => {
    const base = {
      ServiceToken: 't',
      ResponseURL: 'https://example.invalid',
      StackId: 's',
      RequestId: 'r',
      LogicalResourceId: 'SecurityBootstrap',
      ResourceType: 'Custom::ElkSecurityBootstrap',
      ResourceProperties: {
        ServiceToken: 't',
        RolesJson: JSON.stringify(ROLES),
        UsersJson: JSON.stringify(NATIVE_USERS),
        DefinitionsHash: securityDefinitionsHash(),
      },
    };
    if (type === 'Create') return { ...base, RequestType: 'Create' };
    if (type === 'Update')
      return {
        ...base,
        RequestType: 'Update',
        PhysicalResourceId: PHYSICAL_ID,
        OldResourceProperties: { ServiceToken: 't' },
      };
    return { ...base, RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID };
  };

  const green: Responder = (req) =>
    req.url.startsWith('/_cluster/health')
      ? { status: 200, body: { status: 'green' } }
      : req.url === '/_security/_authenticate'
        ? { status: 200, body: { username: 'elastic' } }
        : { status: 200, body: { created: true } };
  const pathsOf = (list: Seen[]) =>
    list.map((s) => s.url.split('?')[0]).filter((u) => u !== '/_security/_authenticate');

  beforeEach(() => {
    seen = [];
    logs = [];
    responder = green;
    esElasticPassword = PASSWORDS.elastic;
    sm.reset();
    ssm.reset();
    for (const u of SERVICE_USERS) {
      sm.on(GetSecretValueCommand, { SecretId: arn(u) }).resolves({
        SecretString: JSON.stringify({ username: u, password: PASSWORDS[u] }),
      });
    }
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: ca.certPem } });
  });

  it('onEvent accepts Create with a stable physical id and calls nothing', async () => {
    await expect(onEvent(cfnEvent('Create'), deps())).resolves.toEqual({ PhysicalResourceId: PHYSICAL_ID });
    expect(seen).toEqual([]);
  });

  it('isComplete applies every role and user as elastic once the cluster is up, and reports done', async () => {
    const res = await isComplete(cfnEvent('Create'), deps());
    expect(res).toEqual({ IsComplete: true, Data: { DefinitionsHash: securityDefinitionsHash() } });
    expect(seen.map((s) => `${s.method} ${s.url.split('?')[0]}`)).toEqual([
      'GET /_security/_authenticate',
      'GET /_cluster/health',
      'POST /_security/user/elastic/_password',
      'PUT /_security/role/elastalert',
      'PUT /_security/role/index_manager',
      'PUT /_security/role/logstash_writer',
      'PUT /_security/role/metrics_collector',
      'PUT /_security/role/node_monitor',
      'PUT /_security/role/orchestrator',
      'PUT /_security/user/elastalert',
      'PUT /_security/user/index_manager',
      'PUT /_security/user/logstash_writer',
      'PUT /_security/user/metrics_collector',
      'PUT /_security/user/node_monitor',
      'PUT /_security/user/orchestrator',
      'POST /_security/user/kibana_system/_password',
    ]);
    const elasticAuth = 'Basic ' + Buffer.from(`elastic:${PASSWORDS.elastic}`).toString('base64');
    expect(seen.every((s) => s.auth === elasticAuth)).toBe(true);
    expect(JSON.parse(seen.find((s) => s.url === '/_security/role/orchestrator')!.body)).toEqual(ROLES.orchestrator);
    for (const pw of Object.values(PASSWORDS)) expect(logs.join('\n')).not.toContain(pw);
  });

  it('is idempotent: a second run (every later deploy) sends the same requests', async () => {
    await isComplete(cfnEvent('Update'), deps());
    const first = seen.map((s) => `${s.method} ${s.url} ${s.body}`);
    seen = [];
    await isComplete(cfnEvent('Update'), deps());
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual(first);
  });

  it('waits while no master is elected (503) without writing anything', async () => {
    responder = () => ({ status: 503, body: { error: { type: 'master_not_discovered_exception', reason: 'none' } } });
    await expect(isComplete(cfnEvent('Create'), deps())).resolves.toEqual({ IsComplete: false });
    expect(seen.map((s) => s.url.split('?')[0])).toEqual(['/_security/_authenticate']);
    expect(logs.join()).toMatch(/"decision":"wait".*503/);
  });

  it('waits while health is red', async () => {
    responder = (req) =>
      req.url.startsWith('/_cluster/health') ? { status: 200, body: { status: 'red' } } : green(req);
    await expect(isComplete(cfnEvent('Create'), deps())).resolves.toEqual({ IsComplete: false });
    expect(pathsOf(seen)).toEqual(['/_cluster/health']);
  });

  it('waits while elastic cannot authenticate yet (401, bootstrap.password not in place)', async () => {
    esElasticPassword = 'not-yet-known';
    await expect(isComplete(cfnEvent('Create'), deps())).resolves.toEqual({ IsComplete: false });
    expect(pathsOf(seen)).toEqual([]);
    expect(logs.join()).toMatch(/"decision":"wait".*401/);
  });

  it('adopts a rotated elastic secret: sets the new password with the AWSPREVIOUS one, then applies everything', async () => {
    sm.on(GetSecretValueCommand, { SecretId: arn('elastic') }).resolves({
      SecretString: JSON.stringify({ username: 'elastic', password: 'new-elastic-password' }),
    });
    sm.on(GetSecretValueCommand, { SecretId: arn('elastic'), VersionStage: 'AWSPREVIOUS' }).resolves({
      SecretString: JSON.stringify({ username: 'elastic', password: PASSWORDS.elastic }),
    });
    await expect(isComplete(cfnEvent('Update'), deps())).resolves.toMatchObject({ IsComplete: true });
    expect(esElasticPassword).toBe('new-elastic-password');
    expect(pathsOf(seen).slice(0, 3)).toEqual([
      '/_security/user/elastic/_password',
      '/_cluster/health',
      '/_security/user/elastic/_password',
    ]);
  });

  it("first formation: sets elastic's real password with the nodes' one-time bootstrap password, then applies everything", async () => {
    const bootstrapArn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:elk/test/security/bootstrap-password-X';
    esElasticPassword = 'one-time-bootstrap-pw';
    sm.on(GetSecretValueCommand, { SecretId: bootstrapArn }).resolves({
      SecretString: JSON.stringify({ username: 'elastic', password: 'one-time-bootstrap-pw' }),
    });
    const d = deps();
    const withBootstrap: Deps = { ...d, env: { ...d.env, BOOTSTRAP_SECRET_ARN: bootstrapArn } };
    await expect(isComplete(cfnEvent('Create'), withBootstrap)).resolves.toMatchObject({ IsComplete: true });
    expect(esElasticPassword).toBe(PASSWORDS.elastic);
    const first = seen.find((s) => s.url === '/_security/user/elastic/_password')!;
    expect(first.auth).toBe('Basic ' + Buffer.from('elastic:one-time-bootstrap-pw').toString('base64'));
    expect(JSON.parse(first.body)).toEqual({ password: PASSWORDS.elastic });
    expect(logs.join('\n')).toMatch(/one-time bootstrap password/);
    expect(logs.join('\n')).not.toContain('one-time-bootstrap-pw');
  });

  it('keeps waiting on 401 when the previous elastic password does not work either', async () => {
    esElasticPassword = 'something-else';
    sm.on(GetSecretValueCommand, { SecretId: arn('elastic'), VersionStage: 'AWSPREVIOUS' }).resolves({
      SecretString: JSON.stringify({ username: 'elastic', password: 'older' }),
    });
    await expect(isComplete(cfnEvent('Update'), deps())).resolves.toEqual({ IsComplete: false });
    expect(pathsOf(seen)).toEqual([]);
  });

  it('waits when the cluster is not reachable at all', async () => {
    const d = deps();
    const unreachable: Deps = { ...d, env: { ...d.env, ES_ENDPOINT: 'https://127.0.0.1:1' } };
    await expect(isComplete(cfnEvent('Create'), unreachable)).resolves.toEqual({ IsComplete: false });
  });

  it('fails the deployment with Elasticsearch’s reason when a role definition is rejected (400)', async () => {
    responder = (req) =>
      req.url === '/_security/role/orchestrator'
        ? {
            status: 400,
            body: { error: { type: 'illegal_argument_exception', reason: 'unknown cluster privilege [x]' } },
          }
        : green(req);
    await expect(isComplete(cfnEvent('Update'), deps())).rejects.toThrow(
      /put role orchestrator: unknown cluster privilege \[x\]/,
    );
    expect(seen.some((s) => s.url.startsWith('/_security/user/orchestrator'))).toBe(false);
  });

  it('fails when a secret belongs to another user (a mixed-up ARN)', async () => {
    sm.on(GetSecretValueCommand, { SecretId: arn('orchestrator') }).resolves({
      SecretString: JSON.stringify({ username: 'elastalert', password: 'x' }),
    });
    await expect(isComplete(cfnEvent('Create'), deps())).rejects.toThrow(/configured for user "orchestrator"/);
    expect(seen).toEqual([]);
  });

  it('on Delete completes at once without calling Elasticsearch', async () => {
    await expect(isComplete(cfnEvent('Delete'), deps())).resolves.toEqual({ IsComplete: true });
    expect(seen).toEqual([]);
  });

  it('sync-passwords (rotation) re-applies only the passwords, read fresh from the secrets', async () => {
    sm.on(GetSecretValueCommand, { SecretId: arn('logstash_writer') }).resolves({
      SecretString: JSON.stringify({ username: 'logstash_writer', password: 'rotated-new-value' }),
    });
    await expect(onEvent({ action: 'sync-passwords' }, deps())).resolves.toEqual({ applied: SERVICE_USERS.length });
    expect(pathsOf(seen).every((u) => u.endsWith('/_password'))).toBe(true);
    const ls = seen.find((s) => s.url === '/_security/user/logstash_writer/_password')!;
    expect(JSON.parse(ls.body)).toEqual({ password: 'rotated-new-value' });
  });

  it('sync-passwords reports failure instead of pretending success', async () => {
    responder = () => ({ status: 503, body: {} });
    await expect(onEvent({ action: 'sync-passwords' }, deps())).rejects.toThrow(/did not complete/);
  });

  describe('the clients reload: the reload command once the passwords are set', () => {
    const withReload = (): Deps => {
      const d = deps();
      return {
        ...d,
        env: { ...d.env, RELOAD_DOCUMENT_NAME: 'elk-test-Reload-AbC', ENVIRONMENT_NAME: 'test' },
      };
    };
    beforeEach(() => ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-0123' } }));

    it("is sent to the environment's reloading instances, one at a time, stopping at the first failure", async () => {
      await expect(onEvent({ action: 'sync-passwords' }, withReload())).resolves.toEqual({
        applied: SERVICE_USERS.length,
        reloadCommandId: 'cmd-0123',
      });
      const calls = ssm.commandCalls(SendCommandCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.args[0].input).toEqual({
        DocumentName: 'elk-test-Reload-AbC',
        Targets: [
          { Key: 'tag:elk-cdk:environment', Values: ['test'] },
          { Key: 'tag:elk-cdk:reload-credentials', Values: ['true'] },
        ],
        MaxConcurrency: '1',
        MaxErrors: '0',
        TimeoutSeconds: 600,
        Comment: 'elk-cdk test: reload rotated passwords',
      });
      expect(logs.join('\n')).toContain('"decision":"reload-sent"');
    });

    it('is not sent when the passwords could not be set (the clients would lose the old ones for nothing)', async () => {
      responder = () => ({ status: 503, body: {} });
      await expect(onEvent({ action: 'sync-passwords' }, withReload())).rejects.toThrow(/did not complete/);
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
    });
  });
});
