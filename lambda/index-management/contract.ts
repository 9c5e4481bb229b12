/** The contract between the IndexManagement construct and its handlers. */
import { z } from 'zod';
import { ClusterRequestSchema } from './cluster';

const DefinitionSchema = z
  .object({
    kind: z.enum(['component-template', 'index-template', 'ilm-policy']),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    body: z.record(z.string(), z.unknown()),
  })
  .strict();

/**
 * Custom-resource properties. The definitions travel as one JSON string (CloudFormation turns numbers in
 * properties into strings); they are in the template on purpose, so a template or policy change shows in the diff.
 */
export const IndexPropertiesSchema = z.object({
  DefinitionsJson: z.string().transform((s, ctx) => {
    try {
      const parsed = z.array(DefinitionSchema).safeParse(JSON.parse(s));
      if (parsed.success) return parsed.data;
      ctx.addIssue({ code: 'custom', message: `DefinitionsJson: ${parsed.error.message}` });
    } catch {
      ctx.addIssue({ code: 'custom', message: 'DefinitionsJson is not JSON' });
    }
    return z.NEVER;
  }),
  /** Cluster settings, snapshot repository and SLM policy (cluster.ts), applied before the definitions. */
  ClusterJson: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return [];
      try {
        const parsed = z.array(ClusterRequestSchema).safeParse(JSON.parse(s));
        if (parsed.success) return parsed.data;
        ctx.addIssue({ code: 'custom', message: `ClusterJson: ${parsed.error.message}` });
      } catch {
        ctx.addIssue({ code: 'custom', message: 'ClusterJson is not JSON' });
      }
      return z.NEVER;
    }),
});

export const IndexEnvSchema = z.object({
  ES_ENDPOINT: z.string().regex(/^https:\/\//),
  ES_SERVERNAME: z.string().min(1),
  CA_PARAMETER_NAME: z.string().min(1),
  USER_SECRET_ARN: z.string().min(1),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10000),
});
export type IndexEnv = z.output<typeof IndexEnvSchema>;
