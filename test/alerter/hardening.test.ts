import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AlerterStack } from '../../lib/alerter/AlerterStack';
import { EnvironmentConfig, loadEnvironment } from '../../lib/config';
import { testApp } from '../helpers/app';

// Issue #13: the alerter holds every alert secret; its egress is HTTPS and Elasticsearch only, and its parameters
// are readable only through its own customer-managed key.

const config = loadEnvironment('dev');

function synth(cfg: EnvironmentConfig = config, withVpc = true): Template {
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

function alerterEgress(t: Template): Egress[] {
  const sgs = Object.values(t.findResources('AWS::EC2::SecurityGroup'));
  expect(sgs).toHaveLength(1);
  const rules = (sgs[0]!.Properties.SecurityGroupEgress ?? []) as Egress[];
  expect(Object.keys(t.findResources('AWS::EC2::SecurityGroupEgress'))).toHaveLength(0);
  return rules.map((r) => ({ IpProtocol: r.IpProtocol, CidrIp: r.CidrIp, FromPort: r.FromPort, ToPort: r.ToPort }));
}

function decryptStatements(t: Template): { Resource: unknown }[] {
  const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
  );
  return statements.filter((s) => ([] as string[]).concat(s.Action).includes('kms:Decrypt'));
}

describe('alerter hardening', () => {
  const t = synth();

  test('egress is HTTPS anywhere and 9200 to the VPC, not all-open', () => {
    const rules = alerterEgress(t);
    expect(rules).toEqual([
      { IpProtocol: 'tcp', CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 },
      { IpProtocol: 'tcp', CidrIp: expect.anything(), FromPort: 9200, ToPort: 9200 },
    ]);
    // the VPC's own CIDR block (an output of the stack holding the VPC here)
    expect(JSON.stringify(rules[1]!.CidrIp)).toMatch(/Vpc[0-9A-F]{8}CidrBlock/);
  });

  test('alerter.egressPorts opens exactly the listed ports', () => {
    const rules = alerterEgress(synth({ ...config, alerter: { ...config.alerter, egressPorts: [587, 443, 587] } }));
    expect(rules.map((r) => r.FromPort)).toEqual([443, 9200, 587]);
    expect(rules[2]).toEqual({ IpProtocol: 'tcp', CidrIp: '0.0.0.0/0', FromPort: 587, ToPort: 587 });
  });

  test('with the cluster read from SSM, Elasticsearch egress goes to the configured VPC CIDR', () => {
    const rules = alerterEgress(synth(config, false));
    expect(rules.find((r) => r.FromPort === 9200)?.CidrIp).toBe(config.vpc.cidr);
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
