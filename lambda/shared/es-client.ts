/**
 * The one Elasticsearch connection factory. Every Lambda, the CLI and the bootstrap custom resource build their
 * client here, so TLS, credentials, timeouts and the compatibility headers are decided in exactly one place.
 *
 * Header decision (see docs/security.md): we use the 8.19 JavaScript client, which sends
 * `Accept: application/vnd.elasticsearch+json; compatible-with=8` (and the same Content-Type for JSON bodies).
 * An 8.x node treats `compatible-with=8` as its own version, and a 9.x node serves it through REST API
 * compatibility, so the same client works against 8.x, 9.x and a mixed 8.19/9.x cluster during a rolling
 * upgrade. A 9.x client would send `compatible-with=9`, which every 8.x node rejects with HTTP 400.
 */
import { X509Certificate } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { z } from 'zod';

/** The headers this factory's client sends; tests pin them so a client upgrade cannot change them silently. */
export const ES_COMPAT_ACCEPT = 'application/vnd.elasticsearch+json; compatible-with=8';
export const ES_COMPAT_CONTENT_TYPE = 'application/vnd.elasticsearch+json; compatible-with=8';

/** Default per-request timeout: long enough for `_cluster/health?wait_for_events=languid&timeout=10s`. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Default retries on connection errors / 502 / 503 / 504 (the client's own retry loop). */
export const DEFAULT_MAX_RETRIES = 2;

export interface EsClientOptions {
  /** Base URL of the cluster, `https://host:9200`. `http://` only for 127.0.0.1 / [::1] (the simulator). */
  readonly node: string;
  /** PEM of the cluster CA (one or more certificates). Required for https. */
  readonly caPem?: string;
  readonly username: string;
  readonly password: string;
  /** Per-request timeout. @default 30000 */
  readonly requestTimeoutMs?: number;
  /**
   * Name checked against the server certificate's SANs (and sent as SNI) when the URL's host is not in them,
   * e.g. `elasticsearch.<env>.elk.internal` while connecting to a load balancer or a raw IP.
   * @default the URL's host
   */
  readonly servername?: string;
  /** Retries of the client on connection errors and 502/503/504. @default 2 */
  readonly maxRetries?: number;
}

/** Thrown for every misconfiguration the factory refuses; the message says what to fix. */
export class EsClientConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EsClientConfigError';
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Parses and checks a CA bundle: at least one certificate, every block parses, at least one is a CA, and no
 * private key was passed by mistake (the CA secret holds the key; clients must get the certificate only).
 */
export function validateCaPem(caPem: string | undefined, origin = 'caPem'): string {
  if (caPem === undefined || caPem.trim() === '') {
    throw new EsClientConfigError(
      `${origin}: no cluster CA certificate given. Pass the PEM of the cluster CA (SSM parameter ` +
        `/elk/<env>/security/ca-cert); TLS verification is never disabled.`,
    );
  }
  if (/PRIVATE KEY-----/.test(caPem)) {
    throw new EsClientConfigError(`${origin}: contains a private key. Pass only the CA certificate, never the CA key.`);
  }
  const blocks = caPem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) {
    throw new EsClientConfigError(
      `${origin}: no "-----BEGIN CERTIFICATE-----" block found. Pass the CA certificate in PEM format.`,
    );
  }
  let anyCa = false;
  for (const [i, block] of blocks.entries()) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch (err) {
      throw new EsClientConfigError(
        `${origin}: certificate #${i + 1} is not a valid X.509 certificate (${(err as Error).message}). ` +
          `Re-read the CA certificate from its SSM parameter.`,
      );
    }
    anyCa ||= cert.ca;
  }
  if (!anyCa) {
    throw new EsClientConfigError(
      `${origin}: no certificate in the bundle is a CA (basicConstraints CA:TRUE). Pass the cluster CA, ` +
        `not a node certificate.`,
    );
  }
  return blocks.join('\n') + '\n';
}

