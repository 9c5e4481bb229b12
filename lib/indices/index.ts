import * as path from 'path';
import { ClusterFacts, crossProblems } from './checks';
import { loadIndexDefinitions, TokenValues } from './load';
import { structureProblems } from './structure';
import { IndexDefinition, IndexDefinitionError, IndexProblem } from './types';

export * from './types';
export { IndexManagement, IndexManagementProps } from './IndexManagement';
export { patternsOverlap } from './patterns';
export { flatSettings } from './checks';

export const DEFAULT_INDICES_DIR = path.join(__dirname, '..', '..', 'indices');

export interface CompileIndicesInput extends ClusterFacts {
  readonly environment: string;
  readonly tokens: TokenValues;
  /** @default the project's `indices/` folder */
  readonly dir?: string;
}

export interface CompiledIndices {
  readonly definitions: IndexDefinition[];
  readonly problems: IndexProblem[];
}

/** Load, substitute and validate; never throws for bad input (the problems say what is wrong). */
export function checkIndexDefinitions(input: CompileIndicesInput): CompiledIndices {
  const dir = input.dir ?? DEFAULT_INDICES_DIR;
  const loaded = loadIndexDefinitions(dir, input.tokens, input.environment, path.resolve(dir, '..'));
  const problems = [...loaded.problems];
  for (const def of loaded.definitions) problems.push(...structureProblems(def));
  problems.push(...crossProblems(loaded.definitions, input));
  // The schema and the cross checks can both see one mistake (an unknown ILM phase): report it once.
  const seen = new Set<string>();
  const unique = problems.filter((p) => !seen.has(`${p.file}\0${p.key}`) && seen.add(`${p.file}\0${p.key}`));
  return { definitions: loaded.definitions, problems: unique };
}

/** For synth: the definitions, or an error listing every problem. */
export function compileIndexDefinitions(input: CompileIndicesInput): IndexDefinition[] {
  const { definitions, problems } = checkIndexDefinitions(input);
  if (problems.length > 0) throw new IndexDefinitionError(input.environment, problems);
  return definitions;
}
