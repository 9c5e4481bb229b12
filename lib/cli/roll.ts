import { Command } from 'commander';

/** Registers the `roll` command group (not implemented yet). */
export function register(program: Command): void {
  program
    .command('roll')
    .description('roll (not implemented yet)')
    .action(() => {
      throw new Error('roll is not implemented yet');
    });
}
