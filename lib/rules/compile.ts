import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { isPair, isScalar, isSeq, Scalar, visit } from 'yaml';
import { Problem } from './problem';
import { compileEscalation } from './escalation';
import { RuleGlobals, validateRule } from './validate';
import {
  approximateIntegers,
  exactIntegers,
  parseYaml11,
  PY_SPECIAL_PLAIN,
  resolvePlain,
  stringifyYaml11,
} from './yaml11';
import type { AlerterPolicy } from './policy';

/** The values of one environment for the rules' tokens. */
export interface RuleValues {
  /** Environment name (used in messages and in the default secret parameter path). */
  readonly environment: string;
  /** `@@KEY@@` → value. */
  readonly tokens: Readonly<Record<string, string | number | boolean>>;
  /** `@@secret:NAME@@` → SSM SecureString parameter name, resolved on the instance. */
  readonly secrets: Readonly<Record<string, string>>;
}

export interface CompileOptions {
  /** Accept literal credentials (checking third-party rules only; a deployment never sets it). */
  readonly allowLiteralSecrets?: boolean;
  /** config.yaml's run_every and buffer_time, which a rule inherits (default: 60 s and 15 min). */
  readonly globals?: RuleGlobals;
  /** The environment's command-alerter and HTTP-host policy (lib/rules/policy.ts). @default command alerter refused */
  readonly policy?: AlerterPolicy;
}

export interface RenderedRule {
  /** The source file as given (e.g. rules/spike.yaml). */
  readonly sourceFile: string;
  /** File name in the bundle's rules folder. */
  readonly fileName: string;
  /** ElastAlert's rule name (defaults to the file name without extension, and is then written explicitly). */
  readonly name: string;
  /** False when the rule says `is_enabled: false` (ElastAlert does not run it). */
  readonly enabled: boolean;
  /** True when the rule has `limit_execution` (it legitimately skips runs, so no fresh status is expected). */
  readonly limited: boolean;
  /** The rendered YAML: what ElastAlert reads, secrets left as `${ELK_SECRET_NAME}` references. */
  readonly content: string;
  /** sha256 (hex) of `content`. */
  readonly sha256: string;
  /** Secret names the rule uses. */
  readonly secrets: readonly string[];
  /** Token names the rule uses. */
  readonly tokens: readonly string[];
}

export interface CompileResult {
  readonly rules: readonly RenderedRule[];
  readonly problems: readonly Problem[];
}

/** `@@NAME@@` or `@@secret:NAME@@`; anything else between @@ is reported as malformed. */
const TOKEN = /@@([^@\s]*)@@/g;
const VALUE_TOKEN = /^[A-Z][A-Z0-9_]*$/;
const SECRET_TOKEN = /^secret:([A-Za-z][A-Za-z0-9_-]*)$/;
/** The container environment variable that carries a secret (ElastAlert expands `${VAR}` in rule files). */
export const secretEnvVar = (name: string): string => `ELK_SECRET_${name.toUpperCase().replace(/-/g, '_')}`;
/** ElastAlert runs Python's os.path.expandvars over every rule file: `$name` and `${...}`. */
const EXPANDVARS = /\$([A-Za-z_]\w*|\{[^}]*\})/;
const SECRET_MARK = /\uE000([A-Za-z0-9_-]+)\uE000/g;
const PLACEHOLDER = /x(\d+)elktokq/g;

export const RULE_FILE = /\.ya?ml$/;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function keyPath(ancestors: readonly unknown[], node: unknown): string {
  const parts: string[] = [];
  const chain = [...ancestors, node];
  for (let i = 0; i < chain.length; i++) {
    const a = chain[i];
    if (isPair(a)) {
      const k = isScalar(a.key) ? String(a.key.value) : '?';
      parts.push(chain[i + 1] === a.key ? `${k} (key)` : k);
    } else if (isSeq(a) && i + 1 < chain.length) {
      const idx = a.items.indexOf(chain[i + 1] as never);
      if (idx >= 0) parts.push(String(idx));
    }
  }
  return parts.join('.') || '-';
}

function kindOf(v: string | number | boolean): string {
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  return Number.isInteger(v) ? 'int' : 'float';
}

function describe(v: unknown): string {
  if (v instanceof Date) return `a timestamp (${v.toISOString()})`;
  if (v === null) return 'null';
  return `${typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v === 'boolean' ? 'bool' : typeof v} ${JSON.stringify(v)}`;
}

function walkStrings(v: unknown, at: string, f: (s: string, key: string) => void): void {
  if (typeof v === 'string') f(v, at);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, `${at === '-' ? '' : `${at}.`}${i}`, f));
  else if (v && typeof v === 'object' && !(v instanceof Date)) {
    for (const [k, x] of Object.entries(v)) {
      const key = at === '-' ? k : `${at}.${k}`;
      f(k, `${key} (key)`);
      walkStrings(x, key, f);
    }
  }
}

