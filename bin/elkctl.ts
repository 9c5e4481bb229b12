#!/usr/bin/env -S npx tsx
import { Command } from 'commander';
import { registerCommands } from '../lib/cli';

const program = new Command()
  .name('elkctl')
  .description(
    'Operator CLI of elk-cdk: simulate, drive and watch rolling replacements, check alert rules, diff assemblies',
  )
  .showHelpAfterError();
registerCommands(program);
// `elkctl diff … | head`: the reader left, so stop writing; no stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`elkctl: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
