import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseDocument } from 'yaml';
import { buildApp } from '../../lib/app';
import { loadEnvironment } from '../../lib/config';
import { AssemblyStack, autoScalingGroupRole, diffAssemblies, readAssembly, roleTemplates } from '../../lib/diff';
import { computeVersion } from '../../lib/version';
import { cdkJsonContext, PROJECT_ROOT } from '../helpers/app';
import { synthFixture, tempDirs } from './fixture';

const dirs = tempDirs();
afterAll(() => dirs.cleanup());

describe('readAssembly', () => {
  test('reads nested stage assemblies by display name with construct paths', () => {
    const stacks = readAssembly(synthFixture(dirs.make('fx')));
    expect([...stacks.keys()].sort()).toEqual(['staging/alerter', 'staging/cluster']);
    const cluster = stacks.get('staging/cluster')!;
    expect(cluster.stage).toBe('staging');
    expect(Object.values(cluster.paths)).toContain('NodeRole/DefaultPolicy');
  });

  test('a missing folder or a folder without manifest.json gets an error that says what to do', () => {
    expect(() => readAssembly(dirs.make('nope'))).toThrow(/no such folder; synthesize first/);
    const empty = dirs.make('empty');
    fs.mkdirSync(empty);
    expect(() => readAssembly(empty)).toThrow(/not a cloud assembly \(no manifest\.json\)/);
  });
});

// Templates via Template.fromStack: policy-validation plugins (cdk-nag) registered on the app do not run there,
// so findings in stacks under construction cannot hide what this test is about.
const appCache = new Map<string, Map<string, AssemblyStack>>();
function synthApp(sha: string, branch: string, configDir?: string): Map<string, AssemblyStack> {
  const key = `${sha} ${branch} ${configDir ?? ''}`;
  if (!appCache.has(key)) appCache.set(key, synthAppUncached(sha, branch, configDir));
  return appCache.get(key)!;
}

function synthAppUncached(sha: string, branch: string, configDir?: string): Map<string, AssemblyStack> {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stages = buildApp(app, {
    // production requires releases: main's build has no release rule, the branch build has one.
    environments: ['staging', 'production'],
    configDir,
    version: computeVersion('0.1.0', { sha, branch, dirty: false, commitCount: 1 }, {}),
  });
  const stacks = new Map<string, AssemblyStack>();
  for (const stage of stages) {
    for (const stack of stage.node.findAll().filter((c): c is Stack => Stack.isStack(c))) {
      const name = `${stage.stageName}/${stack.node.id}`;
      stacks.set(name, { name, stage: stage.stageName, template: Template.fromStack(stack).toJSON(), paths: {} });
    }
  }
  return stacks;
}

describe('the real app', () => {
  test('synthesizing twice with different versions changes no resource and replaces no node', () => {
    const base = synthApp('abc1111', 'main');
    const r = diffAssemblies(base, synthApp('abc2222', 'feature/y'));
    // Not vacuous: the real cluster stacks have launch templates with role metadata, and code resources carry the tag.
    expect(roleTemplates(base.get('staging/cluster')!.template).map((t) => t.role)).toEqual(
      expect.arrayContaining(['master', 'data']),
    );
    expect(r.stacks.some((s) => (s.version?.taggedResources ?? 0) > 0)).toBe(true);
    // …and their Auto Scaling groups are recognised by role, so replacing one would be flagged as data at risk.
    const cluster = base.get('staging/cluster')!.template;
    const asgRoles = Object.values(cluster.Resources ?? {})
      .filter((x) => x.Type === 'AWS::AutoScaling::AutoScalingGroup')
      .map((x) => autoScalingGroupRole(x, cluster));
    expect(asgRoles).toEqual(expect.arrayContaining(['master', 'data']));
    expect(r.stacks.length).toBeGreaterThanOrEqual(2);
    expect(r.stacks.flatMap((s) => s.nodes)).toEqual([]);
    expect(r.stacks.flatMap((s) => s.resources)).toEqual([]);
    expect(r.has).toEqual({ any: false, replacement: false, security: false });
    expect(r.stacks.map((s) => [s.name, s.version?.to])).toEqual(
      r.stacks.map((s) => [s.name, '0.1.0-feature-y.abc2222']),
    );
  });
});

describe('the real app with two configs', () => {
  test('an Elasticsearch version bump replaces every data and master node of the environment, Kibana after the roll', () => {
    const configDir = dirs.make('config');
    fs.cpSync(path.join(PROJECT_ROOT, 'config', 'environments'), configDir, { recursive: true });
    const staging = loadEnvironment('staging', configDir);
    const [major, minor, patch] = staging.elasticsearch.version.split('.').map(Number);
    const next = `${major}.${minor}.${patch! + 1}`;
    const file = path.join(configDir, 'staging.yaml');
    const doc = parseDocument(fs.readFileSync(file, 'utf8'));
    doc.setIn(['elasticsearch', 'version'], next);
    fs.writeFileSync(file, doc.toString());

    const r = diffAssemblies(synthApp('abc1111', 'main'), synthApp('abc1111', 'main', configDir));
    const data = staging.elasticsearch.dataNodes.count;
    const masters = staging.elasticsearch.masterNodes.count;
    const impact = r.stacks.find((s) => s.name === 'staging/cluster')!.impact;
    expect(impact[0]).toContain(
      `(Elasticsearch ${staging.elasticsearch.version} → ${next}; caused by elasticsearch.version)`,
    );
    // The stack keeps data volumes beyond their instances (elk-cdk:data-volumes), so rollout.method auto hands off.
    expect(impact[0]).toContain(
      `${data} data + ${masters} master nodes will be replaced (data nodes: volume handoff where safe, else drain, ` +
        'rollout.method auto; masters one by one); estimated ',
    );
    expect(impact[0]).toContain('from the boot time (a handoff copies only what changed while a node is away)');
    if (staging.kibana.count > 0) {
      expect(impact.join('\n')).toContain(`Kibana: ${staging.kibana.count} node`);
      expect(impact.join('\n')).toContain('after the Elasticsearch roll');
    }
    expect(r.stacks.find((s) => s.name === 'production/cluster')!.nodes).toEqual([]);
    expect(r.risks).toEqual([]);
  });
});

describe('elkctl diff (process)', () => {
  const elkctl = (...args: string[]) =>
    spawnSync(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(PROJECT_ROOT, 'bin', 'elkctl.ts'), 'diff', ...args],
      {
        encoding: 'utf8',
        cwd: PROJECT_ROOT,
      },
    );

  test('exits 1 for a --fail-on kind that is present and still writes the report', () => {
    const base = synthFixture(dirs.make('cli-base'));
    const head = synthFixture(dirs.make('cli-head'), { wideIam: true });
    const out = dirs.make('report.md');
    const security = elkctl(
      '--base',
      base,
      '--head',
      head,
      '--fail-on',
      'replacement,security',
      '--format',
      'markdown',
      '--output',
      out,
    );
    expect(security.status).toBe(1);
    expect(security.stderr).toContain('failing because the diff has: security');
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^<!-- elk-cdk-diff -->[\s\S]*### Security changes/);
  });
});
