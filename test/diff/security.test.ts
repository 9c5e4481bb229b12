import { AssemblyStack, diffAssemblies, readableCell, renderIntrinsic, renderText, Template } from '../../lib/diff';

const HASH_A = 'a1'.repeat(32);
const HASH_B = 'b2'.repeat(32);

/** An alerter-like stack: a role that may read its rule bundle (an asset) and a secret. */
function stack(bundleKey: string, extra: unknown[] = []): AssemblyStack {
  const template: Template = {
    Resources: {
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
        },
      },
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'p',
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 's3:GetObject',
                Resource: {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':s3:::',
                      { 'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}' },
                      `/${bundleKey}.tar`,
                    ],
                  ],
                },
              },
              ...extra,
            ],
          },
        },
      },
    },
  };
  return { name: 'staging/alerter', stage: 'staging', template, paths: { Role: 'InstanceRole', Policy: 'Policy' } };
}

const diff = (a: AssemblyStack, b: AssemblyStack) => diffAssemblies(new Map([[a.name, a]]), new Map([[b.name, b]]));

describe('security changes', () => {
  test('a grant whose only change is an asset key (a new rule bundle) is not a security change', () => {
    const r = diff(stack(HASH_A), stack(HASH_B));
    const s = r.stacks[0]!;
    expect(s.status).toBe('changed');
    expect(s.security).toMatchObject({ changed: false, broadened: false, iamStatements: [], assetKeyOnly: true });
    expect(r.has.security).toBe(false);
    expect(r.has.any).toBe(true);
    expect(renderText(r)).not.toMatch(/Security changes|WIDENS/);
  });

  test('a real new grant is one, and its cells show intrinsics readably, the asset key as <asset>', () => {
    const secret = {
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:elk/x-*' },
    };
    const r = diff(stack(HASH_A), stack(HASH_B, [secret]));
    const s = r.stacks[0]!.security;
    expect(r.has.security).toBe(true);
    expect(s.broadened).toBe(true);
    const cells = s.iamStatements.flat();
    expect(cells.join('\n')).not.toContain('Fn::');
    expect(cells).toContain('arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:elk/x-*');
    // The bundle grant is unchanged once asset keys are normalized: only the new statement is listed.
    expect(s.iamStatements.filter((row) => row[0] === '+' || row[0] === '-')).toHaveLength(1);
  });
});

describe('renderIntrinsic and readableCell', () => {
  test.each([
    [{ Ref: 'Bucket' }, '${Bucket}'],
    [{ 'Fn::GetAtt': ['Role', 'Arn'] }, '${Role.Arn}'],
    [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b' }, 'arn:${AWS::Partition}:s3:::b'],
    [{ 'Fn::Sub': ['${A}/x-${B}', { A: { Ref: 'Bucket' } }] }, '${Bucket}/x-${B}'],
    [{ 'Fn::Join': ['/', ['a', { Ref: 'B' }]] }, 'a/${B}'],
    [{ 'Fn::ImportValue': 'net-vpc' }, '${Import:net-vpc}'],
    [{ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }, 'GetAZs()[0]'],
  ])('%j → %s', (v, text) => expect(renderIntrinsic(v)).toBe(text));

  test('JSON intrinsics embedded in a table cell are rendered; other text is kept', () => {
    const cell = 'arn:${AWS::Partition}:s3:::{"Fn::Sub":"cdk-assets-${AWS::AccountId}"}/k.tar and {not json}';
    expect(readableCell(cell)).toBe('arn:${AWS::Partition}:s3:::cdk-assets-${AWS::AccountId}/k.tar and {not json}');
    expect(readableCell('{"Ref":"X"}-{"Fn::GetAtt":["Y","Arn"]}')).toBe('${X}-${Y.Arn}');
  });
});
