import { BootResult } from '../node';
import { World } from '../world';
import * as fs from 'fs';
import * as path from 'path';
import { Finding } from './finding';

/**
 * Kibana and Logstash: the group's rolling update waits for a signal, so a node that is up must have signalled
 * SUCCESS for its own group (ELK_STACK_NAME, ELK_SIGNAL_RESOURCE of its user data) with its instance id.
 */
function checkSignal(world: World, r: BootResult): Finding[] {
  const g = r.instance.group;
  if (g.role !== 'kibana' && g.role !== 'logstash') return [];
  const signals = fs.readFileSync(path.join(world.dir, 'signals'), 'utf8').split('\n');
  const expected = `${g.stack.ctx.stackName} ${g.groupLogicalId} ${r.instance.id} SUCCESS`;
  if (signals.includes(expected)) return [];
  return [
    {
      node: r.instance.id,
      role: g.role,
      step: 'signal',
      check: 'signal',
      message: `no SUCCESS signal '${expected}' (signals: ${signals.filter(Boolean).join('; ') || 'none'})`,
    },
  ];
}

/** The line a role's boot log ends with when the node is up. */
export const UP_LINE: Readonly<Record<string, RegExp>> = {
  master: /^es-node-boot: master node i-[0-9a-f]+ is up$/,
  data: /^es-node-boot: data node i-[0-9a-f]+ is up$/,
  kibana: /^kibana-boot: Kibana [\d.]+ on i-[0-9a-f]+ is up$/,
  logstash: /^logstash-boot: Logstash [\d.]+ on i-[0-9a-f]+ is up$/,
  alerter: /^\[boot [\d:]+\] (no deployed bundle recorded .*|rules deployed and verified)$/,
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
      step: 'up',
      check: 'boot-log',
      message: `the boot log ends with '${last}', not the ${role} "is up" line`,
    });
  }
  findings.push(...checkSignal(world, r));
  return findings;
}
