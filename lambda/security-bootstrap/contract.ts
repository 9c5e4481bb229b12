/** The contract between ClusterSecurity.bootstrap() and the security-bootstrap handlers. */
import { z } from 'zod';

const IndexPrivilegeSchema = z
  .object({
    names: z.array(z.string().min(1)).min(1),
    privileges: z.array(z.string().min(1)).min(1),
    allow_restricted_indices: z.boolean().optional(),
  })
  .strict();

export const RoleDescriptorSchema = z
  .object({
    cluster: z.array(z.string().min(1)),
    indices: z.array(IndexPrivilegeSchema),
    metadata: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const NativeUserSchema = z.object({ roles: z.array(z.string().min(1)).min(1), full_name: z.string() }).strict();

/**
 * Custom-resource properties. Roles and users travel as JSON strings because CloudFormation turns booleans and
 * numbers in properties into strings. They are in the template on purpose: a privilege change shows in the diff.
 */
export const BootstrapPropertiesSchema = z.object({
  RolesJson: z
    .string()
    .transform((s, ctx) => parseJson(s, z.record(z.string(), RoleDescriptorSchema), 'RolesJson', ctx)),
  UsersJson: z.string().transform((s, ctx) => parseJson(s, z.record(z.string(), NativeUserSchema), 'UsersJson', ctx)),
  /** SHA-256 of roles + users (lib/security/roles.ts); informational, changes whenever they do. */
  DefinitionsHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type BootstrapProperties = z.output<typeof BootstrapPropertiesSchema>;

function parseJson<T extends z.ZodType>(s: string, schema: T, field: string, ctx: z.RefinementCtx): z.output<T> {
  let json: unknown;
  try {
    json = JSON.parse(s);
  } catch {
    ctx.addIssue({ code: 'custom', message: `${field} is not JSON` });
    return z.NEVER;
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    ctx.addIssue({
      code: 'custom',
      message: `${field}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    });
    return z.NEVER;
  }
  return r.data;
}

/** Lambda environment of both handlers. */
export const BootstrapEnvSchema = z.object({
  /** https://host:9200 of the cluster (load balancer or DNS name). */
  ES_ENDPOINT: z.string().url(),
  /** Name verified against the node certificates' SANs. */
  ES_SERVERNAME: z.string().min(1),
  /** SSM parameter with the CA certificate PEM. */
  CA_PARAMETER_NAME: z.string().min(1),
  /** JSON: user name -> ARN of its secret. Must contain `elastic`. */
  USER_SECRET_ARNS: z.string().transform((s, ctx) => {
    try {
      const m = z.record(z.string(), z.string().min(1)).parse(JSON.parse(s));
      if (!m.elastic) ctx.addIssue({ code: 'custom', message: 'USER_SECRET_ARNS has no "elastic" entry' });
      return m;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'USER_SECRET_ARNS must be a JSON object of user -> secret ARN' });
      return z.NEVER;
    }
  }),
  /**
   * Secret with the one-time first-boot password of elastic (what nodes put into `bootstrap.password`). Tried when
   * elastic's real password gets 401: on a new cluster, that is how the real password is set the first time.
   */
  BOOTSTRAP_SECRET_ARN: z.string().min(1).optional(),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** The reload-credentials SSM document (lib/security/CredentialsReload.ts) sync-passwords sends afterwards. */
  RELOAD_DOCUMENT_NAME: z.string().min(1).optional(),
  /** Environment name: the instances of the reload command (tag elk-cdk:environment). */
  ENVIRONMENT_NAME: z.string().min(1).optional(),
});
export type BootstrapEnv = z.output<typeof BootstrapEnvSchema>;
