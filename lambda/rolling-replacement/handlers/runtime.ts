/**
 * What the handlers need from AWS, built once per cold start. Tests replace it with fakes (setRuntime).
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { createEsClientFromAws } from '../../shared/es-client';
import { AutoScalingFleet } from '../adapters/autoscaling';
import { ElasticsearchAdapter } from '../adapters/elasticsearch';
import { VolumeHandoff } from '../adapters/volume-handoff';
import { ZoneLaunches } from '../adapters/zone-launch';
import { resolveSignalUrl, type SignalTarget } from './signal-url';
import { parseEnv } from '../contract';
import type { EsPort } from '../core/es-port';
import type { FleetPort } from '../core/fleet-port';

export interface Runtime {
  ports(groups: { data: string; master: string }): Promise<{ es: EsPort; fleet: FleetPort }>;
  /** The stack's status (DescribeStacks), e.g. UPDATE_ROLLBACK_IN_PROGRESS. */
  stackStatus(stackId: string): Promise<string | undefined>;
  runningExecutions(stateMachineArn: string): Promise<string[]>;
  startExecution(stateMachineArn: string, name: string, input: string): Promise<string>;
  stopExecution(executionArn: string, cause: string): Promise<void>;
  executionStatus(executionArn: string): Promise<string | undefined>;
  putMetrics(environment: string, metrics: Record<string, number>): Promise<void>;
  /** PUT a WaitCondition signal to the handle's pre-signed URL (read from CloudFormation, checked; signal-url.ts). */
  signal(target: SignalTarget, body: Record<string, string>): Promise<void>;
  /** Epoch seconds. */
  now(): number;
}

function awsRuntime(): Runtime {
  const cfn = new CloudFormationClient({});
  const sfn = new SFNClient({});
  const cw = new CloudWatchClient({});
  const asg = new AutoScalingClient({});
  let es: EsPort | undefined;
  let volumes: VolumeHandoff | undefined;
  let zones: ZoneLaunches | undefined;
  return {
    async ports(groups) {
      if (!es) {
        const env = parseEnv(process.env);
        const client = await createEsClientFromAws({
          node: env.ES_ENDPOINT,
          credentialsSecretId: env.ES_CREDENTIALS_SECRET_ARN,
          ca: { ssmParameterName: env.ES_CA_PARAMETER },
          requestTimeoutMs: 20_000,
        });
        es = new ElasticsearchAdapter(client);
        // Volume handoff only where the construct set it up (its grants come with these variables).
        const ec2 = new EC2Client({});
        if (env.DATA_VOLUME_ENVIRONMENT && env.DATA_VOLUME_PATH) {
          volumes = new VolumeHandoff(ec2, new SSMClient({}), {
            environment: env.DATA_VOLUME_ENVIRONMENT,
            dataPath: env.DATA_VOLUME_PATH,
          });
        }
        // Surges into chosen zones only where the construct set them up (rollout.surgePlacement orchestrator with
        // maxSurge > 1; the grants come with this variable).
        if (env.SURGE_PLACEMENT_GROUP) zones = new ZoneLaunches(ec2, asg, env.SURGE_PLACEMENT_GROUP);
      }
      return {
        es,
        fleet: new AutoScalingFleet(asg, { [groups.data]: 'data', [groups.master]: 'master' }, volumes, zones),
      };
    },
    async stackStatus(stackId) {
      const r = await cfn.send(new DescribeStacksCommand({ StackName: stackId }));
      return r.Stacks?.[0]?.StackStatus;
    },
    async runningExecutions(arn) {
      const r = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING' }));
      return (r.executions ?? []).map((e) => e.executionArn!);
    },
    async startExecution(arn, name, input) {
      const r = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name, input }));
      return r.executionArn!;
    },
    async stopExecution(executionArn, cause) {
      await sfn.send(new StopExecutionCommand({ executionArn, cause: cause.slice(0, 256) }));
    },
    async executionStatus(executionArn) {
      const r = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return r.status;
    },
    async putMetrics(environment, metrics) {
      const env = parseEnv(process.env);
      await cw.send(
        new PutMetricDataCommand({
          Namespace: env.METRICS_NAMESPACE,
          MetricData: Object.entries(metrics).map(([MetricName, Value]) => ({
            MetricName,
            Value,
            Unit: 'Count',
            Dimensions: [{ Name: 'Environment', Value: environment }],
          })),
        }),
      );
    },
    async signal(target, body) {
      const url = await resolveSignalUrl(cfn, target, process.env.AWS_REGION ?? '');
      // The pre-signed S3 URL of a WaitCondition handle takes an empty Content-Type.
      const r = await fetch(url, { method: 'PUT', headers: { 'content-type': '' }, body: JSON.stringify(body) });
      if (!r.ok) throw new Error(`WaitCondition signal failed: HTTP ${r.status}`);
    },
    now: () => Math.floor(Date.now() / 1000),
  };
}

let current: Runtime | undefined;
export function runtime(): Runtime {
  current ??= awsRuntime();
  return current;
}
/** Tests only. */
export function setRuntime(r: Runtime | undefined): void {
  current = r;
}
