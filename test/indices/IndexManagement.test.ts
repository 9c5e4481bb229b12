import { Match } from 'aws-cdk-lib/assertions';
import { IndexDefinitionError } from '../../lib/indices';
import { ENVIRONMENTS, resourcesOf, synthEnvironment } from '../cluster/helpers';
import { buildApp } from '../../lib/app';
import { testApp } from '../helpers/app';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { parseDocument } from 'yaml';

describe('IndexManagement in the cluster stack', () => {
  const s = synthEnvironment('dev');

  it('carries the compiled definitions of indices/ in its properties, tokens replaced', () => {
    const [resource] = Object.values(resourcesOf(s, 'Custom::ElkIndexDefinitions'));
    const defs = JSON.parse(resource!.Properties!.DefinitionsJson as string) as {
      kind: string;
      name: string;
      body: { template: { settings: { index: unknown } } };
    }[];
    expect(defs.map((d) => `${d.kind}/${d.name}`).sort()).toEqual([
      'component-template/elk-logs-mappings',
      'component-template/elk-logs-settings',
      'ilm-policy/elk-logs',
      'index-template/elk-logs',
    ]);
    const settings = defs.find((d) => d.name === 'elk-logs-settings')!.body.template.settings.index;
    expect(settings).toEqual({ number_of_shards: 1, number_of_replicas: 1, lifecycle: { name: 'elk-logs' } });
  });

  it('runs after the security bootstrap (its user exists only then)', () => {
    const [resource] = Object.values(resourcesOf(s, 'Custom::ElkIndexDefinitions'));
    const bootstrap = Object.keys(resourcesOf(s, 'Custom::ElkSecurityBootstrap'))[0]!;
    expect(resource!.DependsOn).toContain(bootstrap);
  });

  it('gives its Lambdas exactly the index_manager secret, no other secret', () => {
    const readers = Object.entries(resourcesOf(s, 'AWS::IAM::Policy'))
      .filter(([, p]) =>
        (p.Properties!.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith('IndexManagementRole')),
      )
      .flatMap(([, p]) => p.Properties!.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((st) => [st.Action].flat().includes('secretsmanager:GetSecretValue'));
    const secretIds = readers.flatMap((st) => [st.Resource].flat().map((r) => JSON.stringify(r)));
    expect(secretIds).toHaveLength(1);
    expect(secretIds[0]).toMatch(/SecurityUserIndexManager/);
  });

  it('runs in the VPC with the client security group', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('index templates and ILM policies \\(IsComplete\\)'),
      VpcConfig: Match.objectLike({ SecurityGroupIds: Match.anyValue() }),
    });
  });
});

describe('synth refuses invalid index definitions for an environment', () => {
  it.each(ENVIRONMENTS)('%s: too many replicas for its data nodes, naming file, key and fix', (env) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'elk-config-'));
    for (const f of readdirSync('config/environments')) {
      if (f.endsWith('.yaml')) writeFileSync(path.join(dir, f), readFileSync(path.join('config/environments', f)));
    }
    const file = path.join(dir, `${env}.yaml`);
    const doc = parseDocument(readFileSync(file, 'utf8'));
    doc.setIn(['indices', 'tokens'], { LOGS_SHARDS: 1, LOGS_REPLICAS: 9, LOGS_RETENTION_DAYS: 7 });
    writeFileSync(file, doc.toString());
    const build = () =>
      buildApp(testApp({ context: { 'aws:cdk:bundling-stacks': [] } }), {
        configDir: dir,
        environments: [env],
        validate: false,
      });
    expect(build).toThrow(IndexDefinitionError);
    expect(build).toThrow(
      /indices\/component-templates\/elk-logs-settings\.yaml: template\.settings\.index\.number_of_replicas: .*9 replica\(s\).*raise elasticsearch\.dataNodes\.count/,
    );
  });
});
