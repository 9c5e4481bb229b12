import type { Template } from '../../lib/diff/assembly';
import { estimateSeconds, nodeRolls, type RoleTemplate } from '../../lib/diff/impact';
import { dataRollMethod, drainsAtOnce } from '../../lib/diff/roll-method';
import { impactSentences } from '../../lib/diff/report';
import { deployWaitSeconds, deployWaitWarning } from '../../lib/diff/deploy-wait';

/** `elkctl diff` says how the data nodes are replaced (issue #17) and estimates it that way. */

function template(opts: { method?: string; maxSurge?: string; zones?: number; persistent?: boolean; image?: string }) {
  const t: Template = {
    Resources: {
      DataLt: {
        Type: 'AWS::EC2::LaunchTemplate',
        Metadata: {
          'elk-cdk:role': 'data',
          'elk-cdk:nodeCount': 12,
          'elk-cdk:elasticsearchVersion': '8.19.3',
          'elk-cdk:dataPerNodeBytes': 3600 * 1000,
          'elk-cdk:recoveryBytesPerSec': 1000,
          'elk-cdk:bootSeconds': 600,
        },
        Properties: { LaunchTemplateData: { ImageId: opts.image ?? 'ami-1' } },
      },
      DataGroup: {
        Type: 'AWS::AutoScaling::AutoScalingGroup',
        Properties: {
          LaunchTemplate: { LaunchTemplateId: { Ref: 'DataLt' } },
          VPCZoneIdentifier: Array.from({ length: opts.zones ?? 3 }, (_, i) => `subnet-${i}`),
          Tags: opts.persistent ? [{ Key: 'elk-cdk:data-volumes', Value: 'persistent:gp3/100/key' }] : [],
        },
      },
    },
  };
  if (opts.method !== undefined || opts.maxSurge !== undefined) {
    t.Resources!.Rollout = {
      Type: 'Custom::RollingReplacement',
      Properties: { Method: opts.method ?? 'auto', MaxSurge: opts.maxSurge ?? '1' },
    };
  }
  return t;
}

