import {
  diffAssemblies,
  DiffReport,
  readAssembly,
  renderMarkdown,
  renderText,
  runDiff,
  parseFailOn,
  COMMENT_MARKER,
} from '../../lib/diff';
import { DEFAULTS, FixtureOptions, fixtureVersion, synthFixture, tempDirs } from './fixture';
import { WAITS_FOR } from '../../lib/diff/report';

const dirs = tempDirs();
const synthed = new Map<string, string>();
function assembly(name: string, options: FixtureOptions = {}): string {
  if (!synthed.has(name)) synthed.set(name, synthFixture(dirs.make(name), options));
  return synthed.get(name)!;
}
function diff(head: string, base = 'base'): DiffReport {
  return diffAssemblies(readAssembly(synthed.get(base)!), readAssembly(synthed.get(head)!));
}

beforeAll(() => {
  assembly('base');
  assembly('same');
  assembly('bump', { elasticsearchVersion: '8.19.3' });
  assembly('bumpKibana', { elasticsearchVersion: '8.19.3', kibanaTag: '8.19.3' });
  assembly('iam', { wideIam: true });
  assembly('sg', { ingressCidr: '0.0.0.0/0' });
  assembly('rules', { rules: { 'high-error-rate': 'CHANGED', 'node-left': 'h3', 'shard-unassigned': 'h4' } });
  assembly('ca', { caSecretName: 'elk/staging/ca-renamed' });
  assembly('asg', { dataAsgName: 'elk-staging-data-v2' });
  assembly('v1', { version: fixtureVersion('aaaaaaa') });
  assembly('v2', { version: fixtureVersion('bbbbbbb', 'feature/x') });
});
afterAll(() => dirs.cleanup());

describe('node impact', () => {
  test('an Elasticsearch version bump replaces 6 data + 3 master nodes one by one, with a time estimate', () => {
    const r = diff('bump');
    const cluster = r.stacks.find((s) => s.name === 'staging/cluster')!;
    expect(cluster.nodes.map((n) => [n.role, n.kind, n.nodeCount, n.fromVersion, n.toVersion])).toEqual([
      ['data', 'replace', DEFAULTS.dataNodes, '8.18.2', '8.19.3'],
      ['master', 'replace', DEFAULTS.masterNodes, '8.18.2', '8.19.3'],
    ]);
    expect(cluster.impact).toEqual([
      "staging/cluster: data and master nodes' launch templates change (Elasticsearch 8.18.2 → 8.19.3): " +
        '6 data + 3 master nodes will be replaced one by one; estimated 3 h 10 m from the configured data volume and recovery bandwidth; ' +
        WAITS_FOR.elasticsearch,
    ]);
    expect(r.has).toEqual({ any: true, replacement: true, security: false });
  });

  test('node counts in the sentence follow the launch template metadata', () => {
    const r = diffAssemblies(
      readAssembly(assembly('small', { dataNodes: 2, masterNodes: 3 })),
      readAssembly(assembly('smallBump', { dataNodes: 2, masterNodes: 3, elasticsearchVersion: '8.19.3' })),
    );
    expect(r.stacks.flatMap((s) => s.impact).join('\n')).toContain(
      '2 data + 3 master nodes will be replaced one by one',
    );
  });

  test('Kibana is replaced after the Elasticsearch roll when its launch template changes too', () => {
    const impact = diff('bumpKibana').stacks.flatMap((s) => s.impact);
    expect(impact).toContain(
      `staging/cluster: Kibana: 2 nodes will be replaced after the Elasticsearch roll; about 10 m; ${WAITS_FOR.kibana}`,
    );
  });

  test('metadata-only launch template changes replace nothing: a Kibana launch template with the same data stays', () => {
    const nodes = diff('bump').stacks.flatMap((s) => s.nodes);
    expect(nodes.find((n) => n.role === 'kibana')).toBeUndefined();
  });

  test('identical assemblies show no change and no node impact', () => {
    const r = diff('same');
    expect(r.stacks.every((s) => s.status === 'unchanged')).toBe(true);
    expect(r.has).toEqual({ any: false, replacement: false, security: false });
    expect(renderText(r)).toContain('No node will be replaced and no alert rule changes.');
  });
});

