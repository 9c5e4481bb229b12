import { Stack } from 'aws-cdk-lib';
import { buildApp } from '../../lib/app';
import { FIXED_VERSION } from '../cluster/helpers';
import { testApp } from '../helpers/app';
import { ConfigWorkspace } from './synth';

const ws = new ConfigWorkspace();
afterAll(() => ws.cleanup());

function waitCondition(configDir?: string) {
  const [stage] = buildApp(testApp(), { environments: ['ci'], configDir, version: FIXED_VERSION, validate: false });
  const rr = stage!.cluster.rollingReplacement;
  return { id: Stack.of(rr).getLogicalId(rr.waitCondition!), rolloutId: rr.rolloutId };
}

test('rollout.timeoutHours changed alone gives the WaitCondition a new logical id (CloudFormation cannot update one)', () => {
  const before = waitCondition();
  const after = waitCondition(ws.configDir({ 'ci.yaml': (t) => t.replace('timeoutHours: 4', 'timeoutHours: 5') }));
  expect(after.id).not.toBe(before.id);
  expect(after.rolloutId).not.toBe(before.rolloutId);
});
