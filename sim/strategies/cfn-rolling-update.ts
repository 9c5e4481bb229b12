import type { FleetGroup } from '../../lambda/rolling-replacement/core/fleet-port';
import type { StepResult, Strategy, StrategyFactory, StrategyWorld } from '../strategy';

/**
 * What CloudFormation's AutoScalingRollingUpdate does (MaxBatchSize 1, MinInstancesInService = count - 1, no
 * WaitOnResourceSignals): for each group, terminate one instance that runs an old template version, wait until the
 * replacement is InService (booted: Elasticsearch may not even have joined), wait PauseTime, repeat. Both groups
 * roll at the same time (they are independent resources in the stack). It knows nothing about Elasticsearch.
 */

/** CloudFormation gives up on a replacement that is not in service after this long. */
const REPLACEMENT_TIMEOUT_SECONDS = 3600;

interface GroupProgress {
  phase: 'idle' | 'waiting' | 'pausing' | 'done';
  since: number;
  until?: number;
}

class CfnRollingUpdate implements Strategy {
  private readonly progress = new Map<string, GroupProgress>();

  constructor(
    private readonly pollSeconds: number,
    private readonly pauseSeconds: number,
  ) {}

  async step(world: StrategyWorld): Promise<StepResult> {
    const now = world.now();
    const groups = await world.fleet.describeGroups([world.groups.data, world.groups.master]);
    const actions: { action: string; node?: string; reason: string }[] = [];
    let wake = this.pollSeconds;
    for (const g of groups) {
      const p = this.progress.get(g.name) ?? { phase: 'idle', since: now };
      this.progress.set(g.name, p);
      if (p.phase === 'waiting') {
        if (inService(g)) {
          p.phase = 'pausing';
          p.until = now + this.pauseSeconds;
          p.since = now;
        } else if (now - p.since > REPLACEMENT_TIMEOUT_SECONDS) {
          return {
            wakeAfterSeconds: 0,
            actions,
            done: {
              outcome: 'failed',
              reason: `${g.name}: replacement instance not in service after ${REPLACEMENT_TIMEOUT_SECONDS}s`,
            },
          };
        }
      }
      if (p.phase === 'pausing' && now >= p.until!) p.phase = 'idle';
      if (p.phase === 'idle') {
        const old = g.instances.filter(
          (i) => i.launchTemplateVersion !== g.targetLaunchTemplateVersion && i.lifecycleState === 'InService',
        );
        if (old.length === 0) {
          if (inService(g)) p.phase = 'done';
        } else if (inService(g)) {
          const victim = old.sort((a, b) => a.instanceId.localeCompare(b.instanceId))[0];
          await world.fleet.terminateInstance(victim.instanceId, false);
          actions.push({
            action: 'terminate',
            node: victim.instanceId,
            reason: `${g.name}: rolling update batch of 1 (MinInstancesInService ${g.desiredCapacity - 1})`,
          });
          p.phase = 'waiting';
          p.since = now;
        }
      }
      if (p.phase === 'pausing') wake = Math.min(wake, Math.max(1, p.until! - now));
    }
    if (groups.length > 0 && groups.every((g) => this.progress.get(g.name)?.phase === 'done')) {
      return {
        wakeAfterSeconds: 0,
        actions,
        done: { outcome: 'completed', reason: 'every instance launched from the target launch template version' },
      };
    }
    return { wakeAfterSeconds: wake, actions };
  }
}

function inService(g: FleetGroup): boolean {
  const live = g.instances.filter((i) => i.lifecycleState !== 'Terminated' && i.lifecycleState !== 'Terminating');
  return live.length === g.desiredCapacity && live.every((i) => i.lifecycleState === 'InService');
}

export const cfnRollingUpdateStrategy: StrategyFactory = {
  name: 'cfn-rolling-update',
  description:
    'CloudFormation AutoScalingRollingUpdate: MaxBatchSize 1, MinInstancesInService count-1, PauseTime, success when booted; no Elasticsearch awareness',
  create: (options) => new CfnRollingUpdate(options.pollSeconds, options.pauseSeconds ?? 300),
};
