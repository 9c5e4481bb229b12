import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { ConfigWorkspace } from '../config-changes/synth';
import { testApp } from '../helpers/app';
import { FIXED_VERSION } from './helpers';

// Issue #13 (low): optional Elasticsearch audit logging. On: every Elasticsearch launch template tells es-config.sh
// (ELK_AUDIT_LOGGING, rendered and tested in node-scripts.test.ts); off (the default): no trace, so turning the
// option on is the only change that replaces nodes for it.

const ws = new ConfigWorkspace();
afterAll(() => ws.cleanup());

function esUserData(configDir: string): string[] {
  const [stage] = buildApp(testApp(), { environments: ['dev'], configDir, version: FIXED_VERSION, validate: false });
  const lts = Template.fromStack(stage!.cluster).findResources('AWS::EC2::LaunchTemplate');
  return Object.values(lts)
    .filter((r) => ['master', 'data'].includes(String(r.Metadata?.['elk-cdk:role'])))
    .map((r) => JSON.stringify(r.Properties.LaunchTemplateData.UserData));
}

describe('elasticsearch.auditLogging', () => {
  test('off by default: no Elasticsearch launch template mentions it', () => {
    const data = esUserData(ws.configDir());
    expect(data).toHaveLength(2);
    for (const u of data) expect(u).not.toContain('ELK_AUDIT_LOGGING');
  }, 300_000);

  test('on: the master and data launch templates carry ELK_AUDIT_LOGGING=true', () => {
    const dir = ws.configDir({
      'dev.yaml': (t) => t.replace(/^elasticsearch:\n/m, 'elasticsearch:\n  auditLogging: true\n'),
    });
    const data = esUserData(dir);
    expect(data).toHaveLength(2);
    for (const u of data) expect(u).toContain("ELK_AUDIT_LOGGING='true'");
  }, 300_000);
});
