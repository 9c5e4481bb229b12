/**
 * Names of the replacement strategies, without their code: what `elkctl sim run --help` shows, so that elkctl's
 * start-up does not load the strategies (the orchestrator pulls in the Elasticsearch client). index.ts maps every
 * name to its factory (typed by this list, so a strategy without a name here, or the reverse, does not compile).
 */
export const STRATEGY_NAMES = ['orchestrator', 'cfn-rolling-update', 'terminate-and-wait-green'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** The default strategy. */
export const DEFAULT_STRATEGY: StrategyName = 'orchestrator';
