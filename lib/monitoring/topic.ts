import { Stack } from 'aws-cdk-lib';
import type { EnvironmentConfig } from '../config';

/** Name of the alarm topic the cluster stack creates when `alarms.topicArn` is not set. */
export function alarmTopicName(environment: string): string {
  return `elk-cdk-${environment}-alarms`;
}

/**
 * The ARN of the environment's alarm topic, for any stack of the environment: `alarms.topicArn`, or the topic the
 * cluster stack creates under a fixed name (so the alerter stack needs no CloudFormation export to reach it).
 */
export function alarmTopicArn(stack: Stack, config: Pick<EnvironmentConfig, 'name' | 'alarms'>): string {
  return config.alarms.topicArn ?? stack.formatArn({ service: 'sns', resource: alarmTopicName(config.name) });
}
