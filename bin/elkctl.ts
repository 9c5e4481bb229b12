#!/usr/bin/env -S npx tsx
import { Command, CommanderError } from 'commander';
import { registerCommands } from '../lib/cli';
import { describeFailure, EXIT_BAD_INPUT } from '../lib/cli/errors';

// The SDK's Node.js support notice is not the operator's concern at every call.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const program = new Command()
  .name('elkctl')
  .description(
    'Operator CLI of elk-cdk: simulate, drive and watch rolling replacements, check alert rules, diff assemblies',
  )
  .showHelpAfterError()
  // Usage errors (unknown option or command, missing or invalid value) end with exit code 2, not commander's 1.
  .exitOverride();
registerCommands(program);
// `elkctl diff … | head`: the reader left, so stop writing; no stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});
program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // commander printed the message (and the help) already; help and --version are not errors.
    process.exit(err.exitCode === 0 ? 0 : EXIT_BAD_INPUT);
  }
  const { code, message } = describeFailure(err, process.env);
  process.stderr.write(`elkctl: ${message}\n`);
  process.exit(code);
});
