import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { WRITEBACK_INDEX } from './catalog';
import { RenderedRule, RuleValues, secretEnvVar } from './compile';
import { tar } from './tar';
import { stringifyYaml11 } from './yaml11';

/** Where things live inside the ElastAlert container (the image's conventions, research/elastalert.md §1.8). */
export const CONTAINER_PATHS = {
  config: '/opt/elastalert/config.yaml',
  rules: '/opt/elastalert/rules',
  ca: '/opt/elastalert/certs/ca.pem',
} as const;

/** The ElastAlert user of the cluster (its role and password come from the security part). */
export const ELASTALERT_ES_USER = 'elastalert';
export { WRITEBACK_INDEX };

export interface AlerterSettings {
  readonly environment: string;
  /** jertel/elastalert2 image, pinned. */
  readonly image: string;
  readonly runEverySeconds: number;
  readonly bufferTimeMinutes: number;
  /**
   * Elasticsearch host name. Undefined when it is only known at deploy time (a CloudFormation token): config.yaml
   * then reads it from the container's ES_HOST variable, which the on-instance script sets.
   */
  readonly esHost?: string;
  /** Default 9200. */
  readonly esPort?: number;
}

/** ElastAlert's config.yaml for an environment. The password is never in it: ES_PASSWORD is set on the instance. */
export function elastalertConfig(s: AlerterSettings): string {
  const config = {
    rules_folder: CONTAINER_PATHS.rules,
    scan_subdirectories: false,
    run_every: { seconds: s.runEverySeconds },
    buffer_time: { minutes: s.bufferTimeMinutes },
    es_host: s.esHost ?? '${ES_HOST}',
    es_port: s.esPort ?? 9200,
    use_ssl: true,
    verify_certs: true,
    ca_certs: CONTAINER_PATHS.ca,
    writeback_index: WRITEBACK_INDEX,
    alert_time_limit: { days: 2 },
  };
  return (
    `# ElastAlert config for environment ${s.environment}, rendered by elk-cdk. Do not edit.\n` +
    '# No es_username here: ElastAlert then requires es_password in this file (KeyError). The instance sets\n' +
    '# ES_USERNAME and ES_PASSWORD together from the elastalert user secret (ElastAlert reads both from the\n' +
    '# environment); without a secret it connects without authentication. Rule secrets arrive as ELK_SECRET_*.\n' +
    stringifyYaml11(config)
  );
}

export interface BundleFile {
  readonly path: string;
  readonly content: string;
}