function replaceMarks(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(SECRET_MARK, (_, n: string) => `\${${secretEnvVar(n)}}`);
  if (Array.isArray(v)) return v.map(replaceMarks);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [replaceMarks(k) as string, replaceMarks(x)]));
  }
  return v;
}

/**
 * Compiles one rule file for one environment: YAML 1.1 parse (as PyYAML), token substitution, the `$VAR` and
 * type traps, then validation. Returns the rendered rule when there is no error.
 */
export function compileRuleText(
  file: string,
  text: string,
  values: RuleValues,
  options: CompileOptions = {},
): { rule?: RenderedRule; escalations?: RenderedRule[]; problems: Problem[] } {
  const stem = path.basename(file).replace(RULE_FILE, '');
  let ruleName = stem;
  const problems: Problem[] = [];
  const add = (key: string, message: string, severity: 'error' | 'warning' = 'error') =>
    problems.push({ file, rule: ruleName, key, message, severity });

  // 1. Tokens become placeholders that are plain scalars anywhere (an unquoted @@ is a YAML syntax error).
  const occurrences: string[] = [];
  if (/x\d+elktokq/.test(text)) add('-', 'contains the reserved text "x<digits>elktokq": rename it');
  const withPlaceholders = text.replace(TOKEN, (_m, inner: string) => {
    occurrences.push(inner);
    return `x${occurrences.length - 1}elktokq`;
  });

  const doc = parseYaml11(withPlaceholders);
  const nameNode = (doc.contents as { get?: (k: string) => unknown } | null)?.get?.('name');
  if (typeof nameNode === 'string' && !/x\d+elktokq/.test(nameNode)) ruleName = nameNode;
  for (const e of doc.errors) {
    const line = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '';
    const msg =
      e.code === 'DUPLICATE_KEY'
        ? `duplicate key${line}: PyYAML would silently keep the last one; remove the other`
        : `invalid YAML${line}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
    add('-', msg);
  }
  for (const w of doc.warnings) {
    if (w.code !== 'TAG_RESOLVE_FAILED') continue;
    const line = w.linePos?.[0] ? ` (line ${w.linePos[0].line}, column ${w.linePos[0].col})` : '';
    const what = w.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    add(
      '-',
      /tag:yaml\.org,2002:python\//.test(what)
        ? // PyYAML's FullLoader (ElastAlert's) builds Python tuples, names and the like from these: stricter here
          `Python-specific YAML tag${line}: ${what}: ElastAlert's loader (PyYAML FullLoader) would build a Python object here; refused here because a rule holds plain YAML values: write the value without the tag`
        : `unknown YAML tag${line}: ${what}: PyYAML stops with "could not determine a constructor" (write "!file …" entries and other text starting with "!" in quotes)`,
    );
  }
  if (problems.some((p) => p.severity === 'error')) return { problems };

  // 2. Substitute on the tree, so a value can never change the document's structure (and refuse the plain scalars
  // PyYAML cannot construct on the way).
  const usedTokens = new Set<string>();
  const usedSecrets = new Set<string>();
  visit(doc, {
    Scalar(_key, node: Scalar, ancestors) {
      if (typeof node.value !== 'string') return;
      const source = node.value;
      if (node.type === 'PLAIN' && PY_SPECIAL_PLAIN.has(source)) {
        const parent = ancestors[ancestors.length - 1];
        if (source === '<<' && isPair(parent) && parent.key === node) return; // a merge key (checked by toJS)
        add(
          keyPath(ancestors, node),
          `an unquoted ${source} is YAML 1.1's ${source === '=' ? 'value' : 'merge'} tag for PyYAML, and ElastAlert stops with a ConstructorError: write '${source}' in quotes`,
        );
        return;
      }
      if (!/x\d+elktokq/.test(source)) return;
      const key = keyPath(ancestors, node);
      let whole: { name: string; value: string | number | boolean } | undefined;
      let ok = true;
      const only = /^x(\d+)elktokq$/.exec(source);
      const replaced = source.replace(PLACEHOLDER, (_m, idx: string) => {
        const inner = occurrences[Number(idx)]!;
        const secret = SECRET_TOKEN.exec(inner);
        if (secret) {
          const name = secret[1]!;
          usedSecrets.add(name);
          if (values.secrets[name] === undefined) {
            ok = false;
            add(
              key,
              `secret @@secret:${name}@@ is not declared for environment "${values.environment}": add "${name}: /elk/${values.environment}/alerter/${name}" under alerter.secrets (config/environments/${values.environment}.yaml or default.yaml) and create that SSM SecureString parameter`,
            );
          }
          return `\uE000${name}\uE000`;
        }
        if (!VALUE_TOKEN.test(inner)) {
          ok = false;
          add(
            key,
            `malformed token @@${inner}@@: write @@UPPER_CASE_NAME@@ for a value or @@secret:NAME@@ for a secret`,
          );
          return '';
        }
        usedTokens.add(inner);
        const value = values.tokens[inner];
        if (value === undefined) {
          ok = false;
          add(
            key,
            `token @@${inner}@@ has no value in environment "${values.environment}": add "${inner}: <value>" under alerter.tokens (config/environments/${values.environment}.yaml or default.yaml) or pass --tokens FILE`,
          );
          return '';
        }
        if (only) whole = { name: inner, value };
        return String(value);
      });
      if (!ok) return;
      if (node.type === 'PLAIN' || node.type === undefined) {
        if (whole) {
          // An unquoted token: ElastAlert would read the value's text with YAML 1.1 rules.
          const resolved = resolvePlain(String(whole.value));
          const wrote = kindOf(whole.value);
          const got = resolved.kind;
          const same = wrote === got || (wrote !== 'str' && (got === 'int' || got === 'float') && wrote !== 'bool');
          if (!same) {
            add(
              key,
              `token @@${whole.name}@@ = ${JSON.stringify(whole.value)} is written as a ${wrote} but YAML 1.1 (PyYAML, as ElastAlert reads it) turns it into ${describe(resolved.value)} in this unquoted position: quote the token in the rule ('@@${whole.name}@@') to keep it a string, or give the value its real type in alerter.tokens`,
            );
            return;
          }
          node.value = wrote === 'str' ? String(whole.value) : resolved.value;
          return;
        }
        const resolved = resolvePlain(replaced.replace(SECRET_MARK, 'secret'));
        if (resolved.kind !== 'str') {
          add(
            key,
            `after substituting tokens this unquoted value reads as ${describe(resolved.value)} in YAML 1.1, not as text: quote the whole value in the rule`,
          );
          return;
        }
      }
      node.value = replaced;
    },
  });
  if (problems.some((p) => p.severity === 'error')) return { problems };

  let value: unknown;
  try {
    value = exactIntegers(doc.toJS({ maxAliasCount: 1000 }));
  } catch (e) {
    const merge = /merge/i.test((e as Error).message);
    add(
      '-',
      merge
        ? `a merge key (<<) must be followed by a mapping or a list of mappings (an alias such as *defaults), as PyYAML requires: ${(e as Error).message}`
        : `cannot be read: ${(e as Error).message}`,
    );
    return { problems };
  }

  // 3. `$VAR` that ElastAlert would expand from the container's environment before parsing.
  walkStrings(value, '-', (s, key) => {
    const m = EXPANDVARS.exec(s.replace(SECRET_MARK, ''));
    if (m) {
      add(
        key,
        `contains "${m[0]}", which ElastAlert replaces with the environment variable of that name before parsing (os.path.expandvars over the whole rule file; there is no escape): remove the "$" (or, if it comes from a token, change the token's value)`,
      );
    }
  });
  if (problems.some((p) => p.severity === 'error')) return { problems };

  let rendered = replaceMarks(value);
  if (rendered && typeof rendered === 'object' && !Array.isArray(rendered)) {
    const rule = rendered as Record<string, unknown>;
    if (rule.name === undefined) {
      rule.name = stem;
      add(
        'name',
        `the rule has no name: it is deployed as "name: ${stem}" (ElastAlert alone would name it after its path, /opt/elastalert/rules/${stem}); add "name:" so that renaming the file does not rename the rule`,
        'warning',
      );
    }
    if (typeof rule.name === 'string') ruleName = rule.name;
  }

  // 4. `escalation:` becomes ordinary rules (one per tier), validated like the rule itself.
  const validateOptions = {
    globals: options.globals,
    allowLiteralSecrets: options.allowLiteralSecrets,
    environment: values.environment,
    policy: options.policy,
    isSecretReference: (s: string) => /\$\{ELK_SECRET_[A-Z0-9_]+\}/.test(s),
  };
  let tiers: Record<string, unknown>[] = [];
  if (rendered && typeof rendered === 'object' && !Array.isArray(rendered) && 'escalation' in rendered) {
    const { escalation, ...base } = rendered as Record<string, unknown>;
    const r = compileEscalation(approximateIntegers(base) as Record<string, unknown>, escalation, options.globals);
    for (const f of r.findings) add(f.key, f.message, f.severity);
    tiers = r.tiers.map((t) => exactIntegers(t) as Record<string, unknown>);
    rendered = base;
    tiers.forEach((tier, i) => {
      for (const f of validateRule(approximateIntegers(tier), validateOptions)) {
        add(`escalation.${i + 1} (generated rule "${String(tier.name)}"): ${f.key}`, f.message, f.severity);
      }
    });
  }

  // 5. Validate what ElastAlert will read (a BigInt counts as a number of its magnitude).
  const findings = validateRule(approximateIntegers(rendered), validateOptions);
  for (const f of findings) add(f.key, f.message, f.severity);
  if (problems.some((p) => p.severity === 'error')) return { problems };

  // The YAML text is written when first read: `rules check` never reads it (a fifth of its time for 500 rules).
  const render = (rule: Record<string, unknown>, fileName: string, note = ''): RenderedRule => {
    let content: string | undefined;
    let hash: string | undefined;
    const text = () =>
      (content ??=
        `# Rendered by elk-cdk from ${path.basename(file)}${note} for environment ${values.environment}. Do not edit.\n` +
        stringifyYaml11(rule));
    return {
      sourceFile: file,
      fileName,
      name: String(rule.name),
      enabled: rule.is_enabled !== false,
      limited: rule.limit_execution !== undefined,
      get content() {
        return text();
      },
      get sha256() {
        return (hash ??= sha256(text()));
      },
      secrets: [...usedSecrets].sort(),
      tokens: [...usedTokens].sort(),
    };
  };
  const rule = rendered as Record<string, unknown>;
  const base = render(rule, `${stem}.yaml`);
  const enabled = rule.is_enabled !== false;
  return {
    problems,
    rule: base,
    escalations: tiers.map((t, i) =>
      render(
        enabled ? t : { ...t, is_enabled: false },
        `${stem}.escalation-${i + 1}.yaml`,
        ` (escalation tier ${i + 1})`,
      ),
    ),
  };
}

