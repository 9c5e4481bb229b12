/** A fake Lambda runtime over the fake world, and the custom resource's events, for the handler tests. */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { RolloutProperties, WorkflowState } from '../../lambda/rolling-replacement/contract';
import type { Runtime } from '../../lambda/rolling-replacement/handlers/runtime';
import type { SignalTarget } from '../../lambda/rolling-replacement/handlers/signal-url';
import type { FakeWorld } from './fake-world';

export const SM = 'arn:aws:states:eu-west-1:111111111111:stateMachine:elk-dev-rollout';
export const props = (over: Partial<RolloutProperties> = {}): RolloutProperties => ({
  SchemaVersion: '1',
  Environment: 'dev',
  RolloutId: 'r-abc123',
  DataGroupName: 'data-asg',
  MasterGroupName: 'master-asg',
  TargetVersion: '8.19.3',
  DataLaunchTemplateVersion: '2',
  MasterLaunchTemplateVersion: '2',
  StateMachineArn: SM,
  WaitHandleUrl: 'https://cloudformation-waitcondition.s3.amazonaws.com/handle',
  PollSeconds: '30',
  JoinTimeoutSeconds: '1800',
  ...over,
});

export class FakeRuntime implements Runtime {
  running: string[] = [];
  started: Array<{ name: string; input: WorkflowState }> = [];
  stopped: string[] = [];
  signals: Array<Record<string, string>> = [];
  metrics: Array<Record<string, number>> = [];
  status = 'UPDATE_IN_PROGRESS';
  clock = 1_000_000;
  constructor(readonly world: FakeWorld) {}
  async ports() {
    return { es: this.world, fleet: this.world };
  }
  async stackStatus() {
    return this.status;
  }
  async runningExecutions() {
    return [...this.running];
  }
  async startExecution(_arn: string, name: string, input: string) {
    this.started.push({ name, input: JSON.parse(input) as WorkflowState });
    return `${SM.replace(':stateMachine:', ':execution:')}:${name}`;
  }
  async stopExecution(arn: string) {
    this.stopped.push(arn);
    this.running = this.running.filter((r) => r !== arn);
  }
  async executionStatus() {
    return 'RUNNING';
  }
  async putMetrics(_env: string, m: Record<string, number>) {
    this.metrics.push(m);
  }
  readonly signalTargets: SignalTarget[] = [];
  async signal(target: SignalTarget, body: Record<string, string>) {
    this.signalTargets.push(target);
    this.signals.push(body);
  }
  now() {
    return this.clock;
  }
}

export function event(type: 'Create' | 'Update' | 'Delete', p = props()): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:x',
    ResponseURL: 'https://example.invalid',
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/elk-dev-cluster/1',
    RequestId: 'req-0001-aaaa',
    LogicalResourceId: 'Rollout',
    ResourceType: 'Custom::RollingReplacement',
    ResourceProperties: { ServiceToken: 'x', ...p },
  };
  if (type === 'Create') return { ...base, RequestType: 'Create' };
  if (type === 'Update') {
    return {
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: 'dev-rolling-replacement',
      OldResourceProperties: { ServiceToken: 'x' },
    };
  }
  return { ...base, RequestType: 'Delete', PhysicalResourceId: 'dev-rolling-replacement' };
}
