/**
 * Parses a PKCS#10 certificate request (RFC 2986) and checks its self-signature: the requester holds the private
 * key of the public key it asks a certificate for. Returns the public key (SubjectPublicKeyInfo DER) and the
 * subjectAltName entries the request asks for. The subject is ignored: the issuer sets CN = the instance id.
 */
import { createPublicKey, KeyObject, verify } from 'node:crypto';
import { bitStringBytes, children, DerError, expectTag, oidString, pemToDer, readOne, Tlv } from './der';

export interface RequestedNames {
  readonly dns: readonly string[];
  readonly ip: readonly string[];
}

export interface ParsedCsr {
  /** SubjectPublicKeyInfo, DER: copied as is into the certificate. */
  readonly spki: Buffer;
  readonly publicKey: KeyObject;
  readonly names: RequestedNames;
}

export class CsrError extends Error {}

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SUBJECT_ALT_NAME = '2.5.29.17';
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'sha256', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3': 'sha384', // ecdsa-with-SHA384
  '1.2.840.113549.1.1.11': 'sha256', // sha256WithRSAEncryption
};

/** Keys a node certificate may carry: EC P-256/P-384, or RSA of at least 2048 bits. */
function checkKey(key: KeyObject): void {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec' && (d.namedCurve === 'prime256v1' || d.namedCurve === 'secp384r1')) return;
  if (key.asymmetricKeyType === 'rsa' && (d.modulusLength ?? 0) >= 2048) return;
  throw new CsrError(
    `unsupported key (${key.asymmetricKeyType} ${d.namedCurve ?? d.modulusLength ?? ''}): use EC P-256/P-384 or RSA >= 2048`,
  );
}

function ipString(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    return groups.join(':');
  }
  throw new CsrError(`an IP address SAN has ${b.length} bytes`);
}

function parseSubjectAltNames(value: Buffer): RequestedNames {
  const dns: string[] = [];
  const ip: string[] = [];
  for (const name of children(expectTag(readOne(value), 0x30, 'GeneralNames'))) {
    if (name.tag === 0x82) dns.push(name.content.toString('ascii'));
    else if (name.tag === 0x87) ip.push(ipString(name.content));
    else throw new CsrError(`subjectAltName entry with tag 0x${name.tag.toString(16)}: only DNS names and IPs`);
  }
  return { dns, ip };
}

function requestedNames(attributes: Tlv | undefined): RequestedNames {
  if (!attributes) return { dns: [], ip: [] };
  let names: RequestedNames = { dns: [], ip: [] };
  for (const attr of children(attributes)) {
    const [type, values] = children(expectTag(attr, 0x30, 'Attribute'));
    if (oidString(type) !== EXTENSION_REQUEST) continue;
    for (const extensions of children(expectTag(values, 0x31, 'Attribute values'))) {
      for (const ext of children(expectTag(extensions, 0x30, 'Extensions'))) {
        const parts = children(expectTag(ext, 0x30, 'Extension'));
        if (oidString(parts[0]) !== SUBJECT_ALT_NAME) continue;
        names = parseSubjectAltNames(expectTag(parts[parts.length - 1], 0x04, 'extnValue').content);
      }
    }
  }
  return names;
}

/** Parses and verifies a PEM certificate request. Throws CsrError with a reason fit for the requester. */
export function parseCsr(pem: string): ParsedCsr {
  try {
    const der = pemToDer(pem, 'CERTIFICATE REQUEST');
    const [info, algorithm, signature] = children(expectTag(readOne(der), 0x30, 'CertificationRequest'));
    const fields = children(expectTag(info, 0x30, 'CertificationRequestInfo'));
    const spkiTlv = expectTag(fields[2], 0x30, 'SubjectPublicKeyInfo');
    const attributes = fields[3] ? expectTag(fields[3], 0xa0, 'attributes') : undefined;
    const algOid = oidString(children(expectTag(algorithm, 0x30, 'AlgorithmIdentifier'))[0]);
    const hash = SIGNATURE_ALGORITHMS[algOid];
    if (!hash) throw new CsrError(`unsupported signature algorithm ${algOid}`);
    const publicKey = createPublicKey({ key: spkiTlv.raw, format: 'der', type: 'spki' });
    checkKey(publicKey);
    if (!verify(hash, info.raw, publicKey, bitStringBytes(signature))) {
      throw new CsrError('the request signature does not verify (the requester must hold the private key)');
    }
    return { spki: Buffer.from(spkiTlv.raw), publicKey, names: requestedNames(attributes) };
  } catch (err) {
    if (err instanceof CsrError) throw err;
    if (err instanceof DerError) throw new CsrError(`malformed certificate request: ${err.message}`);
    throw new CsrError(`unreadable certificate request: ${(err as Error).message}`);
  }
}
