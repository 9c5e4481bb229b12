import { Template } from '../../lib/diff/assembly';
import { WAITS_FOR, diffAssemblies, diffStack } from '../../lib/diff/report';
import { renderMarkdown } from '../../lib/diff/render';
import {
  formatDuration,
  groupRisks,
  nodeRolls,
  plannedScaleIns,
  referencedIds,
  ruleChanges,
} from '../../lib/diff/impact';

/** A template builder: launch templates with role metadata, plus extra resources. */
function template(
  lts: Record<string, { role: string; data?: unknown; count?: number; version?: string; boot?: number }>,
  extra: Template['Resources'] = {},
): Template {
  const resources: NonNullable<Template['Resources']> = { ...extra };
  for (const [id, lt] of Object.entries(lts)) {
    resources[id] = {
      Type: 'AWS::EC2::LaunchTemplate',
      Properties: {
        LaunchTemplateData: lt.data ?? { ImageId: 'ami-1', SecurityGroupIds: [{ 'Fn::GetAtt': ['Sg', 'GroupId'] }] },
      },
      Metadata: {
        'elk-cdk:role': lt.role,
        'elk-cdk:nodeCount': lt.count ?? 3,
        'elk-cdk:elasticsearchVersion': lt.version ?? '8.19.3',
        ...(lt.boot !== undefined ? { 'elk-cdk:bootSeconds': lt.boot } : {}),
      },
    };
  }
  return { Resources: resources };
}

const stack = (t: Template) => ({ name: 'staging/cluster', stage: 'staging', template: t, paths: {} });

