import * as fs from 'fs';
import * as path from 'path';
import { BootResult } from '../node';
import { World } from '../world';
import { Finding } from './finding';
import { roleChecks } from './roles';

/** Whether CloudFormation waits for a signal from the group's instances (rolling update or creation policy). */
export function waitsForSignals(g: BootResult['instance']['group']): boolean {
  const rolling = g.updatePolicy?.AutoScalingRollingUpdate as { WaitOnResourceSignals?: boolean } | undefined;
  return rolling?.WaitOnResourceSignals === true || g.creationPolicy?.ResourceSignal !== undefined;
}

/**
 * A group whose update (or creation) waits for signals: a node that is up must have signalled SUCCESS for its own
 * group with its instance id.
 */
function checkSignal(world: World, r: BootResult): Finding[] {
  const g = r.instance.group;
  if (!waitsForSignals(g)) return [];
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

/** The boot log line that says the node is up (the last line; for the alerter, before its signal line). */
export const UP_LINE: Readonly<Record<string, RegExp>> = {
  master: /^es-node-boot: master node i-[0-9a-f]+ is up$/,
  data: /^es-node-boot: data node i-[0-9a-f]+ is up$/,
  kibana: /^kibana-boot: Kibana [\d.]+ on i-[0-9a-f]+ is up$/,
  logstash: /^logstash-boot: Logstash [\d.]+ on i-[0-9a-f]+ is up$/,
  alerter: /^\[boot [\d:]+\] (no deployed bundle recorded .*|rules deployed and verified)$/,
};

/** Checks of one node that booted: the boot log's "is up" line, the signal, what it produced for its role. */
export function checkNode(world: World, r: BootResult): Finding[] {
  const role = r.instance.group.role;
  const lines = r.output.trim().split('\n');
  const up = role === 'alerter' ? lines.filter((l) => !/signalled SUCCESS|nothing to signal/.test(l)) : lines;
  const last = up[up.length - 1] ?? '';
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
  findings.push(...checkSignal(world, r), ...roleChecks(world, r));
  return findings;
}
