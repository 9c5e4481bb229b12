import { Command } from 'commander';

/** Registers the `diff` command group (not implemented yet). */
export function register(program: Command): void {
  program
    .command('diff')
    .description('diff (not implemented yet)')
    .action(() => {
      throw new Error('diff is not implemented yet');
    });
}
