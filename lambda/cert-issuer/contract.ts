/**
 * The contract between CertificateIssuer (lib/security) and the issuer Lambda: its environment, the issuance policy
 * it reads from SSM, and the request/response of the function URL.
 */
import { z } from 'zod';

/** One Auto Scaling group whose instances may ask for a certificate. */
export const IssuerGroupSchema = z
  .object({
    /** Auto Scaling group name (an array entry, not a key: the name is a deploy-time token at synth). */
    autoScalingGroup: z.string().min(1),
    /** What the group is (elasticsearch, logstash, ...): logged and written into no certificate. */
    profile: z.string().min(1),
    /** ARN of the group's instance role: the caller's assumed-role session must be of this role. */
    roleArn: z.string().regex(/^arn:[a-z-]+:iam::\d{12}:role\/.+$/),
    /** Service names an instance of this group may carry besides its own DNS name and IP (e.g. the ES name). */
    dnsNames: z.array(z.string().min(1)),
  })
  .strict();
export type IssuerGroup = z.infer<typeof IssuerGroupSchema>;

/** The SSM parameter `/elk/<env>/security/issuer-policy` (JSON). */
export const IssuerPolicySchema = z
  .object({
    environment: z.string().min(1),
    /** Validity of an issued certificate in days; the node renews well before it ends. */
    validityDays: z.number().int().min(1).max(90),
    /** The groups whose instances may get certificates, and what they may get. */
    groups: z.array(IssuerGroupSchema),
  })
  .strict();
export type IssuerPolicy = z.infer<typeof IssuerPolicySchema>;

export const IssuerEnvSchema = z.object({
  /** Secret with the CA certificate, its private key and further trusted CA certificates (cluster-ca). */
  CA_SECRET_ARN: z.string().min(1),
  /** Name of the SSM parameter with the IssuerPolicy JSON. */
  POLICY_PARAMETER_NAME: z.string().startsWith('/'),
});

/** Body of the node's POST. */
export const IssueRequestSchema = z.object({ csr: z.string().min(1).max(16_384) }).strict();

/** Body of a 200 answer. */
export interface IssueResponse {
  readonly certificatePem: string;
  /** Every trusted CA certificate (the signing CA first): the node's ca.crt. */
  readonly caPem: string;
  readonly notAfter: string;
  readonly serial: string;
}
