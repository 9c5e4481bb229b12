import { CfnOutput, CfnParameter, CfnRule, Fn, Stack, Stage, Tags } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { BuildVersion } from './version';

/** Output of every stack that carries the build version. */
export const VERSION_OUTPUT_ID = 'ElkVersion';
/** Tag key of the build version. */
export const VERSION_TAG_KEY = 'elk-cdk:version';
/** Parameter that forces a pre-release into an environment with `deploy.requireRelease`. */
export const ALLOW_PRERELEASE_PARAMETER = 'AllowPrerelease';
/** Output that records the AllowPrerelease value a deployment used. */
export const ALLOW_PRERELEASE_OUTPUT_ID = 'AllowPrereleaseUsed';
/** CloudFormation Rule that refuses a pre-release unless forced. */
export const RELEASE_RULE_ID = 'RequireReleaseBuild';

/**
 * Resource types that carry the version tag. Only the code we ship, where a tag update is an in-place metadata
 * change: never launch templates, Auto Scaling groups, instances or volumes (a changed launch template means
 * replaced nodes), and never the stack itself (CloudFormation propagates stack tags to every resource, launch
 * templates and instances included).
 */
export const VERSION_TAG_RESOURCE_TYPES: readonly string[] = [
  'AWS::Lambda::Function',
  'AWS::StepFunctions::StateMachine',
];

export interface StampVersionOptions {
  /** The environment refuses pre-release builds (`deploy.requireRelease`). */
  readonly requireRelease: boolean;
}

function stacksOf(stage: Stage): Stack[] {
  return stage.node
    .findAll()
    .filter((c: IConstruct): c is Stack => Stack.isStack(c) && Stage.of(c) === stage && !c.nested);
}

/** The message CloudFormation prints when the release rule fails. */
export function prereleaseRefusal(stageName: string, build: BuildVersion): string {
  return (
    `${stageName} accepts release builds only, and ${build.version} is a pre-release` +
    (build.reason ? ` (${build.reason})` : '') +
    `. Deploy a build of main, or force this exact build with: cdk deploy '${stageName}/*' --parameters ` +
    `${ALLOW_PRERELEASE_PARAMETER}=${build.version}`
  );
}

/**
 * Stamps the build version onto every stack of a stage: a CfnOutput, a tag on harmless resource types only, and,
 * when the environment requires releases, the `AllowPrerelease` parameter plus (for a pre-release build) a
 * CloudFormation Rule that fails the deployment, not the synth, unless the parameter equals this build's version.
 *
 * The version never reaches a launch template or user data, so a commit that changes only the version replaces
 * no node. Call after the stage's stacks are built.
 */
export function stampVersion(stage: Stage, build: BuildVersion, options: StampVersionOptions): void {
  for (const stack of stacksOf(stage)) {
    new CfnOutput(stack, VERSION_OUTPUT_ID, {
      value: build.version,
      description: 'elk-cdk build version (SemVer; a pre-release unless built from a clean main)',
    });
    Tags.of(stack).add(VERSION_TAG_KEY, build.version, {
      includeResourceTypes: [...VERSION_TAG_RESOURCE_TYPES],
      applyToLaunchedInstances: false,
    });
    if (!options.requireRelease) continue;
    // Declared for every build, release or not, so `--parameters AllowPrerelease=...` never names an unknown
    // parameter. The value that forces is the build's own version, not "true": the CDK CLI reuses a parameter's
    // previous value on the next deploy, so a "true" would silently keep forcing every later pre-release.
    const allow = new CfnParameter(stack, ALLOW_PRERELEASE_PARAMETER, {
      type: 'String',
      default: 'false',
      description:
        'Force a pre-release build into this environment: set it to the exact build version (see the output ElkVersion).',
    });
    // Records which value the deployment ran with ("false" unless forced), and references the parameter so a
    // release build's template has no unused parameter (cfn-lint W2001).
    new CfnOutput(stack, ALLOW_PRERELEASE_OUTPUT_ID, {
      value: allow.valueAsString,
      description: `The ${ALLOW_PRERELEASE_PARAMETER} value of the last deployment ("false" unless a pre-release was forced)`,
    });
    if (build.prerelease) {
      new CfnRule(stack, RELEASE_RULE_ID, {
        assertions: [
          {
            assert: Fn.conditionEquals(allow.valueAsString, build.version),
            assertDescription: prereleaseRefusal(stage.stageName, build),
          },
        ],
      });
    }
  }
}
