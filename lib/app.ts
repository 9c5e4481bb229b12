import { App } from 'aws-cdk-lib';
import { EnvironmentConfig, loadAllEnvironments, loadEnvironment } from './config';
import { ElkStage } from './ElkStage';
import { addValidationPlugins } from './guard';
import { BuildVersion, readBuildVersion, stampVersion } from './version';

export interface BuildAppOptions {
  /** Config folder; default ELK_CONFIG_DIR or config/environments. */
  readonly configDir?: string;
  /** Only these environments (default: every environment, or the `envs` context value "a,b"). */
  readonly environments?: readonly string[];
  /** Build version stamped on every stack (output, harmless tags, release guard); default: from package.json + git + CI env. */
  readonly version?: BuildVersion;
  /** Register the synth gates (cdk-nag, AWS's validator, Guard rules). @default true */
  readonly validate?: boolean;
}

/** Adds one ElkStage per environment to the app. Shared by bin/app.ts and the tests. */
export function buildApp(app: App, options: BuildAppOptions = {}): ElkStage[] {
  const only = options.environments ?? (app.node.tryGetContext('envs') as string | undefined)?.split(',');
  const configs: EnvironmentConfig[] = only
    ? only.map((n) => loadEnvironment(n.trim(), options.configDir))
    : loadAllEnvironments(options.configDir);
  const version = options.version ?? readBuildVersion();
  if (options.validate ?? true) addValidationPlugins(app);
  return configs.map((config) => {
    const stage = new ElkStage(app, config.name, { config });
    stampVersion(stage, version, { requireRelease: config.deploy.requireRelease });
    return stage;
  });
}
