/**
 * The roll gate of the CA rotation, free of AWS: a phase may move forward (trust-new → sign-new, sign-new → drop-old)
 * only once the previous phase's roll has finished, i.e. every InService instance of the environment's
 * Elasticsearch, Kibana and Logstash groups runs its group's current launch template version. With
 * `rollout.waitForCompletion: false` a deploy returns when the roll starts, so the next phase could otherwise be
 * deployed while some node still trusts only the old CA: signing with the new CA then splits the cluster.
 *
 * The CA custom resource runs before the launch templates get the deploy's new version (each depends on it during a
 * rotation), so "the group's current version" is the previous phase's.
 */
import type { CaRotation, RotationAction, RotationContext } from './rotation';
import { CaRotationError } from './rotation';

/** What the gate needs of one Auto Scaling group (from DescribeAutoScalingGroups). */
export interface GateGroup {
  readonly name: string;
  /** The group's launch template version (what a replacement launches with). */
  readonly targetVersion: string;
  readonly instances: readonly GateInstance[];
}

export interface GateInstance {
  readonly instanceId: string;
  readonly lifecycleState: string;
  /** Undefined when Auto Scaling reports none (launched otherwise): counts as outdated. */
  readonly launchTemplateVersion?: string;
}

/** The roles whose instances hold CA-issued certificates (the `elk-cdk:role` tag of their groups). */
export const GATED_ROLES = ['master', 'data', 'kibana', 'logstash'] as const;

/**
 * Whether the phase change `action` towards `desired` moves the rotation forward into a phase that needs the
 * previous roll done: trust-new → sign-new (a swap asked for by sign-new) and sign-new → drop-old. Not a repeat
 * (keep), not the start of a rotation (add-new), not an undo (the swap back to trust-new, remove-new).
 */
export function needsFinishedRoll(action: RotationAction, desired: CaRotation): boolean {
  return (action === 'swap' && desired.phase === 'sign-new') || action === 'drop-old';
}

/** InService instances of a group not on its current launch template version. */
export function outdatedInstances(group: GateGroup): GateInstance[] {
  return group.instances.filter(
    (i) => i.lifecycleState === 'InService' && i.launchTemplateVersion !== group.targetVersion,
  );
}

/**
 * Refuses (CaRotationError naming the groups, the count and the fix) while any group has an outdated InService
 * instance, or when no group was found at all (the check could not run). `environment` names the groups' tag.
 */
export function checkRollFinished(
  groups: readonly GateGroup[],
  desired: CaRotation,
  ctx: RotationContext & { readonly environment: string },
): void {
  const key = `${ctx.configFile}: security.caRotation: {rotation: ${desired.rotation}, phase: ${desired.phase}} is refused`;
  if (groups.length === 0) {
    throw new CaRotationError(
      `${key}: no Auto Scaling group tagged elk-cdk:environment=${ctx.environment} with elk-cdk:role ` +
        `${GATED_ROLES.join(', ')} was found, so whether the previous phase's roll finished cannot be checked. ` +
        'Fix: check the groups\u2019 tags (the cluster stack sets them), then deploy again.',
    );
  }
  const behind = groups
    .map((g) => ({ g, n: outdatedInstances(g).length }))
    .filter((x) => x.n > 0)
    .sort((a, b) => a.g.name.localeCompare(b.g.name));
  if (behind.length === 0) return;
  const total = behind.reduce((s, x) => s + x.n, 0);
  const list = behind.map((x) => `${x.g.name} (${x.n} not on version ${x.g.targetVersion})`).join(', ');
  throw new CaRotationError(
    `${key}: the previous phase's roll has not finished: ${total} InService instance${total === 1 ? '' : 's'} ` +
      `still run${total === 1 ? 's' : ''} an older launch template version in ${list}; such a node may trust only ` +
      `the CA that is about to stop signing or be dropped. Fix: wait for the roll: elkctl roll status --env ` +
      `${ctx.environment} (Kibana and Logstash: their groups' rolling update in the stack events); then deploy again.`,
  );
}
