import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Options, ValidateFunction } from 'ajv';

/**
 * The rule schema's validators as code made once (ajv "standalone" code), instead of compiled by ajv in every
 * process: ajv's compile of the common part and one rule-type branch was about a fifth of a `rules check` of 500
 * rules, and loading ajv itself another few per cent. `scripts/build-cli.js` writes them next to the CLI bundle
 * (dist/rule-validators/) at `npm ci`; `ruleSchema()` uses them only when they were made from this very schema
 * text, ajv version and options (the key in index.json), and otherwise compiles as before.
 */

export type JsonSchema = Record<string, unknown> & {
  properties?: Record<string, unknown>;
  oneOf?: BranchSchema[];
  definitions?: Record<string, unknown>;
};
export type BranchSchema = JsonSchema & { title?: string; required?: string[] };

/**
 * strict: false because the upstream schema uses union types, undeclared `required` names and unknown keywords;
 * formats (`uri`) are not checked, exactly like upstream's jsonschema Draft7Validator without a format checker.
 * optimize: false: ajv's code optimisation passes took 40 % of the compile time and save nothing measurable on a
 * few hundred rules.
 */
export const AJV_OPTIONS: Options = {
  strict: false,
  allErrors: true,
  validateFormats: false,
  logger: false,
  code: { optimize: false },
};

/** The schema cut into what `ruleSchema()` validates: the common properties, and one schema per `oneOf` branch. */
export interface SchemaParts {
  readonly schema: JsonSchema;
  readonly common: JsonSchema;
  readonly branches: ReadonlyArray<{ readonly source: BranchSchema; readonly compiled: JsonSchema }>;
}

export function schemaParts(schema: JsonSchema): SchemaParts {
  const { oneOf, ...common } = schema;
  return {
    schema,
    common,
    branches: (oneOf ?? []).map((b) => ({
      source: b,
      compiled: { definitions: schema.definitions, type: 'object', ...b },
    })),
  };
}

/** The validators of the parts, compiled by ajv now or loaded from code made earlier. */
export interface SchemaValidators {
  readonly common: () => ValidateFunction<unknown>;
  readonly branch: (index: number) => ValidateFunction<unknown>;
}

function ajvVersion(): string {
  return (JSON.parse(fs.readFileSync(require.resolve('ajv/package.json'), 'utf8')) as { version: string }).version;
}

/** What made the code: the schema text, ajv's version and the options. Code with another key is not used. */
export function validatorsKey(schemaText: string): string {
  return createHash('sha256')
    .update(`ajv ${ajvVersion()}\n${JSON.stringify(AJV_OPTIONS)}\n${schemaText}`)
    .digest('hex');
}

/** Compiles each part on first use, in this process (ajv loaded only then). */
export function compileValidators(parts: SchemaParts, source = false): SchemaValidators & { ajv: () => unknown } {
  let ajv: import('ajv').default | undefined;
  const instance = () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv = (require('ajv') as typeof import('ajv')).default;
    return (ajv ??= new Ajv({ ...AJV_OPTIONS, code: { ...AJV_OPTIONS.code, source } }));
  };
  let common: ValidateFunction<unknown> | undefined;
  const branches = new Map<number, ValidateFunction<unknown>>();
  return {
    ajv: instance,
    common: () => (common ??= instance().compile(parts.common)),
    branch: (i) => {
      let v = branches.get(i);
      if (!v) branches.set(i, (v = instance().compile(parts.branches[i]!.compiled)));
      return v;
    },
  };
}

const fileOf = (dir: string, name: string) => path.join(dir, `${name}.js`);

/** Writes the standalone code of every part into `dir` (common.js, branch-<i>.js, index.json with the key). */
export function writeValidators(schemaText: string, dir: string): void {
  const parts = schemaParts(JSON.parse(schemaText) as JsonSchema);
  const compiled = compileValidators(parts, true);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const standaloneCode = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone')).default;
  const tmp = `${dir}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const write = (name: string, v: ValidateFunction<unknown>) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    fs.writeFileSync(fileOf(tmp, name), standaloneCode(compiled.ajv() as any, v));
  write('common', compiled.common());
  parts.branches.forEach((_, i) => write(`branch-${i}`, compiled.branch(i)));
  fs.writeFileSync(
    path.join(tmp, 'index.json'),
    JSON.stringify({ key: validatorsKey(schemaText), branches: parts.branches.length }),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

/** The code in `dir` when it was made from this schema text (same key, same branches); otherwise undefined. */
export function loadValidators(schemaText: string, parts: SchemaParts, dir: string): SchemaValidators | undefined {
  let index: { key?: string; branches?: number };
  try {
    index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')) as typeof index;
  } catch {
    return undefined;
  }
  if (index.key !== validatorsKey(schemaText) || index.branches !== parts.branches.length) return undefined;
  const load = (name: string) => {
    // Run as a CommonJS module whose `require` is this module's: the code's ajv runtime helpers
    // (ajv/dist/runtime/…) resolve from this project wherever the folder is.
    const module = { exports: {} as unknown };
    new Function('require', 'module', 'exports', fs.readFileSync(fileOf(dir, name), 'utf8'))(
      require,
      module,
      module.exports,
    );
    return module.exports as ValidateFunction<unknown>;
  };
  let common: ValidateFunction<unknown> | undefined;
  const branches = new Map<number, ValidateFunction<unknown>>();
  return {
    common: () => (common ??= load('common')),
    branch: (i) => {
      let v = branches.get(i);
      if (!v) branches.set(i, (v = load(`branch-${i}`)));
      return v;
    },
  };
}
