import * as path from 'path';
import { EnvironmentConfig } from '../config';
import { Bundle, buildBundle, ruleValues } from './bundle';
import { CompileOptions, CompileResult, compileRules, readRuleDir, RuleValues } from './compile';
import { isError, RuleCompileError } from './problem';

/** The project's rules folder. */
export const DEFAULT_RULES_DIR = path.join(__dirname, '..', '..', 'rules');

export interface EnvironmentRulesOptions extends CompileOptions {
  /** Default: the project's rules/ folder. */
  readonly rulesDir?: string;
  /** Extra tokens and secrets (`--tokens FILE`). */
  readonly extra?: Pick<RuleValues, 'tokens' | 'secrets'>;
  /** Elasticsearch host for config.yaml; undefined = known only at deploy time. */
  readonly esHost?: string;
  /** false: the rules' problems only, no bundle (`rules check`, which never writes one). @default true */
  readonly bundle?: boolean;
}

/** Compiles the rules of one environment and, when they are valid, builds its bundle. */
export function environmentRules(
  config: EnvironmentConfig,
  options: EnvironmentRulesOptions = {},
): { values: RuleValues; result: CompileResult; bundle?: Bundle } {
  const values = ruleValues(config, options.extra);
  const result = compileRules(readRuleDir(options.rulesDir ?? DEFAULT_RULES_DIR), values, {
    ...options,
    globals: options.globals ?? {
      runEverySeconds: config.alerter.runEverySeconds,
      bufferTimeMinutes: config.alerter.bufferTimeMinutes,
    },
    policy: options.policy ?? {
      allowCommandAlerter: config.alerter.allowCommandAlerter,
      allowedHttpHosts: config.alerter.allowedHttpHosts,
    },
  });
  if (result.problems.some(isError) || options.bundle === false) return { values, result };
  const bundle = buildBundle(result.rules, values, {
    environment: config.name,
    image: config.alerter.image,
    runEverySeconds: config.alerter.runEverySeconds,
    bufferTimeMinutes: config.alerter.bufferTimeMinutes,
    esHost: options.esHost,
  });
  return { values, result, bundle };
}

/** Like environmentRules, but throws RuleCompileError (every error, one per line) when a rule is invalid. */
export function environmentBundle(config: EnvironmentConfig, options: EnvironmentRulesOptions = {}): Bundle {
  const { result, bundle } = environmentRules(config, options);
  if (!bundle) throw new RuleCompileError(config.name, result.problems.filter(isError));
  return bundle;
}