describe('security changes', () => {
  test('an IAM widening shows in the security changes with construct paths, and replaces no node', () => {
    const r = diff('iam');
    const cluster = r.stacks.find((s) => s.name === 'staging/cluster')!;
    expect(cluster.security.changed).toBe(true);
    expect(cluster.security.broadened).toBe(true);
    const added = cluster.security.iamStatements.find((row) => row[0] === '+')!;
    expect(added.join(' ')).toContain('s3:*');
    expect(added.join(' ')).toContain('${NodeRole}');
    expect(cluster.nodes).toEqual([]);
    expect(r.has).toEqual({ any: true, replacement: false, security: true });
    expect(renderMarkdown(r)).toMatch(/### Security changes[\s\S]*s3:\*/);
  });

  test('opening a port to the internet shows as a security-group change', () => {
    const r = diff('sg');
    const rows = r.stacks.flatMap((s) => s.security.securityGroups);
    expect(rows).toContainEqual(['+', '${NodeSecurityGroup.GroupId}', 'In', 'TCP 9200', 'Everyone (IPv4)']);
    expect(r.has.security).toBe(true);
  });
});

describe('alert rules', () => {
  test('rule changes are listed by rule name: added, changed, removed', () => {
    const r = diff('rules');
    const alerter = r.stacks.find((s) => s.name === 'staging/alerter')!;
    expect(alerter.rules).toEqual([
      { name: 'disk-watermark', change: 'removed' },
      { name: 'high-error-rate', change: 'changed' },
      { name: 'shard-unassigned', change: 'added' },
    ]);
    expect(alerter.impact).toEqual([
      'staging/alerter: alert rules: added shard-unassigned; changed high-error-rate; removed disk-watermark',
    ]);
    expect(r.has.replacement).toBe(false);
  });
});

describe('data at risk', () => {
  test('a replaced CA secret is flagged at the top, before the impact section', () => {
    const r = diff('ca');
    expect(r.risks).toEqual([
      expect.objectContaining({ stack: 'staging/cluster', path: 'ClusterCa', action: 'replace', retained: false }),
    ]);
    for (const out of [renderText(r), renderMarkdown(r)]) {
      const risk = out.search(/DATA AT RISK|Data at risk/);
      expect(risk).toBeGreaterThan(-1);
      expect(risk).toBeLessThan(out.indexOf('Impact'));
      expect(out).toContain('ClusterCa (AWS::SecretsManager::Secret) REPLACED');
    }
    expect(r.has.replacement).toBe(true);
  });

  test('replacing the data Auto Scaling group is flagged: every data node would go at once', () => {
    const r = diff('asg');
    expect(r.risks).toHaveLength(1);
    expect(r.risks[0]).toMatchObject({
      path: 'DataGroup',
      type: 'AWS::AutoScaling::AutoScalingGroup',
      action: 'replace',
    });
    expect(r.risks[0]!.reason).toMatch(/data nodes: all of them terminate at once/);
  });
});

describe('the version stamp', () => {
  test('a commit that changes only the version changes no launch template and has no node impact', () => {
    const r = diff('v2', 'v1');
    const cluster = r.stacks.find((s) => s.name === 'staging/cluster')!;
    expect(cluster.resources).toEqual([]);
    expect(cluster.nodes).toEqual([]);
    expect(cluster.version).toEqual({ from: '0.1.0+10.aaaaaaa', to: '0.1.0-feature-x.bbbbbbb', taggedResources: 1 });
    expect(r.has).toEqual({ any: false, replacement: false, security: false });
    expect(renderText(r)).toContain('No node will be replaced');
    expect(renderText(r)).toContain('Build version 0.1.0+10.aaaaaaa → 0.1.0-feature-x.bbbbbbb');
  });
});

describe('runDiff (the command without process I/O)', () => {
  test.each([
    ['bump', ['replacement'], 1],
    ['bump', ['security'], 0],
    ['bump', ['any'], 1],
    ['iam', ['security'], 1],
    ['iam', ['replacement'], 0],
    ['rules', ['any'], 1],
    ['ca', ['replacement'], 1],
    ['same', ['any', 'replacement', 'security'], 0],
    ['bump', [], 0],
  ] as const)('%s with --fail-on %j exits %i', (head, failOn, code) => {
    expect(runDiff({ base: synthed.get('base')!, head: synthed.get(head)!, failOn: [...failOn] }).exitCode).toBe(code);
  });

  test('markdown starts with the comment marker and json round-trips', () => {
    const md = runDiff({ base: synthed.get('base')!, head: synthed.get('bump')!, format: 'markdown' }).output;
    expect(md.startsWith(COMMENT_MARKER)).toBe(true);
    const json = JSON.parse(runDiff({ base: synthed.get('base')!, head: synthed.get('bump')!, format: 'json' }).output);
    expect(json.has.replacement).toBe(true);
    expect(json.stacks.map((s: { name: string }) => s.name)).toEqual(['staging/alerter', 'staging/cluster']);
  });

  test('--fail-on takes a comma-separated list and rejects unknown kinds by name', () => {
    expect(parseFailOn('replacement, security')).toEqual(['replacement', 'security']);
    expect(() => parseFailOn('any,everything')).toThrow(
      '--fail-on: unknown kind "everything"; use one or more of any, replacement, security',
    );
  });

  test('construct paths replace logical ids in the resource list', () => {
    const r = diff('iam');
    const paths = r.stacks.flatMap((s) => s.resources.map((x) => x.path));
    expect(paths).toContain('NodeRole/DefaultPolicy');
    const detail = r.stacks.find((s) => s.name === 'staging/cluster')!.detail;
    expect(detail).toMatch(/\[~\] AWS::IAM::Policy NodeRole\/DefaultPolicy NodeRoleDefaultPolicy\w+/);
  });
});
