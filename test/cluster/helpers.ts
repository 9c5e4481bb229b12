import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../lib/app';
import { ClusterStack } from '../../lib/cluster/ClusterStack';
import { BuildVersion } from '../../lib/version';
import { testApp } from '../helpers/app';

export const ENVIRONMENTS = ['dev', 'ci', 'staging', 'production'] as const;

/** A fixed release build, so templates do not depend on the checkout's git state. */
export const FIXED_VERSION: BuildVersion = {
  version: '1.2.3',
  packageVersion: '1.2.3',
  prerelease: false,
  branch: 'main',
  sha: '0000000',
  dirty: false,
};

export interface Synthesized {
  readonly app: App;
  readonly stack: ClusterStack;
  readonly template: Template;
  readonly json: {
    Resources: Record<string, CfnResourceJson>;
    Outputs?: Record<string, unknown>;
    Mappings?: Record<string, unknown>;
  };
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly Metadata?: Record<string, unknown>;
  readonly UpdatePolicy?: Record<string, unknown>;
  readonly DependsOn?: string[];
}

const cache = new Map<string, Synthesized>();

/** The cluster stack of one environment from the real config, built like `cdk synth` builds it (cached). */
export function synthEnvironment(name: string, outdir?: string): Synthesized {
  const hit = outdir ? undefined : cache.get(name);
  if (hit) return hit;
  const app = testApp({ outdir });
  const [stage] = buildApp(app, { environments: [name], version: FIXED_VERSION });
  const stack = stage!.cluster;
  const template = Template.fromStack(stack);
  const result: Synthesized = { app, stack, template, json: template.toJSON() as Synthesized['json'] };
  if (!outdir) cache.set(name, result);
  return result;
}

/** Logical id → resource, for one type. */
export function resourcesOf(s: Synthesized, type: string): Record<string, CfnResourceJson> {
  return Object.fromEntries(Object.entries(s.json.Resources).filter(([, r]) => r.Type === type));
}

/** The logical id of a construct's default child. */
export function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}
