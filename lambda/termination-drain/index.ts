/**
 * Lambda entry of the termination drain workflow. The first call receives the EventBridge event of a terminating
 * instance ("EC2 Instance-terminate Lifecycle Action") and turns it into the drain state; every call runs one step.
 * Environment: DATA_GROUP, MASTER_GROUP, HEARTBEAT_TIMEOUT_SECONDS, POLL_SECONDS, METRICS_NAMESPACE, ENVIRONMENT and
 * the Elasticsearch connection of the rolling replacement (ES_ENDPOINT, ES_CREDENTIALS_SECRET_ARN, ES_CA_PARAMETER).
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { z } from 'zod';
import { createEsClientFromAws } from '../shared/es-client';
import { AutoScalingFleet } from '../rolling-replacement/adapters/autoscaling';
import { ElasticsearchAdapter } from '../rolling-replacement/adapters/elasticsearch';
import type { DrainState } from './core';
import { drainStep, type HookPort, type StepResult } from './step';

const EnvSchema = z.object({
  DATA_GROUP: z.string().min(1),
  MASTER_GROUP: z.string().min(1),
  HEARTBEAT_TIMEOUT_SECONDS: z.coerce.number().int().min(30).max(7200),
  POLL_SECONDS: z.coerce.number().int().min(10).max(900),
  METRICS_NAMESPACE: z.string().min(1),
  ENVIRONMENT: z.string().min(1),
  ES_ENDPOINT: z.string().min(1),
  ES_CREDENTIALS_SECRET_ARN: z.string().min(1),
  ES_CA_PARAMETER: z.string().min(1),
});
type Env = z.output<typeof EnvSchema>;

/** The EventBridge event of a termination lifecycle action (the fields the drain uses). */
export const LifecycleEventSchema = z.object({
  time: z.string(),
  detail: z.object({
    AutoScalingGroupName: z.string(),
    EC2InstanceId: z.string().regex(/^i-[0-9a-f]+$/),
    LifecycleActionToken: z.string(),
    LifecycleHookName: z.string(),
    LifecycleTransition: z.literal('autoscaling:EC2_INSTANCE_TERMINATING'),
  }),
});

/** The first state of a drain, from the lifecycle event. */
export function initialState(event: z.output<typeof LifecycleEventSchema>, env: Env): DrainState {
  const d = event.detail;
  if (d.AutoScalingGroupName !== env.DATA_GROUP && d.AutoScalingGroupName !== env.MASTER_GROUP) {
    throw new Error(`lifecycle event of group ${d.AutoScalingGroupName}, which is not one of this cluster's groups`);
  }
  const startedAt = Math.floor(Date.parse(event.time) / 1000);
  return {
    instanceId: d.EC2InstanceId,
    groupName: d.AutoScalingGroupName,
    role: d.AutoScalingGroupName === env.MASTER_GROUP ? 'master' : 'data',
    lifecycleActionToken: d.LifecycleActionToken,
    lifecycleHookName: d.LifecycleHookName,
    startedAt,
    heartbeatTimeoutSeconds: env.HEARTBEAT_TIMEOUT_SECONDS,
    lastHeartbeatAt: startedAt,
    pollSeconds: env.POLL_SECONDS,
  };
}

export function autoScalingHook(client: AutoScalingClient): HookPort {
  const ids = (s: DrainState) => ({
    AutoScalingGroupName: s.groupName,
    LifecycleHookName: s.lifecycleHookName,
    LifecycleActionToken: s.lifecycleActionToken,
    InstanceId: s.instanceId,
  });
  const gone = (e: unknown) => /No active Lifecycle Action found/i.test((e as Error).message ?? '');
  return {
    async heartbeat(s) {
      await client.send(new RecordLifecycleActionHeartbeatCommand(ids(s)));
    },
    async complete(s) {
      try {
        await client.send(new CompleteLifecycleActionCommand({ ...ids(s), LifecycleActionResult: 'CONTINUE' }));
      } catch (e) {
        if (!gone(e)) throw e;
      }
    },
  };
}

let cached: { es: ElasticsearchAdapter; asg: AutoScalingClient; cw: CloudWatchClient } | undefined;

export async function handler(input: unknown): Promise<StepResult> {
  const env = EnvSchema.parse(process.env);
  const state =
    input && typeof input === 'object' && 'detail' in input
      ? initialState(LifecycleEventSchema.parse(input), env)
      : (input as { state: DrainState }).state;
  if (!cached) {
    const client = await createEsClientFromAws({
      node: env.ES_ENDPOINT,
      credentialsSecretId: env.ES_CREDENTIALS_SECRET_ARN,
      ca: { ssmParameterName: env.ES_CA_PARAMETER },
      requestTimeoutMs: 20_000,
    });
    cached = { es: new ElasticsearchAdapter(client), asg: new AutoScalingClient({}), cw: new CloudWatchClient({}) };
  }
  const { es, asg, cw } = cached;
  return drainStep(
    state,
    {
      es,
      fleet: new AutoScalingFleet(asg, { [env.DATA_GROUP]: 'data', [env.MASTER_GROUP]: 'master' }),
      hook: autoScalingHook(asg),
      groups: { data: env.DATA_GROUP, master: env.MASTER_GROUP },
      putMetric: async (name, value) => {
        await cw.send(
          new PutMetricDataCommand({
            Namespace: env.METRICS_NAMESPACE,
            MetricData: [
              {
                MetricName: name,
                Value: value,
                Unit: 'Count',
                Dimensions: [{ Name: 'Environment', Value: env.ENVIRONMENT }],
              },
            ],
          }),
        );
      },
      log: (line) => console.log(JSON.stringify(line)),
    },
    Math.floor(Date.now() / 1000),
  );
}
