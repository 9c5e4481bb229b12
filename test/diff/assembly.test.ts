import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { AssemblyStack, diffAssemblies, readAssembly, roleTemplates } from '../../lib/diff';
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

describe('the real app', () => {
  test('synthesizing twice with different versions changes no resource and replaces no node', () => {
    // Templates via Template.fromStack: policy-validation plugins (cdk-nag) registered on the app do not run there,
    // so findings in stacks under construction cannot hide what this test is about.
    const synth = (sha: string, branch: string) => {
      const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
      const stages = buildApp(app, {
        // production requires releases: main's build has no release rule, the branch build has one.
        environments: ['staging', 'production'],
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
    };
    const base = synth('abc1111', 'main');
    const r = diffAssemblies(base, synth('abc2222', 'feature/y'));
    // Not vacuous: the real cluster stacks have launch templates with role metadata, and code resources carry the tag.
    expect(roleTemplates(base.get('staging/cluster')!.template).map((t) => t.role)).toEqual(
      expect.arrayContaining(['master', 'data']),
    );
    expect(r.stacks.some((s) => (s.version?.taggedResources ?? 0) > 0)).toBe(true);
    expect(r.stacks.length).toBeGreaterThanOrEqual(2);
    expect(r.stacks.flatMap((s) => s.nodes)).toEqual([]);
    expect(r.stacks.flatMap((s) => s.resources)).toEqual([]);
    expect(r.has).toEqual({ any: false, replacement: false, security: false });
    expect(r.stacks.map((s) => [s.name, s.version?.to])).toEqual(
      r.stacks.map((s) => [s.name, '0.1.0-feature-y.abc2222']),
    );
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
