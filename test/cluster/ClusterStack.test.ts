import { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as constructs from 'constructs';
import { heapMiB, loadEnvironment } from '../../lib/config';
import { ENVIRONMENTS, resourcesOf, synthEnvironment, Synthesized, CfnResourceJson } from './helpers';
import { ssmAgentStatements } from '../../lib/cluster/NodeRole';

const roleTag = (r: CfnResourceJson) =>
  (r.Properties?.Tags as Array<{ Key: string; Value: string }> | undefined)?.find((t) => t.Key === 'elk-cdk:role')
    ?.Value;

function groupsByRole(s: Synthesized): Record<string, CfnResourceJson> {
  const out: Record<string, CfnResourceJson> = {};
  for (const r of Object.values(resourcesOf(s, 'AWS::AutoScaling::AutoScalingGroup'))) {
    const role = roleTag(r);
    if (role) out[role] = r;
  }
  return out;
}

function launchTemplateOf(s: Synthesized, group: CfnResourceJson): CfnResourceJson {
  const id = group.Properties!.LaunchTemplate.LaunchTemplateId.Ref as string;
  return s.json.Resources[id]!;
}

/** The user data as one string, tokens rendered as <Ref:...>. */
function userDataText(lt: CfnResourceJson): string {
  const join = lt.Properties!.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1] as unknown[];
  return join.map((p) => (typeof p === 'string' ? p : `<${JSON.stringify(p)}>`)).join('');
}

/** Security group logical id → its name on ClusterSecurityGroups (Elasticsearch, Client, ...). */
function sgNames(s: Synthesized): Record<string, string> {
  const names: Record<string, string> = {};
  const groups = s.stack.securityGroups as unknown as Record<string, unknown>;
  for (const [field, sg] of Object.entries(groups)) {
    if (!(sg instanceof ec2.SecurityGroup)) continue;
    const name = field.charAt(0).toUpperCase() + field.slice(1);
    names[s.stack.getLogicalId(sg.node.defaultChild as CfnElement)] = name;
  }
  return names;
}

/** Every ingress rule of the stack as "<to> <- <from> tcp <port>". */
function ingressRules(s: Synthesized): string[] {
  const names = sgNames(s);
  const peer = (rule: Record<string, unknown>) => {
    if (rule.CidrIp) return String(rule.CidrIp);
    const src = rule.SourceSecurityGroupId as { 'Fn::GetAtt': [string, string] };
    return names[src['Fn::GetAtt'][0]] ?? JSON.stringify(src);
  };
  const rules: string[] = [];
  for (const [id, r] of Object.entries(resourcesOf(s, 'AWS::EC2::SecurityGroup'))) {
    for (const rule of (r.Properties?.SecurityGroupIngress ?? []) as Array<Record<string, unknown>>) {
      rules.push(`${names[id]} <- ${peer(rule)} ${rule.IpProtocol} ${rule.FromPort}-${rule.ToPort}`);
    }
  }
  for (const r of Object.values(resourcesOf(s, 'AWS::EC2::SecurityGroupIngress'))) {
    const to = names[(r.Properties!.GroupId as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]];
    rules.push(
      `${to} <- ${peer(r.Properties!)} ${r.Properties!.IpProtocol} ${r.Properties!.FromPort}-${r.Properties!.ToPort}`,
    );
  }
  return rules.sort();
}

