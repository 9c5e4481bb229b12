import * as fs from 'fs';
import * as path from 'path';
import { Finding } from './checks/finding';
import { NodeGroup } from './fleet';
import { BootResult, Instance, makeInstance, terminate } from './node';
import { World } from './world';

/**
 * The data-handoff scenario of the boot rehearsal (issue 17): data volumes that outlive their instances, with the
 * real boot scripts and the fake EC2 of stubs/_ec2-volumes.sh.
 *   1. the data nodes of a first deployment each create, format and mount a volume of their zone;
 *   2. a volume handoff: the first node's volume is detached (as the orchestrator's adapter does) and the node
 *      terminated; its replacement in the same zone attaches that volume, does not format it, and Elasticsearch finds
 *      the node id on it;
 *   3. a race: the second node's volume is detached, the node terminated, and two replacements boot at once in its
 *      zone, both seeing the one free volume (a barrier in the stub makes the race certain): exactly one attaches it,
 *      the other loses the attach and creates a new volume; both boot, and the held volume keeps its node id.
 */
export interface HandoffRun {
  readonly world: World;
  /** Launches and boots the instances at once (extra environment for all), recording results and findings. */
  readonly bootAll: (instances: readonly Instance[], env?: Readonly<Record<string, string>>) => Promise<BootResult[]>;
  readonly findings: Finding[];
  readonly at: (seconds: number) => Date;
}

interface VolumeState {
  readonly id: string;
  readonly instance: string;
  readonly state: string;
  readonly fs: string;
}

const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : '');

function volumes(world: World): VolumeState[] {
  const dir = path.join(world.dir, 'volumes');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((id) => ({
    id,
    instance: read(path.join(dir, id, 'instance')),
    state: read(path.join(dir, id, 'state')),
    fs: read(path.join(dir, id, 'fs')),
  }));
}

const volumeOf = (world: World, instanceId: string) => volumes(world).find((v) => v.instance === instanceId);
const nodeId = (i: Instance) => read(path.join(i.root, '.rehearsal', 'es-node-id'));
const calls = (i: Instance) => read(path.join(i.root, '.rehearsal', 'calls.log'));

/** What the orchestrator's handoff does to EC2 (adapters/volume-handoff.ts): the volume detached, free in its zone. */
export function detachVolume(world: World, i: Instance): string | undefined {
  const v = volumeOf(world, i.id);
  if (!v) return undefined;
  const dir = path.join(world.dir, 'volumes', v.id);
  const device = read(path.join(dir, 'device'));
  fs.rmSync(path.join(i.root, device), { force: true });
  fs.writeFileSync(path.join(dir, 'state'), 'available');
  fs.writeFileSync(path.join(dir, 'instance'), '');
  fs.appendFileSync(path.join(dir, 'tags'), `elk-cdk:detached-from=${i.id}\n`);
  return v.id;
}

export async function dataHandoffScenario(run: HandoffRun, groups: readonly NodeGroup[]): Promise<string> {
  const group = groups.find((g) => g.role === 'data');
  if (!group) return 'no data group';
  const f = (node: string | undefined, message: string) =>
    run.findings.push({ node, role: 'data', step: 'attach-volume', check: 'data-volume', message });
  const first = Array.from({ length: Math.max(2, group.count) }, (_, k) =>
    makeInstance(run.world, group, run.at(k * 3), k),
  );
  const booted = await run.bootAll(first);
  if (!booted.every((b) => b.ok)) return 'stopped: the first data nodes did not boot';
  for (const i of first) {
    if (!volumeOf(run.world, i.id)) f(i.id, 'no data volume of its own is attached after the boot');
  }
  if (!group.userData.includes("ELK_DATA_VOLUME='persistent'")) {
    f(undefined, 'the data launch template does not ask for a data volume that outlives the instance');
    return 'stopped: no persistent data volumes';
  }

  // 2. Handoff of the first node.
  const [a, b] = first as [Instance, Instance];
  const handed = detachVolume(run.world, a)!;
  const aNodeId = nodeId(a);
  terminate(run.world, a);
  const [ra] = await run.bootAll([makeInstance(run.world, group, run.at(600), 0)]);
  if (ra?.ok) {
    const got = volumeOf(run.world, ra.instance.id);
    if (got?.id !== handed)
      f(ra.instance.id, `the replacement attached ${got?.id ?? 'nothing'}, not the free ${handed}`);
    if (/^mkfs/m.test(calls(ra.instance))) f(ra.instance.id, `the replacement formatted ${handed}, which held a node`);
    if (nodeId(ra.instance) !== aNodeId) {
      f(ra.instance.id, `Elasticsearch found node id '${nodeId(ra.instance)}', not '${aNodeId}' of the volume`);
    }
  }

  // 3. Two replacements race for the second node's volume.
  const raced = detachVolume(run.world, b)!;
  const bNodeId = nodeId(b);
  const zone = Math.max(0, 'abc'.indexOf(b.az.slice(-1)));
  terminate(run.world, b);
  fs.writeFileSync(path.join(run.world.dir, 'volume-barrier'), '');
  const racers = [
    makeInstance(run.world, group, run.at(900), zone),
    makeInstance(run.world, group, run.at(900), zone + 3),
  ];
  const results = await run.bootAll(racers, { ELK_REHEARSAL_VOLUME_BARRIER: '2' });
  if (results.every((r) => r.ok)) {
    const holders = racers.filter((i) => volumeOf(run.world, i.id)?.id === raced);
    if (holders.length !== 1) f(undefined, `${holders.length} of the two racing replacements hold ${raced}`);
    const events = read(path.join(run.world.dir, 'volume-events'));
    if (!new RegExp(`^i-[0-9a-f]+ lost ${raced}$`, 'm').test(events)) {
      f(
        undefined,
        `no replacement lost the attach of ${raced}: the race did not happen (${events.split('\n').length} events)`,
      );
    }
    const other = racers.find((i) => !holders.includes(i));
    if (other && !volumeOf(run.world, other.id)) f(other.id, 'the loser of the race has no data volume');
    if (holders[0] && nodeId(holders[0]) !== bNodeId) {
      f(holders[0].id, `Elasticsearch found node id '${nodeId(holders[0])}', not '${bNodeId}' of the volume`);
    }
  }
  const attachedTwice = volumes(run.world).filter((v) => v.state === 'in-use' && !v.instance);
  if (attachedTwice.length > 0)
    f(undefined, `volumes in use without an instance: ${attachedTwice.map((v) => v.id).join(', ')}`);
  return 'data volumes that outlive their instances: the data nodes create theirs; a volume handoff (detach, terminate, the replacement in the same zone attaches it, keeps the files and the node id, formats nothing); two replacements racing for one free volume (one attaches it, the other creates one)';
}
