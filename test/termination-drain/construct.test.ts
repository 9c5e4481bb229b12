import { Match } from 'aws-cdk-lib/assertions';
import { resourcesOf, synthEnvironment } from '../cluster/helpers';
import { DRAIN_HOOK_NAME } from '../../lib/termination-drain/TerminationDrain';

describe('TerminationDrain in the cluster stack', () => {
  const s = synthEnvironment('dev');
  const groups = Object.entries(resourcesOf(s, 'AWS::AutoScaling::AutoScalingGroup'))
    .filter(([, g]) => JSON.stringify(g.Properties!.Tags ?? []).includes('elasticsearch'))
    .map(([id]) => id);

  it('puts a termination lifecycle hook on the master and the data group', () => {
    const hooks = Object.values(resourcesOf(s, 'AWS::AutoScaling::LifecycleHook')).filter(
      (h) => h.Properties!.LifecycleHookName === DRAIN_HOOK_NAME,
    );
    expect(hooks).toHaveLength(2);
    for (const h of hooks) {
      expect(h.Properties).toMatchObject({
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
        HeartbeatTimeout: 3600,
        DefaultResult: 'CONTINUE',
      });
      expect(h.Properties!.NotificationTargetARN).toBeUndefined();
    }
    const hooked = hooks.map((h) => (h.Properties!.AutoScalingGroupName as { Ref: string }).Ref).sort();
    expect(hooked).toHaveLength(2);
    expect(groups).toEqual(expect.arrayContaining(hooked));
  });

  it('sends the lifecycle events of exactly those groups and that hook to the drain workflow', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-terminate Lifecycle Action'],
        detail: { LifecycleHookName: [DRAIN_HOOK_NAME], AutoScalingGroupName: Match.anyValue() },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('TerminationDrainStarter') } })],
    });
  });

  it('starts one drain execution per lifecycle action: named after the instance and the token, a repeat caught', () => {
    const [starter] = Object.entries(resourcesOf(s, 'AWS::StepFunctions::StateMachine')).filter(([id]) =>
      id.includes('TerminationDrainStarter'),
    );
    const def = JSON.stringify(starter![1].Properties!.DefinitionString);
    expect(def).toContain('states:::states:startExecution');
    expect(def).not.toContain('startExecution.sync');
    expect(def).toContain(
      String.raw`\"Name.$\":\"States.Format('{}-{}', $.detail.EC2InstanceId, $.detail.LifecycleActionToken)\"`,
    );
    expect(def).toContain('StepFunctions.ExecutionAlreadyExistsException');
    expect(def).toMatch(/TerminationDrainWorkflow/);
  });

  it('lets the step complete and heartbeat lifecycle actions of these two groups only', () => {
    const statements = Object.values(resourcesOf(s, 'AWS::IAM::Policy'))
      .flatMap(
        (p) =>
          p.Properties!.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Sid?: string }[],
      )
      .filter((st) => [st.Action].flat().some((a) => /Lifecycle/.test(a)));
    expect(statements).toHaveLength(1);
    expect([statements[0]!.Action].flat().sort()).toEqual([
      'autoscaling:CompleteLifecycleAction',
      'autoscaling:RecordLifecycleActionHeartbeat',
    ]);
    const resources = [statements[0]!.Resource].flat().map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(2);
    for (const r of resources) expect(r).toMatch(/autoScalingGroupName\//);
  });

  it('keeps AZRebalance suspended on both groups', () => {
    const calls = Object.values(resourcesOf(s, 'Custom::AWS')).map((r) => JSON.stringify(r.Properties!.Create));
    expect(calls.filter((c) => c.includes('suspendProcesses') && c.includes('AZRebalance'))).toHaveLength(2);
  });
});
