import type { StrategyFactory } from '../strategy';
import { cfnRollingUpdateStrategy } from './cfn-rolling-update';
import { orchestratorStrategy } from './orchestrator';
import { terminateAndWaitGreenStrategy } from './terminate-and-wait-green';

/** Every replacement strategy the runner knows, by name. `orchestrator` is the default. */
export const STRATEGIES: Readonly<Record<string, StrategyFactory>> = {
  orchestrator: orchestratorStrategy,
  'cfn-rolling-update': cfnRollingUpdateStrategy,
  'terminate-and-wait-green': terminateAndWaitGreenStrategy,
};

export const DEFAULT_STRATEGY = 'orchestrator';

export function strategyByName(name: string): StrategyFactory {
  const s = STRATEGIES[name];
  if (!s) throw new Error(`unknown strategy "${name}": allowed ${Object.keys(STRATEGIES).join(', ')}`);
  return s;
}
