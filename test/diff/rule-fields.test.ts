import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffAssemblies, fieldChanges, readAssembly, renderText, untar } from '../../lib/diff';
import { tar } from '../../lib/rules/tar';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-rule-fields-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** An assembly with one stage and an alerter-like stack whose rule bundle asset holds `rule`. */
function assembly(name: string, rule: string): string {
  const dir = path.join(root, name);
  const stage = path.join(dir, 'assembly-staging');
  fs.mkdirSync(stage, { recursive: true });
  const bundle = tar([
    {
      path: 'manifest.json',
      content: JSON.stringify({ rules: [{ name: 'Error log spike', file: 'rules/spike.yaml' }] }),
    },
    { path: 'rules/spike.yaml', content: rule },
  ]);
  const hash = createHash('sha256').update(bundle).digest('hex');
  fs.writeFileSync(path.join(dir, `asset.${hash}.tar`), bundle);
  const template = {
    Resources: {
      Deploy: {
        Type: 'Custom::AlerterRuleDeployment',
        Metadata: { 'elk-cdk:component': 'alerter' },
        Properties: {
          BundleS3Url: { 'Fn::Sub': `s3://cdk-assets-\${AWS::AccountId}/${hash}.tar` },
          RuleHashes: { 'Error log spike': createHash('sha256').update(rule).digest('hex').slice(0, 16) },
        },
      },
    },
  };
  fs.writeFileSync(path.join(stage, 'alerter.template.json'), JSON.stringify(template));
  const stack = { type: 'aws:cloudformation:stack', properties: { templateFile: 'alerter.template.json' } };
  fs.writeFileSync(
    path.join(stage, 'manifest.json'),
    JSON.stringify({
      version: '55.0.0',
      artifacts: { 'staging-alerter': { ...stack, displayName: 'staging/alerter' } },
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      version: '55.0.0',
      artifacts: {
        'assembly-staging': { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-staging' } },
      },
    }),
  );
  return dir;
}

const rule = (height: number, minutes = 10) =>
  `name: Error log spike\ntype: spike\nspike_height: ${height}\ntimeframe:\n  minutes: ${minutes}\nalert: [slack]\n`;

describe('rule changes field by field', () => {
  test('a changed threshold is shown as key: old → new in the impact', () => {
    const r = diffAssemblies(readAssembly(assembly('a', rule(3))), readAssembly(assembly('b', rule(4, 15))));
    const s = r.stacks.find((x) => x.name === 'staging/alerter')!;
    expect(s.rules).toEqual([{ name: 'Error log spike', change: 'changed' }]);
    expect(s.ruleFields).toEqual({ 'Error log spike': ['spike_height: 3 → 4', 'timeframe.minutes: 10 → 15'] });
    expect(renderText(r)).toContain(
      'staging/alerter: rule Error log spike: spike_height: 3 → 4; timeframe.minutes: 10 → 15',
    );
  });

  test('fieldChanges names added and removed keys', () => {
    expect(fieldChanges({ a: 1, b: { c: 'x' } }, { a: 1, d: [1, 2] })).toEqual([
      'b.c: removed (was x)',
      'd: added ([1,2])',
    ]);
  });

  test('untar reads what lib/rules/tar writes', () => {
    const files = untar(
      tar([{ path: 'rules/' }, { path: 'rules/a.yaml', content: 'x: 1\n' }, { path: 'b', content: '' }]),
    );
    expect([...files.entries()]).toEqual([
      ['rules/a.yaml', 'x: 1\n'],
      ['b', ''],
    ]);
  });
});