describe('nodeRolls', () => {
  test('a replaced security group referenced by the launch template data rolls the nodes', () => {
    const t = template({ DataLt: { role: 'data' } });
    expect(nodeRolls(t, t, new Set(['Sg']))).toEqual([
      expect.objectContaining({ role: 'data', kind: 'replace', reason: 'referenced resource replaced (Sg)' }),
    ]);
  });

  test('a launch template under a new logical id rolls the same role', () => {
    const rolls = nodeRolls(
      template({ DataLt: { role: 'data' } }),
      template({ DataLtV2: { role: 'data' } }),
      new Set(),
    );
    expect(rolls).toEqual([
      expect.objectContaining({
        kind: 'replace',
        logicalId: 'DataLtV2',
        reason: expect.stringContaining('DataLt → DataLtV2'),
      }),
    ]);
  });

  test('a new role launches nodes, a dropped one terminates them', () => {
    const rolls = nodeRolls(
      template({ DataLt: { role: 'data' } }),
      template({ LogstashLt: { role: 'logstash', count: 2 } }),
      new Set(),
    );
    expect(rolls.map((r) => [r.role, r.kind, r.nodeCount])).toEqual([
      ['logstash', 'launch', 2],
      ['data', 'remove', 3],
    ]);
  });

  test('unchanged launch template data and unreplaced references: no roll', () => {
    const t = template({ DataLt: { role: 'data' }, MasterLt: { role: 'master' } });
    expect(
      nodeRolls(t, template({ DataLt: { role: 'data', count: 5 }, MasterLt: { role: 'master' } }), new Set(['Other'])),
    ).toEqual([]);
  });

  test('without bootSeconds metadata there is no estimate, and the sentence says so', () => {
    const s = diffStack(
      'staging/cluster',
      stack(template({ MasterLt: { role: 'master', data: { ImageId: 'ami-1' } } })),
      stack(template({ MasterLt: { role: 'master', data: { ImageId: 'ami-2' } } })),
    );
    expect(s.nodes[0]!.estimateSeconds).toBeUndefined();
    expect(s.impact[0]).toContain('no time estimate');
  });

  test('master-only change estimates boot time per master', () => {
    const s = diffStack(
      'staging/cluster',
      stack(template({ MasterLt: { role: 'master', data: { ImageId: 'ami-1' }, boot: 240 } })),
      stack(template({ MasterLt: { role: 'master', data: { ImageId: 'ami-2' }, boot: 240 } })),
    );
    expect(s.impact).toEqual([
      "staging/cluster: master nodes' launch template changes: 3 master nodes will be replaced one by one; estimated 12 m from the configured data volume and recovery bandwidth; " +
        WAITS_FOR.elasticsearch,
    ]);
  });

  test('a Logstash replacement says it waits for Beats to move away and the persistent queue to drain', () => {
    const s = diffStack(
      'staging/cluster',
      stack(template({ LogstashLt: { role: 'logstash', data: { ImageId: 'ami-1' } } })),
      stack(template({ LogstashLt: { role: 'logstash', data: { ImageId: 'ami-2' } } })),
    );
    expect(s.impact).toHaveLength(1);
    expect(s.impact[0]).toMatch(/^staging\/cluster: Logstash: \d+ nodes? will be replaced/);
    expect(s.impact[0]).toContain(`; ${WAITS_FOR.logstash}`);
  });

  test('removing the data launch template without a successor is a data risk', () => {
    const s = diffStack('staging/cluster', stack(template({ DataLt: { role: 'data' } })), stack(template({})));
    expect(s.risks).toEqual([
      expect.objectContaining({
        action: 'nodes-removed',
        reason: expect.stringContaining('3 Elasticsearch data nodes removed'),
      }),
    ]);
  });

  test('a deleted bucket with DeletionPolicy Retain is flagged as retained, not destroyed', () => {
    const bucket = { Bucket: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' } };
    const s = diffStack('staging/cluster', stack(template({}, bucket)), stack(template({})));
    expect(s.risks).toEqual([expect.objectContaining({ path: 'Bucket', retained: true })]);
  });

  test('a resource declared stateful in metadata is flagged when deleted', () => {
    const ca = {
      Ca: {
        Type: 'Custom::ClusterCa',
        Properties: { ServiceToken: 'x' },
        Metadata: { 'elk-cdk:stateful': 'the cluster CA' },
      },
    };
    const s = diffStack('staging/cluster', stack(template({}, ca)), stack(template({})));
    expect(s.risks).toEqual([expect.objectContaining({ path: 'Ca', reason: 'the cluster CA', retained: false })]);
  });
});

describe('helpers', () => {
  test.each([
    [11400, '3 h 10 m'],
    [2700, '45 m'],
    [20, '< 1 m'],
    [3600, '1 h 0 m'],
  ])('formatDuration(%i) = %s', (s, text) => expect(formatDuration(s)).toBe(text));

  test('referencedIds finds Ref, GetAtt (both forms) and Fn::Sub variables', () => {
    const ids = referencedIds({
      a: { Ref: 'A' },
      b: { 'Fn::GetAtt': ['B', 'Arn'] },
      c: { 'Fn::GetAtt': 'C.Arn' },
      d: { 'Fn::Sub': 'x ${D.Arn} ${AWS::Region}' },
    });
    expect([...ids].sort()).toEqual(['A', 'B', 'C', 'D']);
  });

  test('ruleChanges reads RuleHashes of any resource', () => {
    const t = (h: Record<string, string>) => ({
      Resources: { R: { Type: 'Custom::Rules', Properties: { RuleHashes: h } } },
    });
    expect(ruleChanges(t({ a: '1' }), t({ a: '2', b: '1' }))).toEqual([
      { name: 'a', change: 'changed' },
      { name: 'b', change: 'added' },
    ]);
  });
});

describe('markdown size', () => {
  test('a huge diff is cut to fit a GitHub comment, keeping the summary sections', () => {
    const big = (v: string): Template => ({
      Resources: Object.fromEntries(
        Array.from({ length: 80 }, (_, i) => [
          `Param${i}`,
          { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: v.repeat(1000) } },
        ]),
      ),
    });
    const r = diffAssemblies(
      new Map([['staging/cluster', stack(big('a'))]]),
      new Map([['staging/cluster', stack(big('b'))]]),
    );
    const md = renderMarkdown(r);
    expect(md.length).toBeLessThan(65536);
    expect(md).toContain('… (cut; run npm run diff:base locally for the whole diff)');
    expect(md).toContain('### Stacks');
    expect(md).toContain('| staging/cluster | 80 changed |');
  });

  test('a very long resource table is cut with a count of the rows left out', () => {
    const many = (v: string): Template => ({
      Resources: Object.fromEntries(
        Array.from({ length: 250 }, (_, i) => [
          `P${i}`,
          { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: v } },
        ]),
      ),
    });
    // Long construct paths make each table row about 300 characters.
    const paths = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`P${i}`, `${'Deep/'.repeat(60)}P${i}`]));
    const r = diffAssemblies(
      new Map([['staging/cluster', { ...stack(many('a')), paths }]]),
      new Map([['staging/cluster', { ...stack(many('b')), paths }]]),
    );
    const md = renderMarkdown(r);
    expect(md.length).toBeLessThan(65536);
    expect(md).toMatch(/\| \| … \d+ more rows left out \(comment size limit\) \| \| \|/);
    expect(md).toContain('| staging/cluster | 250 changed |');
  });
});

