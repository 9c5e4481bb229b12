import * as fs from 'fs';
import * as path from 'path';
import type { Command } from 'commander';
import { loadEnvironment } from '../config';
import { DEFAULT_RULES_DIR, environmentRules, formatProblem, isError, loadTokensFile, writeBundle } from '../rules';

interface CommonOptions {
  env: string;
  tokens?: string;
}

function relative(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}

function compile(dir: string | undefined, opts: CheckOptions) {
  const config = loadEnvironment(opts.env);
  const extra = opts.tokens ? loadTokensFile(opts.tokens, config.name) : undefined;
  const rulesDir = relative(dir ?? DEFAULT_RULES_DIR);
  return {
    config,
    ...environmentRules(config, { rulesDir, extra, allowLiteralSecrets: opts.allowLiteralSecrets, bundle: false }),
  };
}

export type CheckOptions = CommonOptions & { allowLiteralSecrets?: boolean };
export type RenderOptions = CommonOptions & { out: string; esHost?: string };

/** What a command prints and its exit code (kept apart from process I/O so tests call it directly). */
export interface CommandOutput {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exitCode: number;
}

function emit(r: CommandOutput): void {
  for (const l of r.stdout) process.stdout.write(`${l}\n`);
  for (const l of r.stderr) process.stderr.write(`${l}\n`);
  process.exitCode = r.exitCode;
}

/** `rules check`: exit 0 when every rule is valid (warnings allowed), 1 otherwise; one line per problem. */
export function rulesCheck(dir: string | undefined, opts: CheckOptions): CommandOutput {
  const { result } = compile(dir, opts);
  const errors = result.problems.filter(isError).length;
  const warnings = result.problems.length - errors;
  return {
    stdout: result.problems.map(formatProblem),
    stderr: [
      `${result.rules.length} valid rule(s), ${errors} error(s), ${warnings} warning(s) for environment ${opts.env}`,
    ],
    exitCode: errors > 0 ? 1 : 0,
  };
}

/** `rules render`: writes the bundle that would be deployed; exit 1 (nothing written) when a rule is invalid. */
export function rulesRender(dir: string | undefined, opts: RenderOptions): CommandOutput {
  const config = loadEnvironment(opts.env);
  const extra = opts.tokens ? loadTokensFile(opts.tokens, config.name) : undefined;
  const { result, bundle } = environmentRules(config, {
    rulesDir: relative(dir ?? DEFAULT_RULES_DIR),
    extra,
    esHost: opts.esHost,
  });
  const stdout = result.problems.map(formatProblem);
  if (!bundle) return { stdout, stderr: ['nothing written: fix the errors above'], exitCode: 1 };
  if (fs.existsSync(opts.out) && fs.readdirSync(opts.out).length > 0) {
    throw new Error(`${opts.out}: output folder is not empty; choose a new folder or empty it`);
  }
  writeBundle(bundle, opts.out);
  return {
    stdout,
    stderr: [
      `wrote ${bundle.files.length} file(s) of ${bundle.rules.length} rule(s) to ${opts.out}; bundle sha256 ${bundle.hash}`,
    ],
    exitCode: 0,
  };
}

/** Registers `elkctl rules check` and `elkctl rules render`. */
export function register(program: Command): void {
  const rules = program
    .command('rules')
    .description('check and render ElastAlert rules (rules/*.yaml) per environment');

  rules
    .command('check')
    .description(
      'validate every rule of DIR (default rules/) for an environment; one line per problem: file: rule: key: message',
    )
    .argument('[dir]', 'folder of rule files (*.yaml, *.yml)')
    .requiredOption('--env <name>', 'environment whose tokens and secrets to use (config/environments/<name>.yaml)')
    .option('--tokens <file>', 'YAML file with tokens: {KEY: value} and secrets: [NAME] added to the environment')
    .option('--allow-literal-secrets', 'accept literal webhook URLs, keys and passwords (third-party rules only)')
    .action((dir: string | undefined, opts: CheckOptions) => emit(rulesCheck(dir, opts)));

  rules
    .command('render')
    .description(
      'write what would be deployed (config.yaml, rules/, manifest.json, SHA256SUMS); secrets stay references',
    )
    .argument('[dir]', 'folder of rule files (default rules/)')
    .requiredOption('--env <name>', 'environment to render for')
    .requiredOption('--out <dir>', 'output folder (created; must be empty or absent)')
    .option('--tokens <file>', 'YAML file with extra tokens and secrets')
    .option('--es-host <host>', 'Elasticsearch host for config.yaml (default: taken from ES_HOST on the instance)')
    .action((dir: string | undefined, opts: RenderOptions) => emit(rulesRender(dir, opts)));
}