describe.each(ENVIRONMENTS)('cluster stack of %s', (env) => {
  const config = loadEnvironment(env);
  const s = synthEnvironment(env);
  const groups = groupsByRole(s);

  test('has a master group and a data group with the configured counts and instance types', () => {
    const es = config.elasticsearch;
    for (const [role, nodes] of [
      ['master', es.masterNodes],
      ['data', es.dataNodes],
    ] as const) {
      const g = groups[role]!;
      expect(g).toBeDefined();
      expect(g.Properties!.MinSize).toBe(String(nodes.count));
      // Surge room: rollout.maxSurge for data nodes, one for masters.
      expect(g.Properties!.MaxSize).toBe(String(nodes.count + (role === 'data' ? config.rollout.maxSurge : 1)));
      expect(g.Properties!.DesiredCapacity).toBeUndefined();
      expect(launchTemplateOf(s, g).Properties!.LaunchTemplateData.InstanceType).toBe(nodes.instanceType);
    }
  });

  test('Elasticsearch groups have no rolling, replacing or refresh update policy and EC2 health checks', () => {
    for (const role of ['master', 'data']) {
      const g = groups[role]!;
      expect(g.UpdatePolicy?.AutoScalingRollingUpdate).toBeUndefined();
      expect(g.UpdatePolicy?.AutoScalingReplacingUpdate).toBeUndefined();
      expect(g.UpdatePolicy?.AutoScalingInstanceRefresh).toBeUndefined();
      expect(g.Properties!.HealthCheckType).toBe('EC2');
      // Auto Scaling never picks a node by itself (issue 12, finding 1).
      expect(g.Properties!.NewInstancesProtectedFromScaleIn).toBe(true);
      expect(g.Properties!.TargetGroupARNs ?? []).toHaveLength(role === 'data' ? 1 : 0);
    }
  });

  test('every group is pinned to its launch template latest version NUMBER, never $Latest or $Default', () => {
    for (const g of Object.values(resourcesOf(s, 'AWS::AutoScaling::AutoScalingGroup'))) {
      const spec = g.Properties!.LaunchTemplate;
      expect(spec.Version).toEqual({ 'Fn::GetAtt': [spec.LaunchTemplateId.Ref, 'LatestVersionNumber'] });
    }
  });

  test('the masters spread over three availability zones', () => {
    expect(groups.master!.Properties!.VPCZoneIdentifier).toHaveLength(3);
  });

  test('every launch template requires IMDSv2, encrypts gp3 volumes, has no public IP and no SSH key', () => {
    const lts = Object.values(resourcesOf(s, 'AWS::EC2::LaunchTemplate'));
    expect(lts.length).toBe(2 + (config.kibana.count > 0 ? 1 : 0) + (config.logstash.count > 0 ? 1 : 0));
    for (const lt of lts) {
      const d = lt.Properties!.LaunchTemplateData;
      expect(d.MetadataOptions.HttpTokens).toBe('required');
      expect(d.KeyName).toBeUndefined();
      expect(d.NetworkInterfaces.map((n: { AssociatePublicIpAddress: boolean }) => n.AssociatePublicIpAddress)).toEqual(
        [false],
      );
      expect(d.BlockDeviceMappings.length).toBeGreaterThan(0);
      for (const b of d.BlockDeviceMappings) expect(b.Ebs).toMatchObject({ Encrypted: true, VolumeType: 'gp3' });
    }
  });

  test('data nodes get their own data volume of the configured size, created at boot (not a launch-template device)', () => {
    const d = launchTemplateOf(s, groups.data!).Properties!.LaunchTemplateData;
    expect(d.BlockDeviceMappings.map((b: { DeviceName: string }) => b.DeviceName)).not.toContain('/dev/sdf');
    const text = userDataText(launchTemplateOf(s, groups.data!));
    expect(text).toContain(`ELK_VOLUME_SIZE_GB='${config.elasticsearch.dataNodes.volumeGb}'`);
    expect(text).toContain("ELK_VOLUME_TYPE='gp3'");
  });

  test('the user data pins the configured version, the heap of the instance type, and never names initial masters', () => {
    for (const role of ['master', 'data'] as const) {
      const text = userDataText(launchTemplateOf(s, groups[role]!));
      expect(text).toContain(`ELK_ES_VERSION='${config.elasticsearch.version}'`);
      expect(text).toContain(`ELK_ROLE='${role}'`);
      const type =
        role === 'master' ? config.elasticsearch.masterNodes.instanceType : config.elasticsearch.dataNodes.instanceType;
      expect(text).toContain(`ELK_HEAP_MIB='${heapMiB(type)}'`);
      // The decision lives in es-bootstrap-decision.sh at boot; the user data itself never bootstraps a cluster.
      expect(text).not.toContain('initial_master_nodes');
      expect(text).toContain('/opt/elk-cdk/bin/es-node-boot.sh');
    }
  });

  test('the user data stays well below the 16 KiB EC2 limit (scripts come from S3, not inline)', () => {
    for (const lt of Object.values(resourcesOf(s, 'AWS::EC2::LaunchTemplate'))) {
      // Tokens rendered as JSON are longer than the ARNs and ids CloudFormation puts in their place.
      expect(userDataText(lt).length).toBeLessThan(4096);
    }
  });

  test('security group ingress rules are exactly the listed ones', () => {
    const cidr = config.vpc.cidr;
    const expected = [
      'Elasticsearch <- Elasticsearch tcp 9300-9300',
      'Elasticsearch <- Client tcp 9200-9200',
      'Elasticsearch <- EsLoadBalancer tcp 9200-9200',
      'EsLoadBalancer <- Client tcp 9200-9200',
    ];
    if (config.kibana.count > 0) {
      expected.push('Kibana <- KibanaLoadBalancer tcp 5601-5601');
      // the metrics collector reads each instance's certificate (issue #13)
      expected.push('Kibana <- CertificateProbe tcp 5601-5601');
      const port = config.kibana.certificateArn ? 443 : 80;
      expected.push(`KibanaLoadBalancer <- ${cidr} tcp ${port}-${port}`);
    }
    if (config.logstash.count > 0) {
      expected.push('Logstash <- LogstashLoadBalancer tcp 5044-5044');
      expected.push('Logstash <- CertificateProbe tcp 5044-5044');
      expected.push(`LogstashLoadBalancer <- ${cidr} tcp 5044-5044`);
    }
    expect(ingressRules(s)).toEqual(expected.sort());
  });

  test('each Elasticsearch, Kibana and Logstash launch template carries the metadata contract', () => {
    const expectedData =
      (config.rollout.expectedDataPerNodeGb ?? config.elasticsearch.dataNodes.volumeGb / 2) * 1024 ** 3;
    const byRole: Record<string, Record<string, unknown>> = {};
    for (const lt of Object.values(resourcesOf(s, 'AWS::EC2::LaunchTemplate'))) {
      byRole[lt.Metadata!['elk-cdk:role'] as string] = lt.Metadata!;
    }
    expect(byRole.data).toMatchObject({
      'elk-cdk:nodeCount': config.elasticsearch.dataNodes.count,
      'elk-cdk:elasticsearchVersion': config.elasticsearch.version,
      'elk-cdk:dataPerNodeBytes': expectedData,
      'elk-cdk:bootSeconds': 180,
    });
    // The recovery bandwidth is a dynamic cluster setting: on the resource that applies it, not a launch template.
    expect(byRole.data!['elk-cdk:recoveryBytesPerSec']).toBeUndefined();
    const [applier] = Object.values(resourcesOf(s, 'Custom::ElkIndexDefinitions'));
    expect(applier!.Metadata!['elk-cdk:recoveryBytesPerSec']).toBe(config.elasticsearch.recoveryBytesPerSec);
    expect(byRole.master).toMatchObject({
      'elk-cdk:nodeCount': config.elasticsearch.masterNodes.count,
      'elk-cdk:dataPerNodeBytes': 0,
    });
    if (config.kibana.count > 0) expect(byRole.kibana).toMatchObject({ 'elk-cdk:nodeCount': config.kibana.count });
    if (config.logstash.count > 0) {
      expect(byRole.logstash).toMatchObject({ 'elk-cdk:nodeCount': config.logstash.count });
    } else {
      expect(byRole.logstash).toBeUndefined();
    }
  });

  test('every taggable resource carries the environment and component tags; no launch template carries a build version', () => {
    let checked = 0;
    for (const [id, r] of Object.entries(s.json.Resources)) {
      const tags = r.Properties?.Tags as Array<{ Key: string; Value: string }> | undefined;
      if (!Array.isArray(tags)) continue;
      checked++;
      const keys = Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
      expect({ id, env: keys['elk-cdk:environment'] }).toEqual({ id, env: env });
      expect({ id, component: typeof keys['elk-cdk:component'] }).toEqual({ id, component: 'string' });
    }
    expect(checked).toBeGreaterThan(10);
    for (const lt of Object.values(resourcesOf(s, 'AWS::EC2::LaunchTemplate'))) {
      expect(JSON.stringify(lt)).not.toContain('elk-cdk:version');
    }
  });

  test('Kibana listens with HTTPS when a certificate is configured and plain HTTP only when allowed', () => {
    if (config.kibana.count === 0) return;
    if (config.kibana.certificateArn) {
      s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Port: 443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: config.kibana.certificateArn }],
      });
    } else {
      expect(config.kibana.allowPlainHttp).toBe(true);
      s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    }
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'application',
      Scheme: 'internal',
    });
  });

  test('Logstash sits behind an internal NLB on 5044 exactly when logstash.count > 0', () => {
    const listeners = Object.values(resourcesOf(s, 'AWS::ElasticLoadBalancingV2::Listener')).map(
      (l) => l.Properties!.Port,
    );
    expect(listeners.includes(5044)).toBe(config.logstash.count > 0);
    expect(listeners).toContain(9200);
    // Every NLB has a security group from its creation: one added later would replace it (and its DNS name).
    for (const lb of Object.values(resourcesOf(s, 'AWS::ElasticLoadBalancingV2::LoadBalancer'))) {
      expect((lb.Properties!.SecurityGroups as unknown[] | undefined)?.length ?? 0).toBeGreaterThan(0);
    }
  });

  test('instance roles hold least privilege: the SSM agent and one read-only wildcard action, no managed policy, the marker parameter only for masters', () => {
    const policies = Object.entries(resourcesOf(s, 'AWS::IAM::Policy'));
    const policyOf = (role: string) =>
      policies.find(([id]) => id.startsWith(`${role}InstanceRoleDefaultPolicy`))![1].Properties!.PolicyDocument
        .Statement as Array<{ Action: string | string[]; Resource: unknown }>;
    for (const role of ['Master', 'Data']) {
      // The SSM agent's actions (no resource-level permissions; lib/cluster/NodeRole.ts), DescribeInstances, and
      // PutMetricData in the nodes' own namespace only (the certificate's days to expiry).
      const wildcard = policyOf(role).filter((st) => st.Resource === '*');
      const unconditioned = wildcard.filter((st) => !(st as { Condition?: unknown }).Condition);
      expect(unconditioned.flatMap((st) => [st.Action].flat())).toEqual([
        ...ssmAgentStatements().flatMap((st) => st.actions),
        'ec2:DescribeInstances',
        // data nodes find their free data volume (no resource-level permissions; test/cluster/data-volumes.test.ts)
        ...(role === 'Data' ? ['ec2:DescribeVolumes'] : []),
      ]);
      const conditioned = wildcard.filter((st) => (st as { Condition?: unknown }).Condition);
      expect(conditioned).toEqual([
        expect.objectContaining({
          Action: 'cloudwatch:PutMetricData',
          Condition: { StringEquals: { 'cloudwatch:namespace': 'elk-cdk/Nodes' } },
        }),
      ]);
    }
    const actions = (role: string) => policyOf(role).flatMap((st) => [st.Action].flat());
    expect(actions('Master')).toEqual(expect.arrayContaining(['ssm:GetParameter', 'ssm:PutParameter']));
    expect(actions('Data')).not.toContain('ssm:PutParameter');
    s.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });

  test('the AMI comes from the pinned per-region map, never from a lookup', () => {
    const lt = launchTemplateOf(s, groups.data!);
    const imageId = lt.Properties!.LaunchTemplateData.ImageId;
    if (config.region) {
      expect(imageId).toBe(config.ami.images[config.region]);
    } else {
      expect(imageId['Fn::FindInMap']).toBeDefined();
      for (const ami of Object.values(config.ami.images)) expect(JSON.stringify(s.json.Mappings)).toContain(ami);
    }
  });

  test('logical ids of the stateful resources are stable', () => {
    const ids = Object.keys(s.json.Resources);
    for (const id of [
      'MasterGroupASG3908527C',
      'DataGroupASGDA04D56F',
      'MasterLaunchTemplateA557953A',
      'DataLaunchTemplate2B0F72AF',
    ]) {
      expect(ids).toContain(id);
    }
  });
});

