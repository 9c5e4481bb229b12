export { assemblyEnvironments, readStage, synthesize } from './assembly';
export type { StageAssembly } from './assembly';
export type { Finding } from './checks/finding';
export { NOBODY, rehearse, rehearseStage, SCENARIOS } from './rehearse';
export type { RehearsalOptions, RehearsalReport, ScenarioName } from './rehearse';
export { ROTATION_PHASES } from './ca-rotation';
export type { RotationPhase } from './ca-rotation';
export { renderReport } from './report';
