import { createHash } from 'crypto';

/**
 * CloudFormation intrinsics resolved to fake but consistent values, so the synthesized user data can run offline:
 * the same reference always gives the same value, within a stack and across stacks (Fn::ImportValue follows the
 * exporting stack's output). Only what the project's templates use is supported; anything else throws, naming it.
 */
export interface Template {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, unknown>; [k: string]: unknown }>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  readonly Parameters?: Record<string, { Type?: string; Default?: unknown }>;
}

export interface StackContext {
  readonly stackName: string;
  readonly template: Template;
  readonly region: string;
  readonly account: string;
  /** Resolves Fn::ImportValue (an export name of another stack of the same stage). */
  readonly importValue: (name: string) => string;
  /** The value of an SSM parameter a stack of the stage creates (for `AWS::SSM::Parameter::Value<...>` parameters). */
  readonly ssmValue: (name: string) => string | undefined;
}

/** A short stable hex id of a string (fake resource ids). */
export function fakeId(seed: string, length = 17): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

export function stackId(ctx: Pick<StackContext, 'region' | 'account' | 'stackName'>): string {
  const h = fakeId(`stack:${ctx.stackName}`, 32);
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  return `arn:aws:cloudformation:${ctx.region}:${ctx.account}:stack/${ctx.stackName}/${uuid}`;
}

function pseudo(name: string, ctx: StackContext): string {
  switch (name) {
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      return ctx.account;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::StackId':
      return stackId(ctx);
    case 'AWS::NoValue':
      return '';
    default:
      throw new Error(`unsupported pseudo parameter ${name}`);
  }
}

/** The physical id (Ref) of a resource, in the shape its type really has. */
function ref(logicalId: string, ctx: StackContext): string {
  const param = ctx.template.Parameters?.[logicalId];
  if (param) {
    const value = String(param.Default ?? '');
    if (param.Type?.startsWith('AWS::SSM::Parameter::Value<') && !value.startsWith('/cdk-bootstrap/')) {
      const resolved = ctx.ssmValue(value);
      if (resolved === undefined)
        throw new Error(`parameter ${logicalId}: no stack of the stage writes SSM parameter ${value}`);
      return resolved;
    }
    return value;
  }
  const res = ctx.template.Resources?.[logicalId];
  if (!res) throw new Error(`Ref to unknown resource ${logicalId} in ${ctx.stackName}`);
  const props = res.Properties ?? {};
  const h = fakeId(`${ctx.stackName}/${logicalId}`);
  switch (res.Type) {
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:${ctx.region}:${ctx.account}:secret:${logicalId}-${h.slice(0, 6)}`;
    case 'AWS::SSM::Parameter':
      return typeof props.Name === 'string' ? props.Name : `CFN-${logicalId}-${h.slice(0, 12)}`;
    case 'AWS::EC2::SecurityGroup':
      return `sg-${h}`;
    case 'AWS::EC2::Subnet':
      return `subnet-${h}`;
    case 'AWS::EC2::VPC':
      return `vpc-${h}`;
    case 'AWS::EC2::LaunchTemplate':
      return `lt-${h}`;
    case 'AWS::AutoScaling::AutoScalingGroup':
      return typeof props.AutoScalingGroupName === 'string'
        ? props.AutoScalingGroupName
        : `${ctx.stackName}-${logicalId}-${h.slice(0, 12)}`;
    case 'AWS::S3::Bucket':
      return typeof props.BucketName === 'string'
        ? props.BucketName
        : `${ctx.stackName}-${logicalId}-${h.slice(0, 12)}`.toLowerCase();
    case 'AWS::KMS::Key':
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(12, 15)}-8${h.slice(15, 17)}0-000000000000`;
    default:
      return `${ctx.stackName}-${logicalId}-${h.slice(0, 12)}`;
  }
}

function getAtt(logicalId: string, attr: string, ctx: StackContext): string {
  const res = ctx.template.Resources?.[logicalId];
  if (!res) throw new Error(`Fn::GetAtt of unknown resource ${logicalId} in ${ctx.stackName}`);
  const h = fakeId(`${ctx.stackName}/${logicalId}`);
  if (attr === 'GroupId') return ref(logicalId, ctx);
  if (attr === 'Arn')
    return `arn:aws:${res.Type.split('::')[1]!.toLowerCase()}:${ctx.region}:${ctx.account}:${logicalId}/${h}`;
  if (attr === 'DNSName')
    return `${logicalId.toLowerCase().slice(0, 20)}-${h.slice(0, 10)}.elb.${ctx.region}.amazonaws.com`;
  if (attr === 'FunctionUrl')
    return `https://${fakeId(`${ctx.stackName}/${logicalId}`, 32)}.lambda-url.${ctx.region}.on.aws/`;
  if (attr === 'LatestVersionNumber' || attr === 'DefaultVersionNumber') return '1';
  return `${logicalId}.${attr}.${h.slice(0, 8)}`;
}

function str(v: unknown, ctx: StackContext): string {
  const r = resolve(v, ctx);
  if (typeof r === 'string') return r;
  if (typeof r === 'number' || typeof r === 'boolean') return String(r);
  throw new Error(`expected a string, got ${JSON.stringify(r).slice(0, 80)}`);
}

/** Resolves every intrinsic in `value`. */
export function resolve(value: unknown, ctx: StackContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, ctx));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [k] = keys as [string];
    const arg = obj[k];
    switch (k) {
      case 'Ref': {
        const name = String(arg);
        return name.startsWith('AWS::') ? pseudo(name, ctx) : ref(name, ctx);
      }
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
        return getAtt(id!, attr!, ctx);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (resolve(parts, ctx) as unknown[]).map((p) => str(p, ctx)).join(sep);
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
        return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (vars[name] !== undefined) return str(vars[name], ctx);
          if (name.startsWith('AWS::')) return pseudo(name, ctx);
          const [id, attr] = name.split('.');
          return attr ? getAtt(id!, attr, ctx) : ref(id!, ctx);
        });
      }
      case 'Fn::Base64':
        return str(arg, ctx);
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = resolve(list, ctx) as unknown[];
        return items[Number(resolve(index, ctx))];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return str(text, ctx).split(sep);
      }
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((z) => `${ctx.region}${z}`);
      case 'Fn::ImportValue':
        return ctx.importValue(str(arg, ctx));
      case 'Fn::If':
      case 'Fn::FindInMap':
        throw new Error(`unsupported intrinsic ${k}`);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolve(obj[k], ctx)]));
}