describe('the seam for the rolling replacement', () => {
  const s = synthEnvironment('staging');

  test('exposes the groups, launch templates, pinned versions, endpoint and security groups', () => {
    const st = s.stack;
    expect(st.masterGroup).toBe(st.master.autoScalingGroup);
    expect(st.dataGroup).toBe(st.data.autoScalingGroup);
    expect(st.resolve(st.dataTargetVersion)).toEqual({
      'Fn::GetAtt': ['DataLaunchTemplate2B0F72AF', 'LatestVersionNumber'],
    });
    expect(st.resolve(st.masterTargetVersion)).toEqual({
      'Fn::GetAtt': ['MasterLaunchTemplateA557953A', 'LatestVersionNumber'],
    });
    expect(st.resolve(st.esEndpoint)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^EsLoadBalancerNlb/), 'DNSName'],
    });
    expect(st.esUrl).toBe('https://elasticsearch.staging.elk.internal:9200');
    expect(st.clientSecurityGroup).toBe(st.securityGroups.client);
    expect(st.esSecurityGroup).toBe(st.securityGroups.elasticsearch);
  });

  test('kibanaWaitsFor makes the Kibana launch template and group depend on the given construct', () => {
    // A fresh synth: the dependency is added before synthesis.
    const { testApp } = jest.requireActual('../helpers/app') as typeof import('../helpers/app');
    const { buildApp } = jest.requireActual('../../lib/app') as typeof import('../../lib/app');
    const { FIXED_VERSION } = jest.requireActual('./helpers') as typeof import('./helpers');
    const app = testApp();
    const [stage] = buildApp(app, { environments: ['dev'], version: FIXED_VERSION });
    const stack = stage!.cluster;
    const marker = new constructs.Construct(stack, 'RollingReplacementStandIn');
    const { CfnWaitConditionHandle } = jest.requireActual('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const handle = new CfnWaitConditionHandle(marker, 'Handle');
    stack.kibanaWaitsFor(marker);
    const { Template } = jest.requireActual('aws-cdk-lib/assertions') as typeof import('aws-cdk-lib/assertions');
    const json = Template.fromStack(stack).toJSON() as { Resources: Record<string, CfnResourceJson> };
    const handleId = stack.getLogicalId(handle);
    const kibana = Object.entries(json.Resources).filter(([id]) =>
      /^Kibana(LaunchTemplate[0-9A-F]{8}|GroupASG)/.test(id),
    );
    expect(kibana).toHaveLength(2);
    for (const [, r] of kibana) expect(r.DependsOn).toContain(handleId);
  });
});
