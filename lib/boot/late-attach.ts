import * as fs from 'fs';
import * as path from 'path';
import { Finding } from './checks/finding';
import { NodeGroup } from './fleet';
import { BootResult, Instance, makeInstance, Membership } from './node';
import { World } from './world';

/**
 * The late-attach scenario of the boot rehearsal (issue 17, surge placement by the orchestrator): a data instance
 * the orchestrator launches itself (RunInstances) boots before Auto Scaling attaches it to its group, and the
 * certificate issuer (here its stub, as lambda/cert-issuer/decide.ts) refuses an instance without the group's
 * `aws:autoscaling:groupName` tag. Three data instances boot at once, one per zone:
 *   1. launched by its group: a member at the first look, the `membership` step passes without a wait;
 *   2. attached late: the tag appears at the third look; the boot waits, then completes (its certificate asked
 *      for only once it is a member);
 *   3. never attached: the boot fails at `membership` once the bound has passed (the real default bound, shortened
 *      by the sleep stub), having claimed nothing: no data volume, no certificate.
 */
export interface LateAttachRun {
  readonly world: World;
  readonly findings: Finding[];
  readonly at: (seconds: number) => Date;
  /** Launches the instance with this membership and boots it; a failed boot is a finding. */
  readonly boot: (i: Instance, membership: Membership, env?: Readonly<Record<string, string>>) => Promise<BootResult>;
  /** Launches and boots an instance expected to fail at `step`: its failure is no finding by itself. */
  readonly bootFailing: (
    i: Instance,
    membership: Membership,
    step: string,
    env?: Readonly<Record<string, string>>,
  ) => Promise<BootResult>;
}

/** The looks of the late instance before it is attached, and the default bound of the wait (elk_wait_membership). */
export const ATTACHED_AFTER_LOOKS = 3;
const DEFAULT_BOUND_SECONDS = 900;
const POLL_SECONDS = 5;

const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
const looks = (world: World, i: Instance) => Number(read(path.join(world.dir, 'membership', `${i.id}.looks`)) || 0);
const calls = (i: Instance) => read(path.join(i.root, '.rehearsal', 'calls.log'));

export async function lateAttachScenario(run: LateAttachRun, groups: readonly NodeGroup[]): Promise<string> {
  const group = groups.find((g) => g.role === 'data');
  if (!group) return 'no data group';
  const f = (node: string, message: string) =>
    run.findings.push({ node, role: 'data', step: 'membership', check: 'membership', message });
  const [member, late, never] = [0, 1, 2].map((k) => makeInstance(run.world, group, run.at(k * 3), k)) as [
    Instance,
    Instance,
    Instance,
  ];
  const [a, b, c] = await Promise.all([
    run.boot(member, 'launched'),
    run.boot(late, { attachedAfterLooks: ATTACHED_AFTER_LOOKS }),
    // 181 looks and 180 sleeps of 5 s: the sleep stub at a tenth of its usual fraction keeps it to seconds.
    run.bootFailing(never, 'never', 'membership', { ELK_REHEARSAL_TIME_SCALE: '0.001' }),
  ]);

  if (a.ok) {
    if (looks(run.world, member) !== 1)
      f(member.id, `a member from launch looked ${looks(run.world, member)} times, not once`);
    if (!/member of Auto Scaling group \S+ \(after 0 s\)/.test(a.output))
      f(member.id, 'a member from launch did not pass the membership step at once');
  }
  if (b.ok) {
    const waited = (ATTACHED_AFTER_LOOKS - 1) * POLL_SECONDS;
    if (looks(run.world, late) !== ATTACHED_AFTER_LOOKS)
      f(late.id, `looked ${looks(run.world, late)} times, not ${ATTACHED_AFTER_LOOKS} (attached at that look)`);
    if (!new RegExp(`member of Auto Scaling group ${group.groupName} \\(after ${waited} s\\)`).test(b.output))
      f(late.id, `the boot does not say it became a member of ${group.groupName} after ${waited} s`);
  }

  const bound = new RegExp(
    `instance ${never.id} was never attached to an Auto Scaling group of environment \\S+ within ${DEFAULT_BOUND_SECONDS} s`,
  );
  if (c.ok) f(never.id, 'an instance never attached to its group completed its boot');
  else if (c.timedOut) f(never.id, `the wait for membership hung until the time limit (last step ${c.lastStep})`);
  else if (c.failedStep !== 'membership') f(never.id, `failed at step ${c.failedStep ?? '?'}, not membership`);
  else {
    if (!bound.test(c.output)) f(never.id, `the failure does not name the bound: ${c.output.trim().split('\n').pop()}`);
    const expected = DEFAULT_BOUND_SECONDS / POLL_SECONDS + 1;
    if (looks(run.world, never) !== expected) f(never.id, `looked ${looks(run.world, never)} times, not ${expected}`);
  }
  const claimed = calls(never)
    .split('\n')
    .filter((l) => /^aws ec2 (create-volume|attach-volume)|^curl .*--aws-sigv4/.test(l));
  if (claimed.length > 0) f(never.id, `claimed before it was a member: ${claimed.join(' | ')}`);

  return `data instances launched outside their group (the orchestrator's surge placement): one launched by its group (a member at once, no wait), one attached after ${ATTACHED_AFTER_LOOKS} looks (waits, then boots; its certificate asked for as a member), one never attached (fails at membership after ${DEFAULT_BOUND_SECONDS} s, having claimed no volume and no certificate)`;
}
