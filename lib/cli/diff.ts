import * as fs from 'fs';
import { Command, Option } from 'commander';
import { FAIL_KINDS, parseFailOn } from '../diff/fail-on';
import type { Format } from '../diff/render';
import type { FailKind } from '../diff/report';
import { colourEnabled, colourize } from './colour';

/** Registers `elkctl diff`. */
export function register(program: Command): void {
  program
    .command('diff')
    .description(
      'Compare two synthesized cloud assemblies (cdk.out folders) offline: resources per stage and stack, IAM and ' +
        'security-group changes, node replacements with a time estimate, alert rule changes, data at risk',
    )
    .requiredOption('--base <dir>', 'cloud assembly of the base (e.g. the target branch synth)')
    .requiredOption('--head <dir>', 'cloud assembly of the change (e.g. the pull request synth)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
    .option(
      '--fail-on <kinds>',
      `exit 1 when the diff has this kind of change: ${FAIL_KINDS.join(', ')} (comma-separated for several)`,
      parseFailOn,
    )
    .option('--output <file>', 'write the report to this file instead of stdout')
    .option('--base-label <text>', "name of the base in the report's title (default: the folder)")
    .option('--head-label <text>', "name of the head in the report's title (default: the folder)")
    .action(
      async (opts: {
        base: string;
        head: string;
        format: Format;
        failOn?: FailKind[];
        output?: string;
        baseLabel?: string;
        headLabel?: string;
      }) => {
        // Loaded when diff runs, not at every elkctl start (cloudformation-diff).
        const { runDiff } = await import('../diff/command');
        const result = runDiff(opts);
        if (opts.output) fs.writeFileSync(opts.output, result.output);
        else
          process.stdout.write(
            colourize('diff', result.output, opts.format === 'text' && colourEnabled(process.stdout)),
          );
        if (result.exitCode !== 0) {
          process.stderr.write(`elkctl diff: failing because the diff has: ${result.failed.join(', ')} (--fail-on)\n`);
        }
        process.exitCode = result.exitCode;
      },
    );
}
