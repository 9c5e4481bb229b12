import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import type { RehearsalReport } from '../boot/rehearse';
import { PROJECT_ROOT } from '../boot/project';

/**
 * `elkctl boot rehearse`: runs the synthesized user data of an environment's whole fleet in sandboxes with stubbed
 * AWS, package and service boundaries (README, "Boot rehearsal"). Exit 0 when every node boots and every check
 * passes, 1 otherwise, 2 on bad input.
 */
export function register(program: Command): void {
  const boot = program.command('boot').description("rehearse the nodes' boot offline");
  boot
    .command('rehearse')
    .description('boot every node of an environment from its synthesized launch templates, in sandboxes')
    .option('--env <name>', 'one environment (default: every environment)')
    .option('--cdk-out <dir>', 'read this cloud assembly (e.g. cdk.out of npm run synth) instead of synthesizing')
    .option('--keep', 'keep the sandboxes and print where they are')
    .option('--json', 'print the reports as one JSON array')
    .action(async (opts: { env?: string; cdkOut?: string; keep?: boolean; json?: boolean }) => {
      process.exitCode = await bootRehearse(
        opts,
        (s) => process.stdout.write(s),
        (s) => process.stderr.write(s),
      );
    });
}

export async function bootRehearse(
  opts: { env?: string; cdkOut?: string; keep?: boolean; json?: boolean },
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  // Loaded when the command runs, not at every elkctl start (it brings the CDK app).
  const { assemblyEnvironments, readStage, rehearseStage, renderReport, synthesize } = await import('../boot');
  let cdkOut = opts.cdkOut;
  let environments: string[];
  try {
    if (cdkOut) {
      if (!fs.existsSync(path.join(cdkOut, 'manifest.json')))
        throw new Error(`${cdkOut} is not a cloud assembly (no manifest.json)`);
      environments = opts.env ? [opts.env] : assemblyEnvironments(cdkOut);
    } else {
      const dir = path.join(PROJECT_ROOT, 'config', 'environments');
      environments = opts.env
        ? [opts.env]
        : fs
            .readdirSync(dir)
            .filter((f) => f.endsWith('.yaml') && f !== 'default.yaml')
            .map((f) => f.replace(/\.yaml$/, ''));
      cdkOut = synthesize(environments);
    }
  } catch (e) {
    err(`boot rehearse: ${(e as Error).message}\n`);
    return 2;
  }
  const reports: RehearsalReport[] = [];
  try {
    for (const env of environments) {
      const stage = readStage(cdkOut, env);
      const report = await rehearseStage(stage, { environment: env, keep: opts.keep });
      reports.push(report);
      if (!opts.json) out(renderReport(report));
    }
  } catch (e) {
    err(`boot rehearse: ${(e as Error).message}\n`);
    return 2;
  } finally {
    if (!opts.cdkOut && !opts.keep) fs.rmSync(cdkOut, { recursive: true, force: true });
  }
  if (opts.json) out(JSON.stringify(reports, null, 2) + '\n');
  return reports.every((r) => r.ok) ? 0 : 1;
}
