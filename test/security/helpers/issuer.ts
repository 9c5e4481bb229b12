import * as http from 'http';
import { AddressInfo } from 'net';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { IssuerPolicy } from '../../../lambda/cert-issuer/contract';
import { handle, resetCache } from '../../../lambda/cert-issuer/index';
import { verifySigV4 } from './sigv4';

export const ISSUER_ACCOUNT = '111111111111';

/** Instance role credentials as IMDS serves them, and the instance they belong to. */
export interface NodeIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly token: string;
  readonly roleName: string;
  readonly instanceId: string;
  readonly privateIp: string;
  readonly privateDnsName: string;
  readonly autoScalingGroup: string;
}

export interface FakeIssuer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  /** Authorization headers seen (to check what was signed). */
  readonly signedHeaders: string[][];
  /** Changes what EC2 reports for the node (e.g. another group). */
  setInstance(over: Partial<NodeIdentity>): void;
  /** Changes the CA secret's content (e.g. a CA rotation). */
  setCaSecret(secret: string): void;
  close(): Promise<void>;
}

/**
 * The real issuer handler behind a loopback HTTP server that does what the function URL does: checks the SigV4
 * signature (service lambda) and the session token, and passes the caller's assumed-role session ARN to the
 * handler. EC2, SSM and Secrets Manager are mocked.
 */
export async function startFakeIssuer(opts: {
  readonly node: NodeIdentity;
  readonly region: string;
  readonly caSecret: string;
  readonly policy: IssuerPolicy;
}): Promise<FakeIssuer> {
  const ec2 = mockClient(EC2Client);
  const ssm = mockClient(SSMClient);
  const sm = mockClient(SecretsManagerClient);
  let instance = { ...opts.node };
  const describe = () =>
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: instance.instanceId,
              State: { Name: 'running' },
              PrivateIpAddress: instance.privateIp,
              PrivateDnsName: instance.privateDnsName,
              Tags: [{ Key: 'aws:autoscaling:groupName', Value: instance.autoScalingGroup }],
            },
          ],
        },
      ],
    });
  describe();
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(opts.policy) } });
  sm.on(GetSecretValueCommand).resolves({ SecretString: opts.caSecret });
  const signedHeaders: string[][] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const v = verifySigV4(
        { method: req.method!, url: req.url!, headers: req.headers, body },
        (id) => (id === opts.node.accessKeyId ? opts.node.secretAccessKey : undefined),
        opts.region,
        'lambda',
      );
      if (!v.ok || req.headers['x-amz-security-token'] !== opts.node.token) {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ Message: v.ok ? 'bad security token' : v.reason }));
        return;
      }
      signedHeaders.push(v.signedHeaders);
      const event = {
        body: body.toString('utf8'),
        isBase64Encoded: false,
        requestContext: {
          http: { method: req.method },
          authorizer: {
            iam: {
              accountId: ISSUER_ACCOUNT,
              userArn: `arn:aws:sts::${ISSUER_ACCOUNT}:assumed-role/${opts.node.roleName}/${opts.node.instanceId}`,
            },
          },
        },
      } as unknown as LambdaFunctionURLEvent;
      resetCache();
      handle(event, {
        ec2: new EC2Client({ region: opts.region }),
        ssm: new SSMClient({ region: opts.region }),
        secretsManager: new SecretsManagerClient({ region: opts.region }),
        env: { CA_SECRET_ARN: 'arn:ca', POLICY_PARAMETER_NAME: '/elk/test/security/issuer-policy' },
        now: () => new Date(),
        log: () => undefined,
      }).then(
        (out) => {
          const o = out as { statusCode: number; body: string };
          res.writeHead(o.statusCode, { 'content-type': 'application/json' });
          res.end(o.body);
        },
        (err: Error) => {
          res.writeHead(500);
          res.end(JSON.stringify({ error: err.message }));
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    signedHeaders,
    setInstance: (over) => {
      instance = { ...instance, ...over };
      describe();
    },
    setCaSecret: (secret) => {
      sm.on(GetSecretValueCommand).resolves({ SecretString: secret });
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      ec2.restore();
      ssm.restore();
      sm.restore();
    },
  };
}