export interface Bundle {
  /** Every file, sorted by path; SHA256SUMS last. */
  readonly files: readonly BundleFile[];
  /** sha256 of SHA256SUMS: changes exactly when a file changes. */
  readonly hash: string;
  /** Rule name → sha256 of its rendered file (first 16 hex digits). */
  readonly ruleHashes: Readonly<Record<string, string>>;
  readonly rules: readonly RenderedRule[];
}

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/** The deployable bundle: config.yaml, rules/, manifest.json and plain-text lists for the on-instance script. */
export function buildBundle(rules: readonly RenderedRule[], values: RuleValues, s: AlerterSettings): Bundle {
  const sorted = [...rules].sort((a, b) => a.fileName.localeCompare(b.fileName));
  const usedSecrets = [...new Set(sorted.flatMap((r) => r.secrets))].sort();
  const expected = sorted.filter((r) => r.enabled && !r.limited).map((r) => r.name);
  for (const n of sorted.map((r) => r.name)) {
    if (/[\r\n\t]/.test(n)) throw new Error(`rule name ${JSON.stringify(n)} contains a line break or tab`);
  }
  const manifest = {
    format: 1,
    environment: s.environment,
    image: s.image,
    runEverySeconds: s.runEverySeconds,
    esHost: s.esHost ?? null,
    esPort: s.esPort ?? 9200,
    writebackIndex: WRITEBACK_INDEX,
    rules: sorted.map((r) => ({
      name: r.name,
      file: `rules/${r.fileName}`,
      source: path.basename(r.sourceFile),
      sha256: r.sha256,
      enabled: r.enabled,
      expectStatus: r.enabled && !r.limited,
    })),
    secrets: usedSecrets.map((n) => ({ name: n, envVar: secretEnvVar(n), parameter: values.secrets[n] })),
  };
  const env = [
    `ENVIRONMENT=${s.environment}`,
    `IMAGE=${s.image}`,
    `RUN_EVERY_SECONDS=${s.runEverySeconds}`,
    `ES_HOST=${s.esHost ?? ''}`,
    `ES_PORT=${s.esPort ?? 9200}`,
    `WRITEBACK_INDEX=${WRITEBACK_INDEX}`,
    // ElastAlert logs "N rules loaded" with every rule file, before it drops the disabled ones
    `RULE_COUNT=${sorted.length}`,
  ];
  const files: BundleFile[] = [
    { path: 'bundle.env', content: env.join('\n') + '\n' },
    { path: 'config.yaml', content: elastalertConfig(s) },
    { path: 'expected-rules.txt', content: expected.map((n) => `${n}\n`).join('') },
    { path: 'manifest.json', content: JSON.stringify(manifest, null, 2) + '\n' },
    ...sorted.map((r) => ({ path: `rules/${r.fileName}`, content: r.content })),
    {
      path: 'secrets.txt',
      content: usedSecrets.map((n) => `${secretEnvVar(n)} ${values.secrets[n]}\n`).join(''),
    },
  ].sort((a, b) => a.path.localeCompare(b.path));
  const sums = files.map((f) => `${sha256(f.content)}  ${f.path}\n`).join('');
  const ruleHashes: Record<string, string> = {};
  for (const r of sorted) ruleHashes[r.name] = r.sha256.slice(0, 16);
  return { files: [...files, { path: 'SHA256SUMS', content: sums }], hash: sha256(sums), ruleHashes, rules: sorted };
}

/** The bundle as one deterministic tar archive (the S3 asset). */
export function bundleTar(bundle: Bundle): Buffer {
  return tar([{ path: 'rules/' }, ...bundle.files.map((f) => ({ path: f.path, content: f.content }))]);
}

/** Writes the bundle's files into a folder (`elkctl rules render`). */
export function writeBundle(bundle: Bundle, dir: string): void {
  for (const f of bundle.files) {
    const p = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, f.content);
  }
}

/** `--tokens FILE`: `tokens:` (values) and `secrets:` (names, or name → parameter) that add to the environment's. */
const TokensFileSchema = z
  .object({
    tokens: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.union([z.string(), z.number(), z.boolean()])).optional(),
    secrets: z
      .union([
        z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/)),
        z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/), z.string().regex(/^\/[\w./-]+$/)),
      ])
      .optional(),
  })
  .strict();

export function loadTokensFile(file: string, environment: string): Pick<RuleValues, 'tokens' | 'secrets'> {
  const doc = parseDocument(fs.readFileSync(file, 'utf8'), { uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`${file}: invalid YAML: ${doc.errors[0]!.message}`);
  const parsed = TokensFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new Error(
      `${issues.join('\n')}\n(expected: tokens: {UPPER_CASE: value}, secrets: [NAME] or {NAME: /elk/${environment}/alerter/NAME})`,
    );
  }
  const secrets = Array.isArray(parsed.data.secrets)
    ? Object.fromEntries(parsed.data.secrets.map((n) => [n, `/elk/${environment}/alerter/${n}`]))
    : (parsed.data.secrets ?? {});
  return { tokens: parsed.data.tokens ?? {}, secrets };
}

/** The rule values of an environment config, plus an optional tokens file's. */
export function ruleValues(
  config: {
    name: string;
    alerter: { tokens: Record<string, string | number | boolean>; secrets: Record<string, string> };
  },
  extra?: Pick<RuleValues, 'tokens' | 'secrets'>,
): RuleValues {
  return {
    environment: config.name,
    tokens: { ...config.alerter.tokens, ...(extra?.tokens ?? {}) },
    secrets: { ...config.alerter.secrets, ...(extra?.secrets ?? {}) },
  };
}
