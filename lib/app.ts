import { App } from 'aws-cdk-lib';
import { EnvironmentConfig, loadAllEnvironments, loadEnvironment } from './config';
import { ElkStage } from './ElkStage';

export interface BuildAppOptions {
  /** Config folder; default ELK_CONFIG_DIR or config/environments. */
  readonly configDir?: string;
  /** Only these environments (default: every environment, or the `envs` context value "a,b"). */
  readonly environments?: readonly string[];
}

/** Adds one ElkStage per environment to the app. Shared by bin/app.ts and the tests. */
export function buildApp(app: App, options: BuildAppOptions = {}): ElkStage[] {
  const only = options.environments ?? (app.node.tryGetContext('envs') as string | undefined)?.split(',');
  const configs: EnvironmentConfig[] = only
    ? only.map((n) => loadEnvironment(n.trim(), options.configDir))
    : loadAllEnvironments(options.configDir);
  return configs.map((config) => new ElkStage(app, config.name, { config }));
}
