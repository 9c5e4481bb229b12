import type { StrategyFactory } from '../strategy';

/** Placeholder until the orchestrator's adapters land: always fails with a clear reason. */
export const orchestratorStrategy: StrategyFactory = {
  name: 'orchestrator',
  description: "the project's rolling replacement orchestrator (surge, drain, terminate; masters last)",
  create: () => ({
    step: async () => ({
      wakeAfterSeconds: 0,
      done: { outcome: 'failed', reason: 'orchestrator strategy not implemented yet' },
    }),
  }),
};