describe('markdown size: security tables', () => {
  test('hundreds of new IAM statements are cut to half a comment', () => {
    const policy = (n: number): Template => ({
      Resources: {
        Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
        Policy: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyName: 'p',
            Roles: [{ Ref: 'Role' }],
            PolicyDocument: {
              Statement: Array.from({ length: n }, (_, i) => ({
                Effect: 'Allow',
                Action: `s3:GetObject`,
                Resource: `arn:aws:s3:::${'bucket-with-a-long-name-'.repeat(6)}${i}/*`,
              })),
            },
          },
        },
      },
    });
    const r = diffAssemblies(
      new Map([['staging/cluster', stack(policy(0))]]),
      new Map([['staging/cluster', stack(policy(400))]]),
    );
    const md = renderMarkdown(r);
    expect(md.length).toBeLessThan(65536);
    expect(md).toContain('… security tables cut (comment size limit)');
    expect(md).toContain('### Stacks');
  });
});

describe('groupRisks: in-place updates of an Elasticsearch group that terminate nodes without a drain', () => {
  const group = (props: Record<string, unknown>) => ({
    Type: 'AWS::AutoScaling::AutoScalingGroup',
    Properties: { LaunchTemplate: { LaunchTemplateId: { Ref: 'DataLt' } }, ...props },
  });
  const withGroup = (props: Record<string, unknown>, role = 'data') =>
    template({ DataLt: { role } }, { Sg: { Type: 'AWS::EC2::SecurityGroup' }, Group: group(props) });
  const subnets = { VPCZoneIdentifier: [{ Ref: 'Subnet1' }, { Ref: 'Subnet2' }], MinSize: '3', MaxSize: '4' };

  test.each([
    ['nothing changes', subnets, subnets, [], []],
    [
      'a referenced subnet is replaced',
      subnets,
      subnets,
      ['Subnet2'],
      [/subnets of VPCZoneIdentifier are replaced \(Subnet2\)/],
    ],
    [
      'the subnet list changes',
      subnets,
      { ...subnets, VPCZoneIdentifier: ['subnet-1'] },
      [],
      [/VPCZoneIdentifier changes/],
    ],
    ['MinSize goes down', subnets, { ...subnets, MinSize: '2', MaxSize: '3' }, [], [/MinSize 3 → 2.*1 data node/]],
    ['MinSize goes up', subnets, { ...subnets, MinSize: '5', MaxSize: '6' }, [], []],
    [
      'MaxSize alone goes below the nodes that run',
      subnets,
      { ...subnets, MaxSize: '2' },
      [],
      [/MaxSize 4 → 2, below the 3 running\).*1 data node/],
    ],
    ['MaxSize goes down to the nodes that run (less surge room)', subnets, { ...subnets, MaxSize: '3' }, [], []],
    [
      'MinSize and MaxSize go down together: one risk, not two',
      subnets,
      { ...subnets, MinSize: '1', MaxSize: '2' },
      [],
      [/MinSize 3 → 1.*2 data nodes/],
    ],
    [
      'MaxSize goes down on a protected group: a planned scale-in, no risk',
      { ...subnets, NewInstancesProtectedFromScaleIn: true },
      { ...subnets, MaxSize: '2', NewInstancesProtectedFromScaleIn: true },
      [],
      [],
    ],
    [
      'MinSize goes down while the group becomes protected (its instances are not yet)',
      subnets,
      { ...subnets, MinSize: '2', MaxSize: '3', NewInstancesProtectedFromScaleIn: true },
      [],
      [/MinSize 3 → 2/],
    ],
    [
      'MinSize goes down on a protected group: a planned scale-in, no risk',
      { ...subnets, NewInstancesProtectedFromScaleIn: true },
      { ...subnets, MinSize: '2', MaxSize: '3', NewInstancesProtectedFromScaleIn: true },
      [],
      [],
    ],
    ['the security group is replaced', subnets, subnets, ['Sg'], [/cluster split/]],
  ] as const)('%s', (_what, before, after, replaced, expected) => {
    const risks = groupRisks(withGroup(before), withGroup(after), new Set(replaced));
    expect(risks).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(risks[i]!.reason).toMatch(re));
  });

  test('plannedScaleIns: a lower MinSize of a group protected before and after', () => {
    const p = { ...subnets, NewInstancesProtectedFromScaleIn: true };
    expect(plannedScaleIns(withGroup(p), withGroup({ ...p, MinSize: '2' }))).toEqual([
      { logicalId: 'Group', role: 'data', from: 3, to: 2 },
    ]);
    expect(plannedScaleIns(withGroup(subnets), withGroup({ ...p, MinSize: '2' }))).toEqual([]);
    expect(plannedScaleIns(withGroup(p), withGroup({ ...p, MinSize: '4' }))).toEqual([]);
  });

  test('groups of Kibana or Logstash are not Elasticsearch data', () => {
    expect(groupRisks(withGroup(subnets, 'kibana'), withGroup(subnets, 'kibana'), new Set(['Subnet1']))).toEqual([]);
  });
});