function parseNodeUrl(node: string): URL {
  let url: URL;
  try {
    url = new URL(node);
  } catch {
    throw new EsClientConfigError(`node: "${node}" is not a URL. Use https://<host>:9200.`);
  }
  if (url.protocol === 'http:') {
    if (!LOOPBACK_HOSTS.has(url.hostname)) {
      throw new EsClientConfigError(
        `node: "${node}" uses plain http. The cluster only speaks TLS: use https://${url.host}. ` +
          `(http is allowed only for 127.0.0.1 / [::1], the local simulator.)`,
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new EsClientConfigError(`node: "${node}" has protocol ${url.protocol}; use https://<host>:9200.`);
  }
  if (url.username || url.password) {
    throw new EsClientConfigError(
      `node: credentials must not be embedded in the URL; pass username/password (from Secrets Manager).`,
    );
  }
  return url;
}

/** Builds a client that verifies the cluster's certificate against the cluster CA. */
export function createEsClient(opts: EsClientOptions): Client {
  const url = parseNodeUrl(opts.node);
  if (!opts.username || !opts.password) {
    throw new EsClientConfigError(
      'username/password: both are required (read them with loadEsCredentials from the user secret).',
    );
  }
  const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isInteger(requestTimeout) || requestTimeout <= 0) {
    throw new EsClientConfigError(`requestTimeoutMs: must be a positive integer, got ${opts.requestTimeoutMs}.`);
  }
  const maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new EsClientConfigError(`maxRetries: must be an integer >= 0, got ${opts.maxRetries}.`);
  }

  const isTls = url.protocol === 'https:';
  const ca = isTls ? validateCaPem(opts.caPem) : undefined;

  return new Client({
    node: url.toString(),
    auth: { username: opts.username, password: opts.password },
    requestTimeout,
    maxRetries,
    // Node's default TLS verification stays on; only the trust anchor changes to the cluster CA.
    tls: isTls ? { ca, ...(opts.servername ? { servername: opts.servername } : {}) } : undefined,
    // No sniffing: nodes advertise private addresses that may not be reachable, and the ALB/DNS name is stable.
    sniffOnStart: false,
    sniffOnConnectionFault: false,
    // The client's default vendored headers are `compatible-with=8`; we never override them.
    enableMetaHeader: true,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Credentials from AWS

const UserSecretSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
});

export type CaSource = { readonly ssmParameterName: string } | { readonly secretId: string };

export interface LoadEsCredentialsOptions {
  /** Secrets Manager secret (name or ARN) holding JSON `{"username": ..., "password": ...}`. */
  readonly credentialsSecretId: string;
  /** Where the CA certificate lives: an SSM String parameter or a secret whose string is the PEM. */
  readonly ca: CaSource;
  readonly secretsManager: SecretsManagerClient;
  /** Needed when `ca` is an SSM parameter. */
  readonly ssm?: SSMClient;
}

export interface EsCredentials {
  readonly username: string;
  readonly password: string;
  readonly caPem: string;
}

async function secretString(sm: SecretsManagerClient, secretId: string, versionStage?: string): Promise<string> {
  const out = await sm.send(
    new GetSecretValueCommand({ SecretId: secretId, ...(versionStage ? { VersionStage: versionStage } : {}) }),
  );
  if (out.SecretString === undefined || out.SecretString === '') {
    throw new EsClientConfigError(`secret ${secretId}: has no SecretString (binary secrets are not supported).`);
  }
  return out.SecretString;
}

/**
 * Reads one user secret, JSON `{"username": ..., "password": ...}`; errors name the secret, never echo it.
 * `versionStage` reads another staging label, e.g. `AWSPREVIOUS` during a rotation. @default AWSCURRENT
 */
export async function readUserSecret(
  sm: SecretsManagerClient,
  secretId: string,
  versionStage?: string,
): Promise<{ username: string; password: string }> {
  const raw = await secretString(sm, secretId, versionStage);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new EsClientConfigError(
      `secret ${secretId}: SecretString is not JSON. Expected {"username": "...", "password": "..."}.`,
    );
  }
  const parsed = UserSecretSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new EsClientConfigError(
      `secret ${secretId}: missing or empty field(s) ${fields}. Expected {"username": "...", "password": "..."}.`,
    );
  }
  return parsed.data;
}

/** Reads the CA certificate PEM from an SSM parameter or a secret, validated. */
export async function readCaPem(
  ca: CaSource,
  clients: { secretsManager: SecretsManagerClient; ssm?: SSMClient },
): Promise<string> {
  if ('ssmParameterName' in ca) {
    if (!clients.ssm) {
      throw new EsClientConfigError('ca.ssmParameterName needs an SSMClient in `ssm`.');
    }
    const out = await clients.ssm.send(new GetParameterCommand({ Name: ca.ssmParameterName }));
    return validateCaPem(out.Parameter?.Value, `SSM parameter ${ca.ssmParameterName}`);
  }
  return validateCaPem(await secretString(clients.secretsManager, ca.secretId), `secret ${ca.secretId}`);
}

/** Reads a user secret and the CA certificate. Never logs or returns anything but what the client needs. */
export async function loadEsCredentials(opts: LoadEsCredentialsOptions): Promise<EsCredentials> {
  const user = await readUserSecret(opts.secretsManager, opts.credentialsSecretId);
  const caPem = await readCaPem(opts.ca, opts);
  return { username: user.username, password: user.password, caPem };
}

export interface CreateEsClientFromAwsOptions extends Omit<EsClientOptions, 'caPem' | 'username' | 'password'> {
  readonly credentialsSecretId: string;
  readonly ca: CaSource;
  /** @default new SecretsManagerClient({}) */
  readonly secretsManager?: SecretsManagerClient;
  /** @default new SSMClient({}) */
  readonly ssm?: SSMClient;
}

/** loadEsCredentials + createEsClient: what a Lambda handler calls once per cold start. */
export async function createEsClientFromAws(opts: CreateEsClientFromAwsOptions): Promise<Client> {
  const { credentialsSecretId, ca, secretsManager, ssm, ...clientOpts } = opts;
  const creds = await loadEsCredentials({
    credentialsSecretId,
    ca,
    secretsManager: secretsManager ?? new SecretsManagerClient({}),
    ssm: ssm ?? ('ssmParameterName' in ca ? new SSMClient({}) : undefined),
  });
  return createEsClient({ ...clientOpts, ...creds });
}
