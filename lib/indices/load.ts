/**
 * Reads `indices/<kind>/*.yaml` and replaces `@@KEY@@` tokens with the environment's values. A token that is the
 * whole scalar takes the value's type (`number_of_replicas: @@LOGS_REPLICAS@@` becomes a number); inside a longer
 * string it is interpolated. Unquoted `@@` is not valid YAML, so tokens are swapped for placeholders before parsing.
 */
import { existsSync, readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { parseDocument } from 'yaml';
import { DefinitionKind, IndexDefinition, IndexProblem, KIND_FOLDERS } from './types';

export type TokenValues = Readonly<Record<string, string | number | boolean>>;

const TOKEN = /@@([^@\s]*)@@/g;
const FILE = /\.ya?ml$/;
const NAME = /^[a-z0-9][a-z0-9._-]*$/;

export interface LoadResult {
  readonly definitions: IndexDefinition[];
  readonly problems: IndexProblem[];
}

export function loadIndexDefinitions(
  dir: string,
  tokens: TokenValues,
  environment: string,
  relativeTo: string = process.cwd(),
): LoadResult {
  const definitions: IndexDefinition[] = [];
  const problems: IndexProblem[] = [];
  for (const [kind, folder] of Object.entries(KIND_FOLDERS) as [DefinitionKind, string][]) {
    const kindDir = path.join(dir, folder);
    if (!existsSync(kindDir)) continue;
    const seen = new Map<string, string>();
    for (const entry of readdirSync(kindDir).sort()) {
      if (!FILE.test(entry)) continue;
      const file = path.relative(relativeTo, path.join(kindDir, entry)) || entry;
      const name = entry.replace(FILE, '');
      if (!NAME.test(name)) {
        problems.push({
          file,
          key: '-',
          message: `"${name}" is not a valid name: use lowercase letters, digits, ".", "_" and "-"`,
        });
        continue;
      }
      if (seen.has(name)) {
        problems.push({
          file,
          key: '-',
          message: `defines "${name}" a second time (also ${seen.get(name)}): keep one file`,
        });
        continue;
      }
      seen.set(name, file);
      const text = readFileSync(path.join(kindDir, entry), 'utf8');
      const parsed = parseDefinition(text, file, tokens, environment);
      problems.push(...parsed.problems);
      if (parsed.body) definitions.push({ kind, name, file, body: parsed.body });
    }
  }
  return { definitions, problems };
}

export function parseDefinition(
  text: string,
  file: string,
  tokens: TokenValues,
  environment: string,
): { body?: Record<string, unknown>; problems: IndexProblem[] } {
  const problems: IndexProblem[] = [];
  const placeholders = new Map<string, string>();
  const swapped = text.replace(TOKEN, (_, inner: string) => {
    const id = `__ELK_TOKEN_${placeholders.size}__`;
    placeholders.set(id, inner);
    return id;
  });
  const doc = parseDocument(swapped, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({ file, key: '-', message: `not valid YAML: ${e.message.split('\n')[0]}` })),
    };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { problems: [{ file, key: '-', message: 'must be a mapping (the request body of the API)' }] };
  }
  const resolve = (value: unknown, at: string[]): unknown => {
    if (typeof value === 'string') {
      const whole = /^__ELK_TOKEN_\d+__$/.test(value) ? placeholders.get(value) : undefined;
      if (whole !== undefined) return tokenValue(whole, at);
      return value.replace(/__ELK_TOKEN_\d+__/g, (id) => String(tokenValue(placeholders.get(id)!, at) ?? ''));
    }
    if (Array.isArray(value)) return value.map((v, i) => resolve(v, [...at, String(i)]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, [...at, k])]));
    }
    return value;
  };
  const tokenValue = (inner: string, at: string[]): unknown => {
    if (!/^[A-Z][A-Z0-9_]*$/.test(inner)) {
      problems.push({
        file,
        key: at.join('.') || '-',
        message: `malformed token @@${inner}@@: write @@UPPER_CASE_NAME@@`,
      });
      return undefined;
    }
    if (!(inner in tokens)) {
      problems.push({
        file,
        key: at.join('.') || '-',
        message: `token @@${inner}@@ has no value in environment "${environment}": add "${inner}: <value>" under indices.tokens (config/environments/${environment}.yaml or default.yaml)`,
      });
      return undefined;
    }
    return tokens[inner];
  };
  return { body: resolve(raw, []) as Record<string, unknown>, problems };
}
