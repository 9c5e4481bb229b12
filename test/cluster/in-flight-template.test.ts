/**
 * Template of the Logstash in-flight work protection (issue #23): persistent queue sized from config (root volume and
 * node.env), the NLB's deregistration delay with connection termination, the termination lifecycle hook, and the
 * instance's right to heartbeat and complete that hook on its own group only.
 */
import { LOGSTASH_DRAIN_HOOK } from '../../lib/cluster/LogstashService';
import { resourcesOf, synthEnvironment } from './helpers';

describe('Logstash termination waits for its persistent queue (staging: 2 Logstash nodes)', () => {
  const s = synthEnvironment('staging');
  const groups = Object.entries(resourcesOf(s, 'AWS::AutoScaling::AutoScalingGroup')).filter(([id]) =>
    id.includes('Logstash'),
  );

  test('a termination lifecycle hook on the Logstash group, CONTINUE by default, 10 min heartbeat timeout', () => {
    const hooks = Object.values(resourcesOf(s, 'AWS::AutoScaling::LifecycleHook')).filter(
      (h) => h.Properties!.LifecycleHookName === LOGSTASH_DRAIN_HOOK,
    );
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.Properties).toMatchObject({
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      DefaultResult: 'CONTINUE',
      HeartbeatTimeout: 600,
      AutoScalingGroupName: { Ref: groups[0]![0] },
    });
  });

  test('the NLB target group keeps connections 60 s after deregistration, then closes them (Beats reconnect)', () => {
    const tgs = Object.values(resourcesOf(s, 'AWS::ElasticLoadBalancingV2::TargetGroup')).filter(
      (t) => t.Properties!.Port === 5044,
    );
    expect(tgs).toHaveLength(1);
    const attrs = Object.fromEntries(
      (tgs[0]!.Properties!.TargetGroupAttributes as { Key: string; Value: string }[]).map((a) => [a.Key, a.Value]),
    );
    expect(attrs).toMatchObject({
      'deregistration_delay.timeout_seconds': '60',
      'deregistration_delay.connection_termination.enabled': 'true',
    });
  });

  test('the queue is sized from config: node.env carries it and the root volume grows by as much', () => {
    const lts = Object.values(resourcesOf(s, 'AWS::EC2::LaunchTemplate')).filter((l) =>
      JSON.stringify(l).includes('logstash-boot.sh'),
    );
    expect(lts).toHaveLength(1);
    const data = JSON.stringify(lts[0]!.Properties!.LaunchTemplateData);
    expect(data).toContain("ELK_LS_QUEUE_MAX_BYTES='4gb'");
    expect(data).toContain("ELK_LS_DRAIN_TIMEOUT='1800'");
    expect(data).toContain(`ELK_LS_HOOK='${LOGSTASH_DRAIN_HOOK}'`);
    const devices = (
      lts[0]!.Properties!.LaunchTemplateData as { BlockDeviceMappings: { Ebs: { VolumeSize: number } }[] }
    ).BlockDeviceMappings;
    expect(devices[0]!.Ebs.VolumeSize).toBe(24);
  });

  test('the Logstash instance may heartbeat and complete lifecycle actions of its own group only', () => {
    const statements = Object.values(resourcesOf(s, 'AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p).includes('LifecycleAction'))
      .flatMap((p) => (p.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((st) => JSON.stringify(st.Action).includes('LifecycleAction'));
    const logstash = statements.filter((st) => JSON.stringify(st.Resource).includes(groups[0]![0]));
    expect(logstash).toHaveLength(1);
    expect([logstash[0]!.Action].flat().sort()).toEqual([
      'autoscaling:CompleteLifecycleAction',
      'autoscaling:RecordLifecycleActionHeartbeat',
    ]);
    expect(JSON.stringify(logstash[0]!.Resource)).toContain(':autoScalingGroupName/');
  });
});

describe('Kibana lets in-flight requests finish', () => {
  test('its ALB target group waits 60 s (the ALB idle timeout) before a deregistered instance goes', () => {
    const s = synthEnvironment('staging');
    const tgs = Object.values(resourcesOf(s, 'AWS::ElasticLoadBalancingV2::TargetGroup')).filter(
      (t) => t.Properties!.Port === 5601,
    );
    expect(tgs).toHaveLength(1);
    const attrs = (tgs[0]!.Properties!.TargetGroupAttributes as { Key: string; Value: string }[]) ?? [];
    expect(attrs).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: '60' });
    // Attached to the group, so Auto Scaling waits for the deregistration before it terminates an instance.
    const groups = Object.values(resourcesOf(s, 'AWS::AutoScaling::AutoScalingGroup')).filter((g) =>
      JSON.stringify(g.Properties!.TargetGroupARNs ?? []).includes('Kibana'),
    );
    expect(groups).toHaveLength(1);
  });
});
