import { Command } from 'commander';
import { register as registerConfig } from './config';
import { register as registerBoot } from './boot';
import { register as registerDiff } from './diff';
import { register as registerRoll } from './roll';
import { register as registerReindex } from './reindex';
import { register as registerRules } from './rules';
import { register as registerSim } from './sim';

/** Each command group lives in its own file and registers itself here. */
export function registerCommands(program: Command): void {
  registerSim(program);
  registerRoll(program);
  registerRules(program);
  registerDiff(program);
  registerConfig(program);
  registerBoot(program);
  registerReindex(program);
}
