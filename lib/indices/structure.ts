/**
 * Structural validation of index definitions against JSON schemas generated from the official Elasticsearch
 * client's request types (data/es-requests.schema.json, `npm run gen:index-schemas`). The client's request
 * types merge path, query and body parameters: the path and query ones are removed here, so a file holds exactly
 * the request body.
 */
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { didYouMean } from '../rules/problem';
import schemaJson from './data/es-requests.schema.json';
import { DefinitionKind, IndexDefinition, IndexProblem } from './types';

/** Request type per kind, and its parameters that are not part of the body (path, query, common). */
const REQUESTS: Readonly<Record<DefinitionKind, { type: string; notBody: readonly string[] }>> = {
  'component-template': {
    type: 'ClusterPutComponentTemplateRequest',
    notBody: ['name', 'create', 'cause', 'master_timeout'],
  },
  'index-template': { type: 'IndicesPutIndexTemplateRequest', notBody: ['name', 'create', 'cause', 'master_timeout'] },
  'ilm-policy': { type: 'IlmPutLifecycleRequest', notBody: ['name', 'master_timeout', 'timeout'] },
};
const COMMON_QUERY = ['error_trace', 'filter_path', 'human', 'pretty'];

interface JsonSchema {
  definitions: Record<string, { properties?: Record<string, unknown>; required?: string[] } & Record<string, unknown>>;
  [k: string]: unknown;
}

let validators: Record<DefinitionKind, ValidateFunction> | undefined;

function compile(): Record<DefinitionKind, ValidateFunction> {
  const schema = structuredClone(schemaJson as unknown as JsonSchema);
  delete schema.$ref;
  delete schema.$comment;
  delete schema.$schema;
  for (const { type, notBody } of Object.values(REQUESTS)) {
    const def = schema.definitions[type]!;
    for (const key of [...notBody, ...COMMON_QUERY]) delete def.properties?.[key];
    def.required = (def.required ?? []).filter((k) => ![...notBody, ...COMMON_QUERY].includes(k));
  }
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false, verbose: true });
  ajv.addSchema(schema, 'es');
  const get = (type: string): ValidateFunction => ajv.getSchema(`es#/definitions/${type}`)!;
  return {
    'component-template': get(REQUESTS['component-template'].type),
    'index-template': get(REQUESTS['index-template'].type),
    'ilm-policy': get(REQUESTS['ilm-policy'].type),
  };
}

/** Problems of one definition's body against its API's request type. */
export function structureProblems(def: IndexDefinition): IndexProblem[] {
  validators ??= compile();
  const validate = validators[def.kind];
  if (validate(def.body)) return [];
  return summarize(validate.errors ?? [], def);
}

/**
 * Ajv reports every branch of every union. Keep what a person can act on: below a union that no branch accepted,
 * one problem at the union's path (naming the keys no branch knows); elsewhere unknown keys with a suggestion and
 * wrong types, one problem per path.
 */
function summarize(errors: readonly ErrorObject[], def: IndexDefinition): IndexProblem[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath);
  const underUnion = (p: string): string | undefined =>
    unions.filter((u) => p === u || p.startsWith(`${u}/`)).sort((a, b) => a.length - b.length)[0];
  const byPath = new Map<string, string>();
  const api = def.kind.replace('-', ' ');
  for (const e of errors) {
    const union = underUnion(e.instancePath);
    if (union !== undefined) {
      const key = pathOf(union).join('.') || '-';
      const extras = errors
        .filter((x) => x.keyword === 'additionalProperties' && underUnion(x.instancePath) === union)
        .map((x) =>
          [...pathOf(x.instancePath), (x.params as { additionalProperty: string }).additionalProperty].join('.'),
        );
      const fixed = [...new Set(extras)];
      if (!byPath.has(key))
        byPath.set(
          key,
          `does not match the ${api} API's request body${fixed.length ? ` (keys not accepted here: ${fixed.join(', ')})` : ''}`,
        );
      continue;
    }
    if (e.keyword === 'additionalProperties') {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      const key = [...pathOf(e.instancePath), extra].join('.');
      const known = Object.keys(
        (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {},
      );
      const hint = didYouMean(extra, known);
      byPath.set(
        key,
        `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}: not part of the ${api} API's request body`,
      );
      continue;
    }
    const key = pathOf(e.instancePath).join('.') || '-';
    if (!byPath.has(key)) byPath.set(key, describe(e));
  }
  return [...byPath].map(([key, message]) => ({ file: def.file, key, message }));
}

const pathOf = (instancePath: string): string[] =>
  instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'type':
      return `must be ${(e.params as { type: string }).type}`;
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'required':
      return `missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
    default:
      return e.message ?? 'is not valid';
  }
}
