import * as fs from 'fs';
import * as path from 'path';
import { App, CloudFormationValidatePlugin, ValidationRuleSource, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/** Folder of the project's CloudFormation Guard rules (`*.guard`). */
export const GUARD_RULES_DIR = __dirname;

/** Every Guard rule file of the project, sorted by name. */
export function projectGuardRules(dir: string = GUARD_RULES_DIR): ValidationRuleSource[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.guard'))
    .sort()
    .map((f) => ({ name: `lib/guard/${f}`, content: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/**
 * The synth gates of the app, for every stage:
 * - AWS's CloudFormation validator (schema, semantics, best practices; errors fail synth because cdk.json sets
 *   `@aws-cdk/core:validateAgainstDefaultRules`) plus the project's Guard rules in lib/guard;
 * - cdk-nag's AwsSolutions pack (v3: a validation plugin; acknowledgements live on the narrowest construct).
 * Registered on the App: CDK allows the CloudFormation validator only there, and App plugins see every stage.
 */
export function addValidationPlugins(app: App): void {
  Validations.of(app).addPlugins(projectValidatePlugin(), new AwsSolutionsChecks(app));
}

let plugin: CloudFormationValidatePlugin | undefined;

/**
 * AWS's validator with the default rules and the project's Guard rules. One instance per process: its WebAssembly
 * engine is expensive to start, and it is reused for every app (tests build many).
 */
export function projectValidatePlugin(): CloudFormationValidatePlugin {
  plugin ??= new CloudFormationValidatePlugin({ guardRules: projectGuardRules(), includeDefaultRules: true });
  return plugin;
}
