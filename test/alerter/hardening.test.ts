import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AlerterStack } from '../../lib/alerter/AlerterStack';
import { EnvironmentConfig, loadEnvironment } from '../../lib/config';
import { testApp } from '../helpers/app';

// Issue #13: the alerter holds every alert secret; its egress is HTTPS and Elasticsearch only, and its parameters
// are readable only through its own customer-managed key.

const config = loadEnvironment('dev');

type Groups = 'client+elasticsearch' | 'client';

function synth(cfg: EnvironmentConfig = config, withVpc = true, groups: Groups = 'client+elasticsearch'): Template {
  const app = testApp();
  const net = new Stack(app, 'Net');
  const vpc = new ec2.Vpc(net, 'Vpc', { ipAddresses: ec2.IpAddresses.cidr('10.77.0.0/16'), maxAzs: 2 });
  const stack = new AlerterStack(app, 'Alerter', {
    config: cfg,
    esEndpoint: 'es.dev.elk.internal',
    ...(withVpc
      ? {
          vpc,
          clientSecurityGroup: new ec2.SecurityGroup(net, 'EsClients', { vpc }),
          ...(groups === 'client+elasticsearch'
            ? { elasticsearchSecurityGroup: new ec2.SecurityGroup(net, 'EsNlb', { vpc }) }
            : {}),
          credentialsSecret: new secretsmanager.Secret(net, 'ElastalertUser'),
        }
      : {}),
  });
  return Template.fromStack(stack);
}

interface Egress {
  IpProtocol: string;
  CidrIp?: string;
  FromPort?: number;
  ToPort?: number;
}

/** The inline egress rules of the alerter's own group (its only group in this stack). */
function alerterEgress(t: Template): Egress[] {
  const sgs = Object.values(t.findResources('AWS::EC2::SecurityGroup'));
  expect(sgs).toHaveLength(1);
  const rules = (sgs[0]!.Properties.SecurityGroupEgress ?? []) as Egress[];
  return rules.map((r) => ({ IpProtocol: r.IpProtocol, CidrIp: r.CidrIp, FromPort: r.FromPort, ToPort: r.ToPort }));
}

/** The separate egress rules (to another security group) of the stack. */
function groupEgress(t: Template): Array<Record<string, unknown>> {
  return Object.values(t.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => r.Properties);
}

function decryptStatements(t: Template): { Resource: unknown }[] {
  const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
  );
  return statements.filter((s) => ([] as string[]).concat(s.Action).includes('kms:Decrypt'));
}

describe('alerter hardening', () => {
  const t = synth();

  test('egress is HTTPS anywhere and 9200 to the Elasticsearch load balancer group only, not to the VPC', () => {
    expect(alerterEgress(t)).toEqual([{ IpProtocol: 'tcp', CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 }]);
    const [sg] = Object.keys(t.findResources('AWS::EC2::SecurityGroup'));
    const es = groupEgress(t);
    expect(es).toEqual([
      {
        GroupId: { 'Fn::GetAtt': [sg, 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 9200,
        ToPort: 9200,
        DestinationSecurityGroupId: expect.anything(),
        Description: expect.any(String),
      },
    ]);
    // the NLB's group (an export of the stack holding it here), no CIDR
    expect(JSON.stringify(es[0]!.DestinationSecurityGroupId)).toMatch(/EsNlb[0-9A-F]{8}GroupId/);
  });

  test('alerter.egressPorts opens exactly the listed ports', () => {
    const rules = alerterEgress(synth({ ...config, alerter: { ...config.alerter, egressPorts: [587, 443, 587] } }));
    expect(rules.map((r) => r.FromPort)).toEqual([443, 587]);
    expect(rules[1]).toEqual({ IpProtocol: 'tcp', CidrIp: '0.0.0.0/0', FromPort: 587, ToPort: 587 });
  });

  test('with the cluster read from SSM, 9200 goes to the group of /elk/<env>/cluster/es-load-balancer-security-group-id', () => {
    const ssm = synth(config, false);
    expect(alerterEgress(ssm).filter((r) => r.FromPort === 9200)).toEqual([]);
    const [rule] = groupEgress(ssm);
    expect(rule).toMatchObject({ FromPort: 9200, ToPort: 9200, IpProtocol: 'tcp' });
    const ref = (rule!.DestinationSecurityGroupId as { Ref: string }).Ref;
    expect(ssm.toJSON().Parameters[ref]).toMatchObject({
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: '/elk/dev/cluster/es-load-balancer-security-group-id',
    });
  });

  test('with only a client group: no 9200 rule on its own group (the client group carries it)', () => {
    const only = synth(config, true, 'client');
    expect(alerterEgress(only).map((r) => r.FromPort)).toEqual([443]);
    expect(groupEgress(only)).toEqual([]);
  });

  test('with neither group, synth warns naming the fix (no 9200 out at all)', () => {
    const app = testApp();
    const net = new Stack(app, 'Net');
    const vpc = new ec2.Vpc(net, 'Vpc', { maxAzs: 2 });
    const stack = new AlerterStack(app, 'Alerter', { config, vpc, esEndpoint: 'es.dev.elk.internal' });
    const warnings = Annotations.fromStack(stack)
      .findWarning('*', Match.stringLikeRegexp('no way to Elasticsearch'))
      .map((w) => String(w.entry.data));
    expect(warnings).toEqual([
      expect.stringMatching(
        /pass elasticsearchSecurityGroup .* or clientSecurityGroup .*\[ack: elk-cdk:alerter-no-elasticsearch-path\]/,
      ),
    ]);
    const t2 = Template.fromStack(stack);
    expect(alerterEgress(t2).map((r) => r.FromPort)).toEqual([443]);
    expect(groupEgress(t2)).toEqual([]);
  });

  test('a retained, rotating customer-managed key alias/elk/<env>/alerter', () => {
    t.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/elk/dev/alerter' });
    const keys = t.findResources('AWS::KMS::Key');
    expect(Object.values(keys)).toHaveLength(1);
    const [id, key] = Object.entries(keys)[0]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    // Retained on update and delete, not left behind by a rolled-back first create (issue 20).
    expect(key.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(key.UpdateReplacePolicy).toBe('Retain');
    // the instance role decrypts with that key only (and the elastalert user's secret key), never with '*'
    const decrypts = decryptStatements(t);
    expect(decrypts.map((s) => s.Resource)).not.toContainEqual('*');
    expect(decrypts.map((s) => s.Resource)).toContainEqual({ 'Fn::GetAtt': [id, 'Arn'] });
  });
});
