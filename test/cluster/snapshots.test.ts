import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { testApp } from '../helpers/app';
import { ConfigWorkspace } from '../config-changes/synth';
import { FIXED_VERSION } from './helpers';
import { parseProperties, specFromProperties } from '../../lambda/rolling-replacement/contract';
import { ROLES } from '../../lib/security/roles';

type Resource = {
  Type: string;
  Properties?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

const ws = new ConfigWorkspace();
afterAll(() => ws.cleanup());

function cluster(environment: string, configDir?: string): Record<string, Resource> {
  const [s] = buildApp(testApp(), { environments: [environment], configDir, version: FIXED_VERSION, validate: false });
  return (Template.fromStack(s!.cluster).toJSON() as { Resources: Record<string, Resource> }).Resources;
}
const ofType = (r: Record<string, Resource>, type: string) => Object.entries(r).filter(([, x]) => x.Type === type);
const clusterRequests = (r: Record<string, Resource>) => {
  const [[, resource]] = ofType(r, 'Custom::ElkIndexDefinitions') as [[string, Resource]];
  return resource.Properties!.ClusterJson as unknown;
};
const S3_WRITES = /^s3:(Put|Delete|Abort|\*)/;

describe('snapshots: an S3 repository the nodes write into, registered with its SLM policy through the API', () => {
  const r = cluster('production');
  const [[bucketId, bucket]] = ofType(r, 'AWS::S3::Bucket') as [[string, Resource]];

  test('one bucket, retained on delete and replacement (not on a rolled-back create), encrypted, private, TLS-only', () => {
    expect(ofType(r, 'AWS::S3::Bucket')).toHaveLength(1);
    expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    // A generated name: a bucket retained by a rolled-back create never blocks the next create.
    expect(bucket.Properties!.BucketName).toBeUndefined();
    expect(bucket.Properties!.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    expect(bucket.Properties!.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const [[, policy]] = ofType(r, 'AWS::S3::BucketPolicy') as [[string, Resource]];
    expect(policy.Properties!.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  test('the master and data roles may write objects into that bucket only; no other role of the stack may', () => {
    const writers = new Map<string, unknown[]>();
    for (const [, p] of ofType(r, 'AWS::IAM::Policy')) {
      const roles = (p.Properties!.Roles as Array<{ Ref: string }>).map((x) => x.Ref).join(',');
      for (const st of p.Properties!.PolicyDocument.Statement as Statement[]) {
        if (st.Effect !== 'Allow' || ![st.Action].flat().some((a) => S3_WRITES.test(a))) continue;
        writers.set(roles, [...(writers.get(roles) ?? []), st.Resource]);
      }
    }
    const roles = [...writers.keys()];
    expect(roles.filter((x) => /^MasterInstanceRole|^DataInstanceRole/.test(x)).sort()).toHaveLength(2);
    for (const role of roles.filter((x) => /^MasterInstanceRole|^DataInstanceRole/.test(x))) {
      expect(writers.get(role)).toEqual([{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] }]);
    }
    // Whatever else writes to S3 in this stack (CDK's own helpers) never writes to the snapshot bucket.
    for (const role of roles.filter((x) => !/^MasterInstanceRole|^DataInstanceRole/.test(x))) {
      expect(JSON.stringify(writers.get(role))).not.toContain(bucketId);
    }
  });

  test('the repository, the SLM policy from snapshots.* and the recovery bandwidth are applied through the API', () => {
    const json = clusterRequests(r) as { 'Fn::Join': [string, unknown[]] };
    const text = json['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : '<BUCKET>')).join('');
    expect(JSON.parse(text)).toEqual([
      {
        method: 'PUT',
        path: '/_cluster/settings',
        body: { persistent: { 'indices.recovery.max_bytes_per_sec': '41943040b' } },
        description: expect.stringContaining('elasticsearch.recoveryBytesPerSec'),
      },
      {
        method: 'PUT',
        path: '/_snapshot/elk-cdk',
        body: { type: 's3', settings: { bucket: '<BUCKET>', base_path: 'snapshots' } },
        description: expect.any(String),
      },
      {
        method: 'PUT',
        path: '/_slm/policy/elk-cdk-scheduled',
        body: {
          schedule: '0 30 1 * * ?',
          name: '<scheduled-{now/d}>',
          repository: 'elk-cdk',
          config: { include_global_state: true },
          retention: { expire_after: '30d', min_count: 5, max_count: 50 },
        },
        description: expect.any(String),
      },
    ]);
    expect(JSON.stringify(json)).toContain(bucketId);
  });
});

describe('dynamic settings change no Elasticsearch launch template (no node is replaced)', () => {
  const launchTemplates = (r: Record<string, Resource>) =>
    ofType(r, 'AWS::EC2::LaunchTemplate').map(([id, x]) => [id, x.Properties, x.Metadata?.['elk-cdk:inputs']]);
  const base = cluster('staging');

  test.each([
    ['elasticsearch.recoveryBytesPerSec', 'elasticsearch:\n  recoveryBytesPerSec: 104857600\n', '104857600b'],
    ['snapshots.schedule', "snapshots:\n  schedule: '0 0 */6 * * ?'\n", '0 0 */6 * * ?'],
    [
      'snapshots.retention',
      'snapshots:\n  retention:\n    expireAfterDays: 90\n    minCount: 10\n    maxCount: 200\n',
      '"expire_after":"90d"',
    ],
  ])('%s: the launch templates stay identical, the cluster requests carry the new value', (_key, yaml, expected) => {
    const dir = ws.configDir({ 'staging.yaml': (t) => mergeTopKey(t, yaml) });
    const changed = cluster('staging', dir);
    expect(launchTemplates(changed)).toEqual(launchTemplates(base));
    expect(JSON.stringify(clusterRequests(changed))).toContain(JSON.stringify(expected).slice(1, -1));
    expect(JSON.stringify(clusterRequests(base))).not.toContain(JSON.stringify(expected).slice(1, -1));
  });

  test('no launch template or user data carries the recovery bandwidth', () => {
    for (const [, props, inputs] of launchTemplates(base)) {
      expect(JSON.stringify(props)).not.toMatch(/RECOVERY|41943040/);
      expect(JSON.stringify(inputs ?? {})).not.toContain('recoveryBytesPerSec');
    }
  });
});

/** Inserts `yaml`'s first-level block under the same key of `text` (or appends it when the key is absent). */
function mergeTopKey(text: string, yaml: string): string {
  const [head, ...rest] = yaml.split('\n');
  const re = new RegExp(`^${head!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`, 'm');
  return re.test(text) ? text.replace(re, `${head}\n${rest.join('\n')}`) : `${text.trimEnd()}\n${yaml}`;
}

describe('rollout.snapshotBeforeRoll', () => {
  const rolling = (r: Record<string, Resource>) =>
    ofType(r, 'Custom::RollingReplacement')[0]![1] as Resource & { DependsOn?: string[] };
  const indexManagementId = (r: Record<string, Resource>) => ofType(r, 'Custom::ElkIndexDefinitions')[0]![0];

  test('on by default: the orchestrator snapshots into elk-cdk, after the repository is registered', () => {
    const r = cluster('staging');
    const rr = rolling(r);
    expect(rr.Properties!.SnapshotRepository).toBe('elk-cdk');
    expect(rr.DependsOn).toContain(indexManagementId(r));
    // What the handler reads from these properties (tokens replaced by placeholders, as CloudFormation resolves them).
    const resolved = Object.fromEntries(
      Object.entries(rr.Properties!)
        .filter(([k]) => k !== 'ServiceTimeout')
        .map(([k, v]) => [k, typeof v === 'string' ? v : 'arn:resolved']),
    );
    expect(specFromProperties(parseProperties(resolved, 'test'), 'roll').options.snapshotBeforeRoll).toBe('elk-cdk');
  });

  test('false: no repository property, so the orchestrator takes no snapshot; no launch template changes', () => {
    // Under staging's own rollout: key (a second top-level key is a YAML error).
    const off = (t: string) =>
      /^rollout:\n/m.test(t)
        ? t.replace(/^rollout:\n/m, 'rollout:\n  snapshotBeforeRoll: false\n')
        : `${t.trimEnd()}\nrollout:\n  snapshotBeforeRoll: false\n`;
    const dir = ws.configDir({ 'staging.yaml': off });
    const withoutSnapshot = cluster('staging', dir);
    expect(rolling(withoutSnapshot).Properties!.SnapshotRepository).toBeUndefined();
    const lts = (r: Record<string, Resource>) => ofType(r, 'AWS::EC2::LaunchTemplate');
    expect(lts(withoutSnapshot)).toEqual(lts(cluster('staging')));
  });

  test('the orchestrator may create and list snapshots, never delete or restore them', () => {
    expect(ROLES.orchestrator!.cluster).toContain('create_snapshot');
    expect(ROLES.orchestrator!.cluster).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^manage|snapshot\/delete|restore/)]),
    );
  });
});
