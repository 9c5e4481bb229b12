/**
 * Create-once logic of the cluster CA, free of AWS: given what the CA secret holds now, either reuse the CA in it
 * or make a new one. The secret's string is the signing CA certificate PEM, then its PKCS#8 private key PEM, then
 * (only during a CA rotation) further trusted CA certificates. The node script splits it with openssl and awk alone
 * (`openssl x509` / `openssl pkey`), without jq.
 */
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { selfSignedCaCertificate } from './x509';

export interface CaMaterial {
  /** The signing CA certificate (the first certificate in the secret). */
  readonly certPem: string;
  /** Goes to Secrets Manager only. */
  readonly keyPem: string;
  /**
   * Every CA certificate in the secret, signing one first: what nodes and clients trust. More than one only during a
   * CA rotation (new CA first, old CA after the key), so old and new node certificates are both trusted.
   */
  readonly trustPem: string;
}

export type CaDecision =
  | { readonly decision: 'reuse'; readonly reason: string; readonly ca: CaMaterial }
  | { readonly decision: 'create'; readonly reason: string };

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const CERT_BLOCKS = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:EC |RSA )?PRIVATE KEY-----/;

export class CaSecretError extends Error {}

/**
 * Decides from the current secret string. A secret without any PEM (the random placeholder CloudFormation
 * generated when it created the secret) gets a new CA. A secret with PEM that is not a matching CA cert + key is
 * never overwritten: that is an error for a human to look at.
 */
export function decideCa(current: string | undefined, secretName: string): CaDecision {
  if (current === undefined || !current.includes('-----BEGIN')) {
    return { decision: 'create', reason: 'the CA secret holds no certificate yet' };
  }
  const cert = current.match(CERT_BLOCK)?.[0];
  const key = current.match(KEY_BLOCK)?.[0];
  if (!cert || !key) {
    throw new CaSecretError(
      `${secretName}: holds PEM data but not both a CERTIFICATE and a PRIVATE KEY block; refusing to overwrite ` +
        `it. Restore the CA (certificate PEM followed by its private key PEM) or delete the secret's value.`,
    );
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new CaSecretError(`${secretName}: the certificate does not parse (${(err as Error).message}).`);
  }
  if (!x509.ca) throw new CaSecretError(`${secretName}: the certificate is not a CA (basicConstraints CA:FALSE).`);
  if (!x509.checkPrivateKey(createPrivateKey(key))) {
    throw new CaSecretError(`${secretName}: the private key does not belong to the certificate.`);
  }
  const trusted = current.match(CERT_BLOCKS) ?? [];
  for (const [i, extra] of trusted.slice(1).entries()) {
    let c: X509Certificate;
    try {
      c = new X509Certificate(extra);
    } catch (err) {
      throw new CaSecretError(
        `${secretName}: trusted certificate #${i + 2} does not parse (${(err as Error).message}).`,
      );
    }
    if (!c.ca) throw new CaSecretError(`${secretName}: trusted certificate #${i + 2} is not a CA.`);
  }
  return {
    decision: 'reuse',
    reason:
      trusted.length > 1
        ? `the CA secret already holds a CA (create-once), plus ${trusted.length - 1} more trusted CA certificate(s)`
        : 'the CA secret already holds a CA (create-once)',
    ca: {
      certPem: cert.trim() + '\n',
      keyPem: key.trim() + '\n',
      trustPem: trusted.map((c) => c.trim()).join('\n') + '\n',
    },
  };
}

export interface NewCaOptions {
  readonly commonName: string;
  readonly organization: string;
  readonly validityDays: number;
  readonly now: Date;
}

/** A new EC P-256 CA. notBefore is one hour back to tolerate clock skew between nodes. */
export function createCa(opts: NewCaOptions): CaMaterial {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const certPem = selfSignedCaCertificate({
    privateKey,
    commonName: opts.commonName,
    organization: opts.organization,
    notBefore: new Date(opts.now.getTime() - 3600_000),
    notAfter: new Date(opts.now.getTime() + opts.validityDays * 86_400_000),
  });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { certPem, keyPem, trustPem: certPem };
}

/** The secret string: signing certificate, its key, then any further trusted CA certificates. */
export function caSecretString(ca: CaMaterial): string {
  const extra = (ca.trustPem.match(CERT_BLOCKS) ?? []).slice(1);
  return ca.certPem + ca.keyPem + extra.map((c) => c + '\n').join('');
}
