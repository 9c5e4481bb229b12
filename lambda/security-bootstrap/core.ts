/**
 * Pure planning for the security bootstrap: which requests bring Elasticsearch to the declared roles and users,
 * and what an error means (wait or fail). No SDK, no clock, no I/O.
 */

export interface RoleBody {
  readonly cluster: readonly string[];
  readonly indices: readonly {
    names: readonly string[];
    privileges: readonly string[];
    allow_restricted_indices?: boolean;
  }[];
  readonly metadata?: Record<string, string>;
}

export interface UserBody {
  readonly roles: readonly string[];
  readonly full_name: string;
}

export interface EsRequest {
  readonly method: 'PUT' | 'POST' | 'GET';
  readonly path: string;
  readonly body?: Record<string, unknown>;
  /** Safe to log: never contains a password. */
  readonly description: string;
}

/** Reserved (built-in) users: only their password is managed. */
export const RESERVED = new Set([
  'elastic',
  'kibana_system',
  'logstash_system',
  'beats_system',
  'apm_system',
  'remote_monitoring_user',
]);

export interface DesiredSecurity {
  readonly roles: Readonly<Record<string, RoleBody>>;
  readonly users: Readonly<Record<string, UserBody>>;
  /** Password per user name (reserved and native). */
  readonly passwords: Readonly<Record<string, string>>;
}

const enc = encodeURIComponent;

/**
 * The full, idempotent request list: persist elastic's password first (so it no longer depends on the keystore's
 * bootstrap.password), then roles (users reference them), then native users, then the other reserved passwords.
 */
export function planSecurityRequests(desired: DesiredSecurity): EsRequest[] {
  const out: EsRequest[] = [];
  const password = (user: string): string => {
    const p = desired.passwords[user];
    if (!p) throw new Error(`no password loaded for user "${user}": add its secret to USER_SECRET_ARNS`);
    return p;
  };
  out.push(passwordRequest('elastic', password('elastic')));
  for (const name of Object.keys(desired.roles).sort()) {
    out.push({
      method: 'PUT',
      path: `/_security/role/${enc(name)}`,
      body: { ...desired.roles[name] },
      description: `put role ${name}`,
    });
  }
  for (const name of Object.keys(desired.users).sort()) {
    if (RESERVED.has(name)) throw new Error(`"${name}" is a reserved user: it cannot be defined as a native user`);
    const u = desired.users[name];
    out.push({
      method: 'PUT',
      path: `/_security/user/${enc(name)}`,
      body: {
        password: password(name),
        roles: [...u.roles],
        full_name: u.full_name,
        metadata: { managed_by: 'elk-cdk' },
      },
      description: `put user ${name} (roles ${u.roles.join(', ')})`,
    });
  }
  for (const name of Object.keys(desired.passwords).sort()) {
    if (name !== 'elastic' && RESERVED.has(name)) out.push(passwordRequest(name, password(name)));
  }
  return out;
}

/** Only passwords: what a rotation needs (`{"action": "sync-passwords"}`). */
export function planPasswordSync(passwords: Readonly<Record<string, string>>): EsRequest[] {
  const names = Object.keys(passwords).sort((a, b) => (a === 'elastic' ? -1 : b === 'elastic' ? 1 : a < b ? -1 : 1));
  return names.map((n) => passwordRequest(n, passwords[n]));
}

function passwordRequest(user: string, password: string): EsRequest {
  return {
    method: 'POST',
    path: `/_security/user/${enc(user)}/_password`,
    body: { password },
    description: `set password of ${user}`,
  };
}

export type Verdict = { readonly verdict: 'wait' | 'fail'; readonly reason: string };

/**
 * What an Elasticsearch error means while the cluster forms. Unknown means wait: no response, 5xx, 408, 429, and
 * 401 (the keystore's bootstrap password may not be in place yet on the elected master). Any other 4xx is a broken
 * definition (e.g. an unknown privilege name) and fails the deployment with Elasticsearch's reason.
 */
export function classifyEsError(statusCode: number | undefined, detail: string): Verdict {
  if (statusCode === undefined || statusCode === 0)
    return { verdict: 'wait', reason: `Elasticsearch not reachable yet: ${detail}` };
  if (statusCode >= 500 || statusCode === 408 || statusCode === 429) {
    return { verdict: 'wait', reason: `Elasticsearch not ready (HTTP ${statusCode}): ${detail}` };
  }
  if (statusCode === 401) {
    return { verdict: 'wait', reason: `elastic cannot authenticate yet (HTTP 401); waiting for bootstrap.password` };
  }
  return { verdict: 'fail', reason: `Elasticsearch rejected a security definition (HTTP ${statusCode}): ${detail}` };
}

/** The cluster is ready for security writes when a master is elected and health is not red. */
export function healthVerdict(health: { status?: string; timed_out?: boolean }): Verdict | undefined {
  if (health.status === 'red') return { verdict: 'wait', reason: 'cluster health is red' };
  if (health.status !== 'green' && health.status !== 'yellow') {
    return { verdict: 'wait', reason: `cluster health is ${health.status ?? 'unknown'}` };
  }
  return undefined;
}
