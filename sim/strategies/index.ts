import type { StrategyFactory } from '../strategy';
import { cfnRollingUpdateStrategy } from './cfn-rolling-update';
import { orchestratorStrategy } from './orchestrator';
import { StrategyName } from './names';
import { terminateAndWaitGreenStrategy } from './terminate-and-wait-green';

export { DEFAULT_STRATEGY, STRATEGY_NAMES } from './names';
export type { StrategyName } from './names';

/** Every replacement strategy the runner knows, by name (names.ts). `orchestrator` is the default. */
const BY_NAME: Readonly<Record<StrategyName, StrategyFactory>> = {
  orchestrator: orchestratorStrategy,
  'cfn-rolling-update': cfnRollingUpdateStrategy,
  'terminate-and-wait-green': terminateAndWaitGreenStrategy,
};
export const STRATEGIES: Readonly<Record<string, StrategyFactory>> = BY_NAME;

export function strategyByName(name: string): StrategyFactory {
  const s = STRATEGIES[name];
  if (!s) throw new Error(`unknown strategy "${name}": allowed ${Object.keys(STRATEGIES).join(', ')}`);
  return s;
}
