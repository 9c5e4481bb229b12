import * as path from 'path';
import { spawnSync } from 'child_process';
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { findGroups, rollMark, rollPlan, rollStatus, rollWait, simTarget } from '../../lib/rolling-replacement/rollctl';

const SCENARIO = path.join(__dirname, 'fixtures', 'small-upgrade.json');

describe('elkctl roll against the simulator', () => {
  test('status before the start: every node old, nothing replaced, the next step and an estimate', async () => {
    const t = await simTarget(SCENARIO, 0);
    const out = await rollStatus(t);
    await t.close();
    expect(out).toContain('[------------------------------] 0/6 nodes');
    expect(out.match(/ old /g)).toHaveLength(6);
    expect(out).toMatch(/next: begin/);
    expect(out).toMatch(/estimated time left: \d+ min/);
  });

  test("the scenario's rollout options reach the simulated roll and the plan (maxSurge 2, zones chosen)", async () => {
    const file = path.join(__dirname, 'fixtures', 'small-upgrade-surge2.json');
    const t = await simTarget(file, 0);
    expect(t.spec.options).toMatchObject({ method: 'drain', maxSurge: 2, surgePlacement: 'orchestrator' });
    const steps = await rollPlan(t);
    await t.close();
    // 3 data nodes over 3 zones: a first batch of 2 launched into their zones (Auto Scaling would place 1 at a time).
    expect(steps).toMatch(/desired capacity \+ 2, launched into the zones its drains come from and attached/);
  });

  test('status mid-drain: the draining node with its percentage and bytes left, and the blocking gate', async () => {
    const t = await simTarget(SCENARIO, 400);
    const out = await rollStatus(t);
    await t.close();
    expect(out).toMatch(/draining \d+ %, [\d.]+ GiB left/);
    expect(out).toContain('blocked by: strictly-drained');
    expect(out).toMatch(/ new /);
  });

  test('plan lists data nodes first, masters last (elected master at the very end), then cleanup', async () => {
    const t = await simTarget(SCENARIO, 0);
    const out = await rollPlan(t);
    await t.close();
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/1\. now: begin/);
    const firstVoting = lines.findIndex((l) => l.includes('voting-exclusion'));
    const lastExclude = lines.map((l) => l.includes(' exclude ')).lastIndexOf(true);
    expect(lastExclude).toBeGreaterThan(0);
    expect(firstVoting).toBeGreaterThan(lastExclude);
    expect(lines.filter((l) => /\. exclude /.test(l))).toHaveLength(3);
    expect(lines.filter((l) => /\. voting-exclusion /.test(l))).toHaveLength(3);
    expect(lines.filter((l) => /\. voting-exclusion /.test(l)).at(-1)).toContain('elected master');
    expect(lines.at(-2)).toMatch(/cleanup/);
    expect(lines.at(-1)).toMatch(/estimated total: \d+ min/);
  });

  test('plan after a CA rotation phase (security.caRotation): every node is outdated, data nodes first, masters last', async () => {
    const t = await simTarget(path.join(__dirname, '..', '..', 'sim', 'scenarios', 'ca-rotation-phase.json'), 0);
    const out = await rollPlan(t);
    await t.close();
    const lines = out.trim().split('\n');
    // 4 data nodes excluded (drained), then the 3 masters voting-excluded, the elected one last.
    expect(lines.filter((l) => /\. exclude /.test(l))).toHaveLength(4);
    expect(lines.filter((l) => /\. voting-exclusion /.test(l))).toHaveLength(3);
    const lastExclude = lines.map((l) => l.includes(' exclude ')).lastIndexOf(true);
    expect(lines.findIndex((l) => l.includes('voting-exclusion'))).toBeGreaterThan(lastExclude);
  });

  test('wait exits 0 once the rollout completed', async () => {
    const t = await simTarget(SCENARIO, 0);
    const out: string[] = [];
    const code = await rollWait(t, { timeoutSeconds: 86400, out: (s) => out.push(s) });
    await t.close();
    expect(code).toBe(0);
    expect(out.join('')).toContain('rollout completed (completed:sim)');
  });

  test('abort mid-roll: wait exits non-zero and the cluster is left clean', async () => {
    const t = await simTarget(SCENARIO, 400);
    expect(await rollMark(t, 'abort')).toMatch(/abort requested/);
    const code = await rollWait(t, { timeoutSeconds: 86400, out: () => undefined });
    const status = await rollStatus(t);
    await t.close();
    expect(code).toBe(1);
    expect(status).not.toMatch(/draining/);
  });

  test('pause holds the roll until resume', async () => {
    const t = await simTarget(SCENARIO, 60);
    await rollMark(t, 'pause');
    await t.sleep(3600);
    expect(await rollStatus(t)).toContain('blocked by: not-paused');
    await rollMark(t, 'resume');
    expect(await rollWait(t, { timeoutSeconds: 86400, out: () => undefined })).toBe(0);
    await t.close();
  });

  test('the real CLI: elkctl roll status --env dev --sim FILE --at N prints the table and exits 0', () => {
    const root = path.join(__dirname, '..', '..');
    const r = spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), 'bin/elkctl.ts', 'roll', 'status', '--env', 'dev', '--sim', SCENARIO, '--at', '400'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/draining \d+ %/);
  });
});

describe('elkctl roll in an AWS environment', () => {
  const asg = mockClient(AutoScalingClient);
  afterAll(() => asg.restore());

  test('finds the cluster groups by their environment and role tags', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        { AutoScalingGroupName: 'cluster-DataGroup-XYZ', Tags: [{ Key: 'elk-cdk:role', Value: 'data' }] },
        { AutoScalingGroupName: 'cluster-MasterGroup-ABC', Tags: [{ Key: 'elk-cdk:role', Value: 'master' }] },
      ] as never,
    });
    expect(await findGroups(new AutoScalingClient({ region: 'eu-west-1' }), 'dev')).toEqual({
      data: 'cluster-DataGroup-XYZ',
      master: 'cluster-MasterGroup-ABC',
    });
    expect(asg).toHaveReceivedCommandWith(DescribeAutoScalingGroupsCommand, {
      Filters: [
        { Name: 'tag:elk-cdk:environment', Values: ['dev'] },
        { Name: 'tag:elk-cdk:role', Values: ['master', 'data'] },
      ],
    });
  });
});
