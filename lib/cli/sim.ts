import { Command } from 'commander';

/** Registers the `sim` command group (not implemented yet). */
export function register(program: Command): void {
  program
    .command('sim')
    .description('sim (not implemented yet)')
    .action(() => {
      throw new Error('sim is not implemented yet');
    });
}
