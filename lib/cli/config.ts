import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import {
  DEFAULT_CONFIG_DIR,
  deployedRecordFile,
  deployedRecordOf,
  loadEnvironment,
  renderDeployedRecord,
} from '../config';

/** Writes the deployed record of an environment from its configuration; returns the file written. */
export function recordDeployed(name: string, configDir: string): string {
  const config = loadEnvironment(name, configDir, { compareWithDeployed: false });
  const file = deployedRecordFile(configDir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, renderDeployedRecord(name, deployedRecordOf(config)));
  return file;
}

/** Registers `elkctl config`. */
export function register(program: Command): void {
  const config = program.command('config').description('environment configuration');
  config
    .command('record <env>')
    .description(
      'after a successful deploy: write config/environments/deployed/<env>.yaml (node counts, cluster name, network), ' +
        'which synth compares every later change with; commit it',
    )
    .option('--config-dir <dir>', 'config folder (default: ELK_CONFIG_DIR or config/environments)')
    .action((env: string, opts: { configDir?: string }) => {
      const file = recordDeployed(env, opts.configDir ?? process.env.ELK_CONFIG_DIR ?? DEFAULT_CONFIG_DIR);
      process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
    });
}
