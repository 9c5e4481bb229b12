export { assemblyEnvironments, readStage, synthesize } from './assembly';
export type { StageAssembly } from './assembly';
export type { Finding } from './checks/finding';
export { NOBODY, rehearse, rehearseStage, SCENARIOS } from './rehearse';
export type { RehearsalOptions, RehearsalReport, ScenarioName } from './rehearse';
export { renderReport } from './report';
