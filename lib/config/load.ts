import * as fs from 'fs';
import * as path from 'path';
import { parseDocument } from 'yaml';
import { deployedRecordFile, readDeployedRecord, refusedChanges } from './deployed';
import { EnvironmentConfig, EnvironmentConfigSchema } from './schema';

/** Where the environment files live, relative to the project root (override with ELK_CONFIG_DIR). */
export const DEFAULT_CONFIG_DIR = path.join(__dirname, '..', '..', 'config', 'environments');

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Plain = Record<string, unknown>;
/** Leaf path ("a.b.c") → file that set it, so an error can name the file. */
type Provenance = Map<string, string>;

function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readYaml(file: string): Plain {
  const text = fs.readFileSync(file, 'utf8');
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      `${file}: invalid YAML: ${doc.errors[0]!.message}`,
      doc.errors.map((e) => `${file}: ${e.message}`),
    );
  }
  const value = doc.toJS() ?? {};
  if (!isPlainObject(value)) throw new ConfigError(`${file}: must be a YAML mapping at the top level`, []);
  return value;
}

function record(prov: Provenance, value: unknown, file: string, prefix: string[]): void {
  prov.set(prefix.join('.'), file);
  if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) record(prov, v, file, [...prefix, k]);
}

/** Deep merge: objects merge key by key, everything else (arrays included) is replaced by the override. */
export function deepMerge(base: Plain, override: Plain, prov?: Provenance, file = '', prefix: string[] = []): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const b = out[k];
    if (isPlainObject(b) && isPlainObject(v)) {
      out[k] = deepMerge(b, v, prov, file, [...prefix, k]);
      prov?.set([...prefix, k].join('.'), file);
    } else {
      out[k] = v;
      if (prov) record(prov, v, file, [...prefix, k]);
    }
  }
  return out;
}

/** The file that set the key (or its nearest parent); a key no file sets is blamed on the environment file. */
function fileFor(prov: Provenance, p: ReadonlyArray<PropertyKey>, fallback: string): string {
  for (let i = p.length; i >= 1; i--) {
    const f = prov.get(p.slice(0, i).map(String).join('.'));
    if (f) return f;
  }
  return fallback;
}

/** Names of the environments found in the config folder (every `*.yaml` except default.yaml), sorted. */
export function listEnvironments(configDir = process.env.ELK_CONFIG_DIR ?? DEFAULT_CONFIG_DIR): string[] {
  return fs
    .readdirSync(configDir)
    .filter((f) => f.endsWith('.yaml') && f !== 'default.yaml')
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** Merged but unvalidated configuration of an environment, with where each key came from. */
export function mergeEnvironment(name: string, configDir: string): { merged: Plain; provenance: Provenance } {
  const defaultFile = path.join(configDir, 'default.yaml');
  const envFile = path.join(configDir, `${name}.yaml`);
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new ConfigError(`environment name "${name}" must be lowercase letters, digits and "-"`, []);
  }
  if (!fs.existsSync(envFile)) {
    const known = listEnvironments(configDir).join(', ');
    throw new ConfigError(`${envFile}: no such environment "${name}" (known: ${known})`, []);
  }
  const provenance: Provenance = new Map();
  const base = fs.existsSync(defaultFile) ? readYaml(defaultFile) : {};
  record(provenance, base, defaultFile, []);
  const merged = deepMerge(base, readYaml(envFile), provenance, envFile);
  return { merged, provenance };
}

export interface LoadOptions {
  /**
   * Refuse changes against the environment's deployed record (lower node counts, another cluster name or network).
   * Off only to write a new record (`elkctl config record`). @default true
   */
  readonly compareWithDeployed?: boolean;
}

/**
 * Load and validate one environment. Throws ConfigError whose message lists every problem as
 * `file: key: message`.
 */
export function loadEnvironment(
  name: string,
  configDir = process.env.ELK_CONFIG_DIR ?? DEFAULT_CONFIG_DIR,
  options: LoadOptions = {},
): EnvironmentConfig {
  const { merged, provenance } = mergeEnvironment(name, configDir);
  const envFile = path.join(configDir, `${name}.yaml`);
  const result = EnvironmentConfigSchema.safeParse(merged);
  if (result.success) {
    const config = Object.freeze({ ...result.data, name }) as EnvironmentConfig;
    // Changes that cannot happen in place once deployed (node counts down, cluster name, network).
    let record;
    try {
      record = readDeployedRecord(configDir, name);
    } catch (e) {
      throw new ConfigError((e as Error).message, [(e as Error).message]);
    }
    if (!record || options.compareWithDeployed === false) return config;
    const refused = refusedChanges(config, record, deployedRecordFile(configDir, name)).map(
      (r) => `${fileFor(provenance, r.key.split('.'), envFile)}: ${r.key}: ${r.message}`,
    );
    if (refused.length === 0) return config;
    throw new ConfigError(`refused change for environment "${name}":\n  ${refused.join('\n  ')}`, refused);
  }
  const problems: string[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const p = [...issue.path, key];
        problems.push(
          `${fileFor(provenance, p, envFile)}: ${p.join('.')}: unknown key (check the spelling; allowed keys are listed in README "Environment configuration")`,
        );
      }
      continue;
    }
    const key = issue.path.map(String).join('.') || '(top level)';
    let message = issue.message;
    if (issue.code === 'invalid_type' && merged !== undefined) {
      message = `${issue.message} (expected ${issue.expected})`;
      const value = valueAt(merged, issue.path);
      if (issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) {
        // account: 011111111111 or version: 8.19 are YAML numbers (the leading 0, a trailing 0 are lost).
        message = `must be a string, but YAML read the ${typeof value} ${String(value)}: quote it, e.g. '${String(value)}' (as you meant it: a leading or trailing 0 is already lost)`;
      }
    }
    problems.push(`${fileFor(provenance, issue.path, envFile)}: ${key}: ${message}`);
  }
  throw new ConfigError(`invalid configuration for environment "${name}":\n  ${problems.join('\n  ')}`, problems);
}

function valueAt(root: unknown, p: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of p) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** Load every environment; collects all errors before throwing. */
export function loadAllEnvironments(configDir = process.env.ELK_CONFIG_DIR ?? DEFAULT_CONFIG_DIR): EnvironmentConfig[] {
  const out: EnvironmentConfig[] = [];
  const errors: string[] = [];
  for (const name of listEnvironments(configDir)) {
    try {
      out.push(loadEnvironment(name, configDir));
    } catch (e) {
      if (e instanceof ConfigError) errors.push(e.message);
      else throw e;
    }
  }
  if (errors.length > 0) throw new ConfigError(errors.join('\n'), errors);
  return out;
}
