import * as fs from 'fs';
import * as path from 'path';
import { Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { ElkStage } from '../../lib/ElkStage';
import { PROJECT_ROOT, testApp } from '../helpers/app';
import { FIXED_VERSION } from '../cluster/helpers';

/** Every stack template of the app, by artifact path, as JSON text (no synth-time plugins: fast). */
function templates(stages: ElkStage[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const stage of stages) {
    for (const stack of stage.node.findAll().filter((c): c is Stack => Stack.isStack(c))) {
      out[`${stage.stageName}/${stack.node.id}`] = JSON.stringify(Template.fromStack(stack).toJSON());
    }
  }
  return out;
}

describe('the CDK app', () => {
  const stages = buildApp(testApp(), { version: FIXED_VERSION });

  test('has one stage per environment file, so `cdk deploy <env>/*` deploys one environment', () => {
    expect(stages.map((s) => s.stageName).sort()).toEqual(['ci', 'dev', 'production', 'staging']);
    for (const s of stages) expect(s.cluster.stackName).toBe(`elk-${s.stageName}-cluster`);
  });

  test('dev and ci are environment-agnostic; staging and production pin account and region from config', () => {
    const env = Object.fromEntries(stages.map((s) => [s.stageName, [s.account, s.region]]));
    expect(env.dev).toEqual([undefined, undefined]);
    expect(env.ci).toEqual([undefined, undefined]);
    expect(env.staging).toEqual(['111111111111', 'eu-west-1']);
    expect(env.production).toEqual(['222222222222', 'eu-west-1']);
  });

  test('two builds of the same code produce identical templates', () => {
    // One environment-agnostic and one pinned environment (bench/synth.bench.ts compares all of them, byte for byte,
    // across two `cdk synth` runs).
    const environments = ['dev', 'production'];
    const a = templates(buildApp(testApp(), { environments, version: FIXED_VERSION }));
    const b = templates(buildApp(testApp(), { environments, version: FIXED_VERSION }));
    expect(Object.keys(a).length).toBeGreaterThanOrEqual(2);
    expect(b).toEqual(a);
  });

  test('every retained resource is retained on update and delete only, never after a rolled-back first create', () => {
    // A plain Retain leaves named resources (KMS key, secrets, the snapshot bucket) behind when a first create rolls
    // back, and the next create then fails with "already exists".
    const policies = new Map<string, number>();
    for (const [stack, text] of Object.entries(templates(stages))) {
      const t = JSON.parse(text) as { Resources: Record<string, { Type: string; DeletionPolicy?: string }> };
      for (const [id, r] of Object.entries(t.Resources)) {
        const p = r.DeletionPolicy ?? 'Delete';
        expect({ resource: `${stack}/${id} (${r.Type})`, p }).toEqual({
          resource: `${stack}/${id} (${r.Type})`,
          p: expect.stringMatching(/^(Delete|RetainExceptOnCreate)$/),
        });
        policies.set(p, (policies.get(p) ?? 0) + 1);
      }
    }
    expect(policies.get('RetainExceptOnCreate')).toBeGreaterThanOrEqual(stages.length * 3);
  });

  test('the `envs` context builds only the named environments', () => {
    const app = testApp({ context: { envs: 'dev,staging' } });
    const only = buildApp(app, { version: FIXED_VERSION });
    expect(only.map((s) => s.stageName)).toEqual(['dev', 'staging']);
    expect(app.node.children.filter((c) => Stage.isStage(c))).toHaveLength(2);
  });

  test('no environment needs a lookup: nothing is missing from the context', () => {
    for (const stage of stages) {
      const missing = stage.synth({ validateOnSynthesis: false }).manifest.missing ?? [];
      expect({ stage: stage.stageName, missing }).toEqual({ stage: stage.stageName, missing: [] });
    }
  });
});

describe('cdk.json', () => {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'));

  test('runs the app from source with tsx and never phones home', () => {
    expect(cdkJson.app).toBe('node_modules/.bin/tsx bin/app.ts');
    expect(cdkJson.notices).toBe(false);
    expect(cdkJson.versionReporting).toBe(false);
  });

  test('sets the feature flags that are unsafe to change after a first deploy; the README says which are left off', () => {
    expect(cdkJson.context).toMatchObject({
      // no strong cross-stack export may ever tie two stacks (an export in use blocks their deploys)
      '@aws-cdk/core:defaultCrossStackReferences': 'weak',
      '@aws-cdk/core:explicitStackTags': true,
      '@aws-cdk/aws-lambda:useCdkManagedLogGroup': true,
    });
    // The README's paragraph: the flags it says are set are set, the ones it leaves off are not.
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const paragraph = readme.slice(readme.indexOf('**Feature flags**'), readme.indexOf('## Safety predicates'));
    const [set, off] = paragraph.split('Deliberately left off:');
    const names = (text: string) => [...text!.matchAll(/`([\w-]+:\w+)(?:: \w+)?`/g)].map((m) => `@aws-cdk/${m[1]}`);
    expect(names(set!).length).toBeGreaterThanOrEqual(10);
    for (const flag of names(set!)) expect({ flag, set: flag in cdkJson.context }).toEqual({ flag, set: true });
    expect(names(off!)).toContain('@aws-cdk/aws-elasticloadbalancingv2:networkLoadBalancerWithSecurityGroupByDefault');
    for (const flag of names(off!)) expect({ flag, set: flag in cdkJson.context }).toEqual({ flag, set: false });
  });

  test('turns AWS CloudFormation validator errors into synth errors', () => {
    expect(cdkJson.context['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
  });
});
