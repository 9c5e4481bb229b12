import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { EXTRA_KNOWN_KEYS } from './catalog';

/** ElastAlert's own rule schema, copied verbatim (see lib/rules/data/SOURCE.md). */
export const ELASTALERT_SCHEMA_FILE = path.join(__dirname, 'data', 'elastalert-schema.yaml');
/**
 * The same schema as JSON (`npm run gen:rule-schema`; a test keeps the two equal): loaded instead of the YAML, whose
 * parse cost more than the rest of a `rules check` of a few rules.
 */
export const ELASTALERT_SCHEMA_JSON = path.join(__dirname, 'data', 'elastalert-schema.json');

type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, unknown>;
  oneOf?: Array<JsonSchema & { title?: string; required?: string[] }>;
  definitions?: Record<string, unknown>;
};

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

/** Loads and compiles the schema once per process (about 100 ms). */
export function ruleSchema(file = ELASTALERT_SCHEMA_FILE): CompiledRuleSchema {
  if (cached && file === ELASTALERT_SCHEMA_FILE) return cached;
  const schema = (
    file === ELASTALERT_SCHEMA_FILE
      ? JSON.parse(fs.readFileSync(ELASTALERT_SCHEMA_JSON, 'utf8'))
      : parse(fs.readFileSync(file, 'utf8'), { merge: true })
  ) as JsonSchema;
  // strict: false because the upstream schema uses union types, undeclared `required` names and unknown keywords;
  // formats (`uri`) are not checked, exactly like upstream's jsonschema Draft7Validator without a format checker.
  // optimize: false: ajv's code optimisation passes took 40 % of the compile time and save nothing measurable on a
  // few hundred rules.
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    validateFormats: false,
    logger: false,
    code: { optimize: false },
  });
  const { oneOf, ...withoutOneOf } = schema;
  let commonFn: ValidateFunction<unknown> | undefined;
  const commonCompiled = () => (commonFn ??= ajv.compile(withoutOneOf));
  const knownKeys = new Set<string>([...Object.keys(schema.properties ?? {}), ...EXTRA_KNOWN_KEYS]);
  const branches: RuleTypeBranch[] = (oneOf ?? []).map((branch, i) => {
    for (const k of Object.keys(branch.properties ?? {})) knownKeys.add(k);
    const typeSchema = (branch.properties?.type ?? {}) as { enum?: unknown[]; pattern?: string };
    const pattern = typeSchema.pattern ? new RegExp(typeSchema.pattern) : undefined;
    let compiledBranch: ValidateFunction<unknown> | undefined;
    return {
      title: branch.title ?? `branch ${i}`,
      required: branch.required ?? [],
      matches: (type: unknown) =>
        typeSchema.enum
          ? typeSchema.enum.includes(type)
          : pattern
            ? typeof type === 'string' && pattern.test(type)
            : false,
      validate: () => (compiledBranch ??= ajv.compile({ definitions: schema.definitions, type: 'object', ...branch })),
    };
  });
  const full = (data: unknown): boolean => {
    if (!commonCompiled()(data)) return false;
    const type = (data as { type?: unknown } | null)?.type;
    const matching = branches.filter((b) => b.matches(type));
    return matching.length === 1 && matching[0]!.validate()(data) === true;
  };
  const compiled: CompiledRuleSchema = {
    full,
    common: (data) => commonCompiled()(data),
    commonErrors: () => commonCompiled().errors ?? [],
    branches,
    knownKeys,
  };
  if (file === ELASTALERT_SCHEMA_FILE) cached = compiled;
  return compiled;
}

export type { ErrorObject };
