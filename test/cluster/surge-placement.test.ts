/**
 * The real cluster stack with rollout.surgePlacement orchestrator and maxSurge > 1 (no checked-in environment uses it
 * yet): it synthesizes with zero unacknowledged cdk-nag findings, and the orchestrator's launch rights point at the
 * data group's own launch template, node role and security group.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadEnvironment } from '../../lib/config';
import { ElkStage } from '../../lib/ElkStage';
import { testApp } from '../helpers/app';
import { logicalId } from './helpers';

const previous = process.env.CDK_VALIDATION;
beforeAll(() => (process.env.CDK_VALIDATION = 'false')); // cdk-nag only (the full validator runs in validation.test.ts)
afterAll(() => (previous === undefined ? delete process.env.CDK_VALIDATION : (process.env.CDK_VALIDATION = previous)));

function stage(rollout: { maxSurge: number; surgePlacement: 'orchestrator' | 'auto-scaling' }) {
  const base = loadEnvironment('production');
  const config = { ...base, rollout: { ...base.rollout, ...rollout } };
  const app = testApp({ context: { '@aws-cdk/core:validateAgainstDefaultRules': false } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stage: new ElkStage(app, config.name, { config }) };
}

test('production with maxSurge 3 placed by the orchestrator: no unacknowledged cdk-nag finding, rights on its own data template', () => {
  const { app, stage: s } = stage({ maxSurge: 3, surgePlacement: 'orchestrator' });
  expect(() => app.synth()).not.toThrow();
  const stack: Stack = s.cluster;
  const text = JSON.stringify(Template.fromStack(stack).toJSON());
  const dataLt = logicalId(stack, s.cluster.dataLaunchTemplate);
  const masterLt = logicalId(stack, s.cluster.masterLaunchTemplate);
  const nodeRole = logicalId(stack, s.cluster.data.instanceRole);
  expect(text).toContain(`launch-template/",{"Ref":"${dataLt}"}`);
  expect(text).not.toContain(`launch-template/",{"Ref":"${masterLt}"}`);
  const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as { Sid?: string; Resource: unknown }[],
  );
  expect(statements.find((x) => x.Sid === 'SurgePassDataNodeRole')?.Resource).toEqual({
    'Fn::GetAtt': [nodeRole, 'Arn'],
  });
  expect(text).toContain('"SURGE_PLACEMENT_GROUP"');
});

test('production with maxSurge 3 placed by Auto Scaling: no launch rights', () => {
  const { stage: s } = stage({ maxSurge: 3, surgePlacement: 'auto-scaling' });
  const text = JSON.stringify(Template.fromStack(s.cluster).toJSON());
  expect(text).not.toContain('ec2:RunInstances');
  expect(text).not.toContain('SURGE_PLACEMENT_GROUP');
});
