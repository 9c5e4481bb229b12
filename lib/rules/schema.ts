import * as fs from 'fs';
import * as path from 'path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { EXTRA_KNOWN_KEYS } from './catalog';
import { compileValidators, JsonSchema, loadValidators, schemaParts } from './schema-code';

/** ElastAlert's own rule schema, copied verbatim (see lib/rules/data/SOURCE.md). */
export const ELASTALERT_SCHEMA_FILE = path.join(__dirname, 'data', 'elastalert-schema.yaml');
/**
 * The same schema as JSON (`npm run gen:rule-schema`; a test keeps the two equal): loaded instead of the YAML, whose
 * parse cost more than the rest of a `rules check` of a few rules.
 */
export const ELASTALERT_SCHEMA_JSON = path.join(__dirname, 'data', 'elastalert-schema.json');

export interface RuleTypeBranch {
  readonly title: string;
  readonly required: readonly string[];
  /** True when a rule's `type` selects this branch. */
  readonly matches: (type: unknown) => boolean;
  /** Compiled on first use: only invalid rules need the per-branch reports. */
  readonly validate: () => ValidateFunction<unknown>;
}

export interface CompiledRuleSchema {
  /**
   * The whole upstream schema's verdict. The schema is `common properties` AND `oneOf` rule-type branches whose
   * `type` constraints exclude each other, so it equals: common valid AND the one branch selected by `type` valid.
   * Checking it that way compiles one small branch per rule type in use instead of the whole `oneOf`.
   */
  readonly full: (data: unknown) => boolean;
  /** The schema without its `oneOf`: errors of the common properties (compiled on first use). */
  readonly common: (data: unknown) => boolean;
  readonly commonErrors: () => ErrorObject[];
  /** One validator per `oneOf` branch, to report the branch of the rule's `type` in plain words. */
  readonly branches: readonly RuleTypeBranch[];
  /** Every key the schema or ElastAlert's loader knows, for the unknown-key warning. */
  readonly knownKeys: ReadonlySet<string>;
}

let cached: CompiledRuleSchema | undefined;

/** Where `scripts/build-cli.js` writes the validators' code (next to the CLI bundle; absent before a build). */
export const PRECOMPILED_VALIDATORS_DIR = path.join(__dirname, '..', '..', 'dist', 'rule-validators');

/**
 * Loads the schema and its validators once per process: the code made at build time when it was made from this
 * schema (lib/rules/schema-code.ts), else compiled by ajv on first use (about 100 ms per part).
 */
export function ruleSchema(
  file = ELASTALERT_SCHEMA_FILE,
  precompiled = PRECOMPILED_VALIDATORS_DIR,
): CompiledRuleSchema {
  const builtIn = file === ELASTALERT_SCHEMA_FILE && precompiled === PRECOMPILED_VALIDATORS_DIR;
  if (cached && builtIn) return cached;
  const text = fs.readFileSync(file === ELASTALERT_SCHEMA_FILE ? ELASTALERT_SCHEMA_JSON : file, 'utf8');
  const schema = (file === ELASTALERT_SCHEMA_FILE ? JSON.parse(text) : parse(text, { merge: true })) as JsonSchema;
  const parts = schemaParts(schema);
  const validators =
    (file === ELASTALERT_SCHEMA_FILE ? loadValidators(text, parts, precompiled) : undefined) ??
    compileValidators(parts);
  const knownKeys = new Set<string>([...Object.keys(schema.properties ?? {}), ...EXTRA_KNOWN_KEYS]);
  const branches: RuleTypeBranch[] = parts.branches.map(({ source: branch }, i) => {
    for (const k of Object.keys(branch.properties ?? {})) knownKeys.add(k);
    const typeSchema = (branch.properties?.type ?? {}) as { enum?: unknown[]; pattern?: string };
    const pattern = typeSchema.pattern ? new RegExp(typeSchema.pattern) : undefined;
    return {
      title: branch.title ?? `branch ${i}`,
      required: branch.required ?? [],
      matches: (type: unknown) =>
        typeSchema.enum
          ? typeSchema.enum.includes(type)
          : pattern
            ? typeof type === 'string' && pattern.test(type)
            : false,
      validate: () => validators.branch(i),
    };
  });
  const full = (data: unknown): boolean => {
    if (!validators.common()(data)) return false;
    const type = (data as { type?: unknown } | null)?.type;
    const matching = branches.filter((b) => b.matches(type));
    return matching.length === 1 && matching[0]!.validate()(data) === true;
  };
  const compiled: CompiledRuleSchema = {
    full,
    common: (data) => validators.common()(data),
    commonErrors: () => validators.common().errors ?? [],
    branches,
    knownKeys,
  };
  if (builtIn) cached = compiled;
  return compiled;
}

export type { ErrorObject };
