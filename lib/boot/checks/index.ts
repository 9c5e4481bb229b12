import { BootResult } from '../node';
import { World } from '../world';
import { Finding } from './finding';

/** The line a role's boot log ends with when the node is up. */
export const UP_LINE: Readonly<Record<string, RegExp>> = {
  master: /^es-node-boot: master node i-[0-9a-f]+ is up$/,
  data: /^es-node-boot: data node i-[0-9a-f]+ is up$/,
  kibana: /^kibana-boot: Kibana [\d.]+ on i-[0-9a-f]+ is up$/,
  logstash: /^logstash-boot: Logstash [\d.]+ on i-[0-9a-f]+ is up$/,
  alerter: /^(boot\.sh: no deployed bundle recorded .*|\[deploy-rules [\d:]+\] DEPLOYED bundle .*)$/,
};

/** Checks of one node that booted: what it produced, per role. */
export function checkNode(world: World, r: BootResult): Finding[] {
  const role = r.instance.group.role;
  const lines = r.output.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const findings: Finding[] = [];
  if (!UP_LINE[role]!.test(last)) {
    findings.push({
      node: r.instance.id,
      role,
      step: 'done',
      check: 'boot-log',
      message: `the boot log ends with '${last}', not the ${role} "is up" line`,
    });
  }
  void world;
  return findings;
}