describe('data roll method in elkctl diff', () => {
  it('drains at once as the orchestrator batches: a multiple of the zone count, within the nodes per zone', () => {
    expect(drainsAtOnce(1, 3, 12)).toBe(1);
    expect(drainsAtOnce(4, 3, 12)).toBe(3);
    expect(drainsAtOnce(6, 3, 12)).toBe(6);
    expect(drainsAtOnce(2, 3, 12)).toBe(1);
    expect(drainsAtOnce(4, 3, 2)).toBe(1);
    expect(drainsAtOnce(4, 1, 12)).toBe(4);
  });

  it('with the zones chosen by the roll (surgePlacement orchestrator) drains maxSurge at once, within the nodes', () => {
    expect(drainsAtOnce(4, 3, 12, true)).toBe(4);
    expect(drainsAtOnce(2, 3, 12, true)).toBe(2);
    expect(drainsAtOnce(4, 3, 2, true)).toBe(2);
    expect(drainsAtOnce(1, 3, 12, true)).toBe(1);
    const t = template({ maxSurge: '4' });
    (t.Resources!.Rollout!.Properties as Record<string, unknown>).SurgePlacement = 'orchestrator';
    expect(dataRollMethod(t, 12)).toEqual({
      method: 'drain',
      atOnce: 4,
      text: 'data nodes: drain, 4 at a time, rollout.maxSurge 4, each surge instance launched into the zone its drain comes from, rollout.method auto and data volumes that die with their instances',
    });
  });

  it('auto with volumes that die with their instances drains; maxSurge 4 over 3 zones drains 3 at a time', () => {
    const m = dataRollMethod(template({ maxSurge: '4' }), 12)!;
    expect(m).toEqual({
      method: 'drain',
      atOnce: 3,
      text: 'data nodes: drain, 3 at a time, rollout.maxSurge 4 over 3 zones, rollout.method auto and data volumes that die with their instances',
    });
    // 12 nodes in 4 batches of (3600 s of recovery + 600 s boot), not 12 one by one.
    const t = {
      role: 'data',
      bootSeconds: 600,
      dataPerNodeBytes: 3_600_000,
      recoveryBytesPerSec: 1000,
    } as RoleTemplate;
    expect(estimateSeconds(t, 12, m)).toBe(4 * 4200);
    expect(estimateSeconds(t, 12)).toBe(12 * 4200);
  });

  it('auto with volumes that outlive their instances hands off where safe; drain when configured', () => {
    expect(dataRollMethod(template({ method: 'auto', persistent: true }), 12)).toMatchObject({
      method: 'handoff',
      text: 'data nodes: volume handoff where safe, else drain, rollout.method auto',
    });
    expect(dataRollMethod(template({ method: 'drain', persistent: true }), 12)).toMatchObject({
      method: 'drain',
      atOnce: 1,
      text: 'data nodes: drain, rollout.method drain',
    });
    expect(dataRollMethod(template({}), 12)).toBeUndefined();
  });

  it('reads the data-volumes tag the cluster stack writes, whose spec names the key with Fn::Join', () => {
    const t = template({ method: 'auto', persistent: true });
    const group = Object.values(t.Resources!).find((r) => Array.isArray(r.Properties?.Tags))!;
    (group.Properties!.Tags as { Key: string; Value: unknown }[])[0]!.Value = {
      'Fn::Join': ['', ['persistent:gp3/100/', { Ref: 'SecurityKeyDF37C26B' }]],
    };
    expect(dataRollMethod(t, 12)?.method).toBe('handoff');
  });

  it('the impact sentence names the method, and the estimate follows it', () => {
    const rolls = nodeRolls(template({ maxSurge: '4' }), template({ maxSurge: '4', image: 'ami-2' }), new Set());
    expect(rolls).toHaveLength(1);
    expect(rolls[0].estimateSeconds).toBe(4 * 4200);
    expect(impactSentences('staging/cluster', rolls, [])[0]).toContain(
      '12 data nodes will be replaced (data nodes: drain, 3 at a time, rollout.maxSurge 4 over 3 zones, ' +
        'rollout.method auto and data volumes that die with their instances); estimated 4 h 40 m',
    );
  });
});

describe('a roll longer than the deploy waits (issue 12, finding 12)', () => {
  const waiting = (timeout: string) => {
    const t = template({ maxSurge: '1', image: 'ami-2' });
    t.Resources!.Wait = { Type: 'AWS::CloudFormation::WaitCondition', Properties: { Timeout: timeout } };
    return t;
  };
  const sentence = (head: Template) =>
    impactSentences('staging/cluster', nodeRolls(template({ maxSurge: '1' }), head, new Set()), [])[0]!;

  it('is said before deploying, with what to change, when the estimate exceeds rollout.timeoutHours', () => {
    // 12 data nodes one at a time: 12 × 4200 s = 14 h against a 12 h wait.
    expect(deployWaitSeconds(waiting('43200'))).toBe(43200);
    const s = sentence(waiting('43200'));
    expect(s).toContain('estimated 14 h 0 m');
    expect(s).toContain(
      'LONGER THAN THE DEPLOY WAITS: the estimate (14 h 0 m) exceeds rollout.timeoutHours (12 h 0 m)',
    );
    expect(s).toContain('rollout.waitForCompletion: false');
  });

  it('is not said when the roll fits in the wait, or when the deploy does not wait', () => {
    expect(sentence(waiting(String(15 * 3600)))).not.toContain('LONGER THAN THE DEPLOY WAITS');
    expect(sentence(template({ maxSurge: '1', image: 'ami-2' }))).not.toContain('LONGER THAN THE DEPLOY WAITS');
    expect(deployWaitSeconds(template({}))).toBeUndefined();
  });

  it('compares with the estimate only when it is known', () => {
    expect(deployWaitWarning(undefined, 3600, String)).toBeUndefined();
    expect(deployWaitWarning(7200, undefined, String)).toBeUndefined();
    expect(deployWaitWarning(7200, 3600, String)).toContain('the estimate (7200) exceeds rollout.timeoutHours (3600)');
  });
});
