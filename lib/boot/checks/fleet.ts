import * as fs from 'fs';
import * as path from 'path';
import { stackId } from '../intrinsics';
import { NodeGroup } from '../fleet';
import { readParameter, World } from '../world';
import { Finding } from './finding';

/**
 * Fleet-wide checks on the fake AWS state: exactly one cluster formation, the formation marker of this stack with
 * that cluster's uuid, and no initial_master_nodes left on a master that has seen the cluster form.
 */
export function checkFleet(world: World, groups: readonly NodeGroup[], when: string): Finding[] {
  const master = groups.find((g) => g.role === 'master');
  if (!master) return [];
  const findings: Finding[] = [];
  const f = (message: string): Finding => ({ step: 'formation', check: 'fleet', message: `${when}: ${message}` });
  const formationsFile = path.join(world.dir, 'es', 'formations');
  const formations = fs.existsSync(formationsFile)
    ? fs.readFileSync(formationsFile, 'utf8').trim().split('\n').filter(Boolean)
    : [];
  if (formations.length !== 1) {
    findings.push(
      f(`${formations.length} cluster formations (exactly one expected): ${formations.join('; ') || 'none'}`),
    );
    return findings;
  }
  const uuid = formations[0]!.split(' ')[0]!;
  const markerName = /ELK_MARKER_PARAMETER='([^']+)'/.exec(master.userData)?.[1];
  if (!markerName) return [...findings, f('the master user data names no ELK_MARKER_PARAMETER')];
  const marker = readParameter(world, markerName);
  const expected = `${stackId(master.stack.ctx)} ${uuid}`;
  if (marker !== expected)
    findings.push(f(`formation marker ${markerName} is '${marker ?? ''}', expected '${expected}'`));
  return findings;
}
