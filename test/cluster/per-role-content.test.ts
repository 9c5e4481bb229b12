import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { NODE_SCRIPTS_DIR, NodeScripts } from '../../lib/cluster/NodeScripts';
import { testApp } from '../helpers/app';
import { resourcesOf, synthEnvironment } from './helpers';

/** Only what a role needs reaches its launch template: a change for one role replaces no node of another. */
describe('per-role launch template content', () => {
  const s = synthEnvironment('staging');
  const userData = (role: string) => {
    const lts = Object.values(resourcesOf(s, 'AWS::EC2::LaunchTemplate')).filter(
      (r) => r.Metadata?.['elk-cdk:role'] === role,
    );
    expect(lts).toHaveLength(1);
    return JSON.stringify(lts[0]!.Properties!.LaunchTemplateData.UserData);
  };

  test('masterNodes.count is in the masters user data only', () => {
    expect(userData('master')).toContain("ELK_MASTER_COUNT='3'");
    expect(userData('data')).not.toContain('ELK_MASTER_COUNT');
  });

  test("each role's user data installs its own script asset and the security scripts, no other role's", () => {
    const scripts = s.stack.node.findChild('NodeScripts') as NodeScripts;
    const hash = (role: 'master' | 'data' | 'kibana' | 'logstash') => scripts.assetsFor(role).map((a) => a.assetHash);
    const all = new Set(scripts.assets.map((a) => a.assetHash));
    for (const role of ['master', 'data', 'kibana', 'logstash'] as const) {
      const text = userData(role);
      const own = hash(role);
      for (const h of all) {
        if (own.includes(h)) expect(text).toContain(h);
        else expect(text).not.toContain(h);
      }
    }
    expect(hash('master')).toEqual(hash('data'));
  });

  test('one isolated python3 unpacks both of a role’s assets (each start is tens of milliseconds of CPU)', () => {
    for (const role of ['master', 'data', 'kibana', 'logstash'] as const) {
      const lines = (JSON.parse(userData(role)) as { 'Fn::Base64': { 'Fn::Join': [string, unknown[]] } })['Fn::Base64'][
        'Fn::Join'
      ][1]
        .map((p) => (typeof p === 'string' ? p : '<ref>'))
        .join('')
        .split('\n');
      const python = lines.filter((l) => /\bpython3\b/.test(l));
      expect(python).toHaveLength(1);
      expect(python[0]).toMatch(/^python3 -I -c '.*extractall.*' "\$\{ELK_ROOT:-\}\/tmp\/elk-cdk\/stage"\/ /);
      expect(python[0]).toContain('/tmp/elk-cdk/node.zip"');
      expect(python[0]).toContain('/tmp/elk-cdk/security.zip"');
    }
  });
});

describe('script assets per family', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-node-scripts-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function hashes(dir: string) {
    const stack = new Stack(testApp(), 'S');
    const scripts = new NodeScripts(stack, 'Scripts', { nodeScriptsDir: dir });
    return {
      es: scripts.assetsFor('data')[0]!.assetHash,
      kibana: scripts.assetsFor('kibana')[0]!.assetHash,
      logstash: scripts.assetsFor('logstash')[0]!.assetHash,
    };
  }

  test('a comment in kibana-boot.sh changes the Kibana asset only (no Elasticsearch node is replaced)', () => {
    const dir = path.join(tmp, 'a');
    fs.cpSync(NODE_SCRIPTS_DIR, dir, { recursive: true });
    const before = hashes(dir);
    fs.appendFileSync(path.join(dir, 'kibana-boot.sh'), '# a comment\n');
    const after = hashes(dir);
    expect(after.es).toBe(before.es);
    expect(after.logstash).toBe(before.logstash);
    expect(after.kibana).not.toBe(before.kibana);
  });

  test('a change of a shared script (elastic-install.sh) changes every family', () => {
    const dir = path.join(tmp, 'b');
    fs.cpSync(NODE_SCRIPTS_DIR, dir, { recursive: true });
    const before = hashes(dir);
    fs.appendFileSync(path.join(dir, 'elastic-install.sh'), '# a comment\n');
    const after = hashes(dir);
    for (const k of ['es', 'kibana', 'logstash'] as const) expect(after[k]).not.toBe(before[k]);
  });
});
