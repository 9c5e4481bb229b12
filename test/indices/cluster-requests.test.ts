import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { applyClusterRequests, ClusterRequest, clusterRequests } from '../../lambda/index-management/cluster';
import { IndexPropertiesSchema } from '../../lambda/index-management/contract';
import { isComplete } from '../../lambda/index-management/index';
import type { IndexPort, SendRequest, SendResult } from '../../lambda/index-management/port';

const inputs = {
  recoveryBytesPerSec: 41943040,
  bucket: 'snap-bucket',
  basePath: 'snapshots',
  schedule: '0 30 1 * * ?',
  retention: { expireAfterDays: 30, minCount: 5, maxCount: 50 },
};

/** Answers every request with the next scripted result (default 200), recording what was sent. */
class ScriptedPort implements IndexPort {
  readonly sent: string[] = [];
  constructor(private readonly answers: Record<string, SendResult[]> = {}) {}
  async read() {
    return new Map();
  }
  async send(req: SendRequest): Promise<SendResult> {
    this.sent.push(`${req.method} ${req.path}`);
    return this.answers[req.path]?.shift() ?? { status: 200, reason: 'ok' };
  }
}

describe('clusterRequests', () => {
  test('recovery bandwidth as a persistent setting, then the repository, then the SLM policy that uses it', () => {
    expect(clusterRequests(inputs).map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /_cluster/settings',
      'PUT /_snapshot/elk-cdk',
      'PUT /_slm/policy/elk-cdk-scheduled',
    ]);
  });
});

describe('applyClusterRequests', () => {
  const requests = clusterRequests(inputs);

  test('sends every request in order and reports them applied', async () => {
    const port = new ScriptedPort();
    const result = await applyClusterRequests(port, requests, () => undefined);
    expect(result.verdict).toBe('done');
    expect(port.sent).toHaveLength(3);
    expect(result.applied).toEqual(requests.map((r) => r.description));
  });

  test('a repository not yet verified by every node (500) waits, and the SLM policy is not sent before it', async () => {
    const port = new ScriptedPort({
      '/_snapshot/elk-cdk': [
        { status: 500, reason: 'repository_verification_exception: [elk-cdk] path is not accessible on master node' },
      ],
    });
    const result = await applyClusterRequests(port, requests, () => undefined);
    expect(result).toMatchObject({
      verdict: 'wait',
      reason: expect.stringMatching(/_snapshot\/elk-cdk.*HTTP 500.*not accessible/),
    });
    expect(port.sent).not.toContain('PUT /_slm/policy/elk-cdk-scheduled');
  });

  test.each([
    [400, 'fail'],
    [403, 'fail'],
    [429, 'wait'],
    [undefined, 'wait'],
  ])('HTTP %s on the SLM policy → %s', async (status, verdict) => {
    const port = new ScriptedPort({ '/_slm/policy/elk-cdk-scheduled': [{ status, reason: 'x' }] });
    expect((await applyClusterRequests(port, requests, () => undefined)).verdict).toBe(verdict);
  });
});

describe('the custom resource applies the cluster requests before the index definitions', () => {
  const event = (props: Record<string, unknown>) =>
    ({
      RequestType: 'Update',
      ResourceProperties: { ServiceToken: 'x', DefinitionsJson: '[]', ...props },
      OldResourceProperties: { ServiceToken: 'x', DefinitionsJson: '[]' },
      PhysicalResourceId: 'elk-cdk-index-management',
    }) as unknown as CloudFormationCustomResourceEvent;

  test('a waiting repository keeps the resource incomplete; once it verifies, everything is applied', async () => {
    const port = new ScriptedPort({ '/_snapshot/elk-cdk': [{ status: 503, reason: 'not yet' }] });
    const deps = { port: async () => port, log: () => undefined };
    const e = event({ ClusterJson: JSON.stringify(clusterRequests(inputs)) });
    expect(await isComplete(e, deps)).toEqual({ IsComplete: false });
    expect(await isComplete(e, deps)).toMatchObject({ IsComplete: true, Data: { Applied: '3' } });
  });

  test('a resource of an older version (no ClusterJson) applies only the index definitions', async () => {
    expect(IndexPropertiesSchema.parse({ DefinitionsJson: '[]' }).ClusterJson).toEqual([]);
  });

  test('a request outside settings, snapshot repositories and SLM policies is refused at parse', () => {
    const bad: ClusterRequest = { method: 'PUT', path: '/_security/user/x', body: {}, description: 'no' };
    expect(IndexPropertiesSchema.safeParse({ DefinitionsJson: '[]', ClusterJson: JSON.stringify([bad]) }).success).toBe(
      false,
    );
  });
});
