import { resolve } from './intrinsics';
import { StageAssembly, StageStack } from './assembly';

export type BootRole = 'master' | 'data' | 'kibana' | 'logstash' | 'alerter';
export const BOOT_ROLES: readonly BootRole[] = ['master', 'data', 'kibana', 'logstash', 'alerter'];

/** One Auto Scaling group of the stage, with its launch template's user data resolved. */
export interface NodeGroup {
  readonly role: BootRole;
  readonly stack: StageStack;
  /** Logical id of the Auto Scaling group. */
  readonly groupLogicalId: string;
  /** Its name (the fake physical id): the `aws:autoscaling:groupName` tag of its instances. */
  readonly groupName: string;
  readonly count: number;
  readonly maxSize: number;
  readonly instanceType: string;
  /** The user data exactly as in the template, intrinsics resolved. */
  readonly userData: string;
  /** Device names of the launch template's block devices (a data node's own volume is not one of them). */
  readonly blockDevices: readonly string[];
  /** Tags the instances get (PropagateAtLaunch). */
  readonly tags: Readonly<Record<string, string>>;
  readonly updatePolicy?: Record<string, unknown>;
  readonly creationPolicy?: Record<string, unknown>;
}

function roleOf(tags: Record<string, string>): BootRole | undefined {
  if (tags['elk-cdk:alerter'] !== undefined) return 'alerter';
  const r = tags['elk-cdk:role'];
  return r === 'master' || r === 'data' || r === 'kibana' || r === 'logstash' ? r : undefined;
}

/** Every node group of the stage (Elasticsearch, Kibana, Logstash, alerter), masters first. */
export function nodeGroups(stage: StageAssembly): NodeGroup[] {
  const groups: NodeGroup[] = [];
  for (const stack of stage.stacks) {
    const resources = stack.ctx.template.Resources ?? {};
    for (const [id, res] of Object.entries(resources)) {
      if (res.Type !== 'AWS::AutoScaling::AutoScalingGroup') continue;
      const p = res.Properties ?? {};
      const tags: Record<string, string> = {};
      for (const t of (p.Tags as Array<{ Key: string; Value: unknown; PropagateAtLaunch?: boolean }>) ?? []) {
        if (t.PropagateAtLaunch !== false) tags[t.Key] = String(resolve(t.Value, stack.ctx));
      }
      const role = roleOf(tags);
      if (!role) continue;
      const ltRef = (p.LaunchTemplate as { LaunchTemplateId?: { Ref?: string } } | undefined)?.LaunchTemplateId?.Ref;
      const lt = ltRef ? resources[ltRef] : undefined;
      if (!lt) throw new Error(`${stack.displayName}/${id}: no launch template in this stack`);
      const data = (lt.Properties?.LaunchTemplateData ?? {}) as Record<string, unknown>;
      groups.push({
        role,
        stack,
        groupLogicalId: id,
        groupName: String(resolve({ Ref: id }, stack.ctx)),
        count: Number(resolve(p.DesiredCapacity ?? p.MinSize, stack.ctx)),
        maxSize: Number(resolve(p.MaxSize, stack.ctx)),
        instanceType: String(resolve(data.InstanceType, stack.ctx)),
        userData: String(resolve(data.UserData, stack.ctx)),
        blockDevices: ((data.BlockDeviceMappings as Array<{ DeviceName?: string }> | undefined) ?? []).map((b) =>
          String(b.DeviceName),
        ),
        tags,
        updatePolicy: res.UpdatePolicy as Record<string, unknown> | undefined,
        creationPolicy: res.CreationPolicy as Record<string, unknown> | undefined,
      });
    }
  }
  return groups.sort((a, b) => BOOT_ROLES.indexOf(a.role) - BOOT_ROLES.indexOf(b.role));
}
