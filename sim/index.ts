/** The cluster simulator: scenario model, Elasticsearch HTTP face, fleet adapter, runner and strategies. */
export { loadScenario, parseScenario, ScenarioError, ScenarioSchema } from './scenario';
export type { Scenario, ScenarioInput } from './scenario';
export { World } from './model/world';
export { EsApi } from './es/api';
export { startEsServer } from './es/server';
export type { EsServer } from './es/server';
export { SimFleet } from './fleet-adapter';
export { createSimulation, runScenario } from './runner';
export type { Report, RunOptions, Simulation } from './runner';
export { STRATEGIES, strategyByName, DEFAULT_STRATEGY } from './strategies';
