/** The contract between ClusterSecurity (lib/security) and the cluster-CA handler: properties and environment. */
import { z } from 'zod';
import { CA_ROTATION_PHASES } from './rotation';

export const ClusterCaPropertiesSchema = z
  .object({
    /** Subject CN of the CA, e.g. "elk-cdk dev cluster CA". */
    CommonName: z.string().min(1).max(64),
    /** Organization in the subject. */
    Organization: z.string().min(1).max(64),
    /** Validity of a newly created CA, days (as a string: CloudFormation passes properties as strings). */
    ValidityDays: z.coerce.number().int().min(30).max(36500),
    /** Bumped by an operator after editing the CA secret (CA rotation) so CloudFormation re-reads it. */
    Revision: z.string().max(64).optional(),
    /**
     * The CA rotation the environment asks for (`security.caRotation`): rotation number and phase (lambda/cluster-ca/
     * rotation.ts). Absent: create once, then reuse whatever the secret holds (a rotation by hand).
     */
    Rotation: z.coerce.number().int().min(1).max(99).optional(),
    Phase: z.enum(CA_ROTATION_PHASES).optional(),
    /** The environment file that sets `security.caRotation`, for the refusals' messages. */
    ConfigFile: z.string().max(256).optional(),
    /**
     * The environment name (with a rotation): before a phase moves forward the handler finds the groups tagged
     * `elk-cdk:environment=<it>` and checks that the previous phase's roll finished (roll-gate.ts). Not the group
     * names: each launch template depends on this resource during a rotation, so a group's name here is a cycle.
     */
    Environment: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,30}$/)
      .optional(),
  })
  .refine((p) => (p.Rotation === undefined) === (p.Phase === undefined), {
    message: 'Rotation and Phase come together',
  });
export type ClusterCaProperties = z.infer<typeof ClusterCaPropertiesSchema>;

export const ClusterCaEnvSchema = z.object({
  /** ARN of the Secrets Manager secret that holds the CA certificate + private key (PEM, concatenated). */
  CA_SECRET_ARN: z.string().min(1),
});

/** Attributes the custom resource returns (public data only; never key material). */
export interface ClusterCaData {
  /** Every trusted CA certificate (the signing CA first): what the SSM parameter publishes. */
  readonly CertificatePem: string;
  /** SHA-256 fingerprint and expiry of the signing CA. */
  readonly Fingerprint256: string;
  readonly NotAfter: string;
}