export interface RuleSource {
  readonly file: string;
  readonly text: string;
}

/** Rule files of a folder (`*.yaml`, `*.yml`, not recursive), sorted by name. */
export function readRuleDir(dir: string): RuleSource[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`${dir}: no such rules folder (rules live in rules/*.yaml)`);
  }
  return fs
    .readdirSync(dir)
    .filter((f) => RULE_FILE.test(f))
    .sort()
    .map((f) => ({ file: path.join(dir, f), text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/**
 * Compiles a set of rules for one environment: every file, then the checks across files (unique names and file
 * names, unused tokens and secrets, secret parameter paths).
 */
export function compileRules(
  sources: readonly RuleSource[],
  values: RuleValues,
  options: CompileOptions = {},
): CompileResult {
  const problems: Problem[] = [];
  const rules: RenderedRule[] = [];
  const prefix = `/elk/${values.environment}/alerter/`;
  for (const [name, parameter] of Object.entries(values.secrets)) {
    if (!parameter.startsWith(prefix)) {
      problems.push({
        file: `config/environments/${values.environment}.yaml`,
        rule: '-',
        key: `alerter.secrets.${name}`,
        message: `is ${parameter}: secret parameters must live under ${prefix} (the alerter's role can read only that path); use ${prefix}${name}`,
        severity: 'error',
      });
    }
  }
  const stems = new Map<string, string>();
  for (const src of sources) {
    const stem = path.join(path.dirname(src.file), path.basename(src.file).replace(RULE_FILE, ''));
    const other = stems.get(stem);
    if (other !== undefined) {
      problems.push({
        file: src.file,
        rule: path.basename(stem),
        key: '-',
        message: `${path.basename(other)} and ${path.basename(src.file)} are the same rule file in the bundle (rules/${path.basename(stem)}.yaml): ElastAlert would load both as two rules; delete or rename one`,
        severity: 'error',
      });
    } else stems.set(stem, src.file);
  }
  for (const src of sources) {
    const r = compileRuleText(src.file, src.text, values, options);
    problems.push(...r.problems);
    if (r.rule) rules.push(r.rule, ...(r.escalations ?? []));
  }
  const byName = new Map<string, RenderedRule>();
  const byFile = new Map<string, RenderedRule>();
  for (const r of rules) {
    const other = byName.get(r.name);
    if (other) {
      problems.push({
        file: r.sourceFile,
        rule: r.name,
        key: 'name',
        message: `duplicate rule name (also in ${other.sourceFile}): ElastAlert refuses to start with two rules of the same name; rename one`,
        severity: 'error',
      });
    } else byName.set(r.name, r);
    if (!byFile.has(r.fileName)) byFile.set(r.fileName, r);
  }
  const used = new Set(rules.flatMap((r) => r.tokens));
  if (sources.length > 0 && rules.length === sources.length) {
    for (const t of Object.keys(values.tokens)) {
      if (!used.has(t)) {
        problems.push({
          file: `config/environments/${values.environment}.yaml`,
          rule: '-',
          key: `alerter.tokens.${t}`,
          message: 'is defined but no rule uses it (remove it, or check the spelling of the token in the rules)',
          severity: 'warning',
        });
      }
    }
  }
  return { rules, problems };
}
