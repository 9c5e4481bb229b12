import { Command } from 'commander';

/** Registers the `rules` command group (not implemented yet). */
export function register(program: Command): void {
  program
    .command('rules')
    .description('rules (not implemented yet)')
    .action(() => {
      throw new Error('rules is not implemented yet');
    });
}
