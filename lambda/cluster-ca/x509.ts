/**
 * A minimal DER writer for one thing: a self-signed X.509 v3 CA certificate with an ECDSA P-256 key.
 * node:crypto can generate keys and sign, and can parse certificates (X509Certificate), but cannot create one.
 * Pure apart from the signature and the random serial, which come from node:crypto; the clock is a parameter.
 */
import { createHash, createPublicKey, KeyObject, randomBytes, sign } from 'node:crypto';

// ---- DER primitives ----------------------------------------------------------------------------------------

export function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

export const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
export const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
export const octets = (b: Buffer) => tlv(0x04, b);
export const bitString = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
export const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
export const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
/** Context-specific, constructed, explicit tag [n]. */
export const explicit = (n: number, content: Buffer) => tlv(0xa0 | n, content);

/** A non-negative INTEGER from big-endian bytes (leading zeros trimmed, 0x00 prepended if the top bit is set). */
export function integer(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let b = bytes.subarray(i);
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0] + parts[1]];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
export function time(d: Date): Buffer {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  return y < 2050 ? tlv(0x17, Buffer.from(`${p(y % 100)}${rest}`)) : tlv(0x18, Buffer.from(`${p(y, 4)}${rest}`));
}

// ---- X.509 --------------------------------------------------------------------------------------------------

export const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
};

export function name(commonName: string, organization: string): Buffer {
  return seq(set(seq(oid(OID.organization), utf8(organization))), set(seq(oid(OID.commonName), utf8(commonName))));
}

export function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

export interface SelfSignedCaOptions {
  readonly privateKey: KeyObject;
  readonly commonName: string;
  readonly organization: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** @default 16 random bytes */
  readonly serial?: Buffer;
}

/** Returns the PEM of a self-signed CA certificate (basicConstraints CA:TRUE pathlen 0, keyCertSign + cRLSign). */
export function selfSignedCaCertificate(opts: SelfSignedCaOptions): string {
  if (opts.privateKey.asymmetricKeyType !== 'ec' || opts.privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('selfSignedCaCertificate: the key must be an EC P-256 (prime256v1) private key');
  }
  if (!(opts.notAfter > opts.notBefore)) throw new Error('selfSignedCaCertificate: notAfter must be after notBefore');
  const spki = createPublicKey(opts.privateKey).export({ type: 'spki', format: 'der' });
  // subjectPublicKey BIT STRING content: the SPKI ends with it; for P-256 it is the last 65 bytes (uncompressed).
  const publicKeyBits = spki.subarray(spki.length - 65);
  const keyId = createHash('sha1').update(publicKeyBits).digest();
  const serial = opts.serial ?? randomBytes(16);
  serial[0] &= 0x7f; // positive
  const subject = name(opts.commonName, opts.organization);
  const algorithm = seq(oid(OID.ecdsaWithSha256));

  const extensions = seq(
    extension(OID.basicConstraints, true, seq(bool(true), integer(Buffer.from([0])))),
    // keyCertSign (bit 5) and cRLSign (bit 6): one content byte 0b00000110, 1 unused bit.
    extension(OID.keyUsage, true, tlv(0x03, Buffer.from([0x01, 0x06]))),
    extension(OID.subjectKeyIdentifier, false, octets(keyId)),
    extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, keyId))),
  );

  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    algorithm,
    subject,
    seq(time(opts.notBefore), time(opts.notAfter)),
    subject,
    spki,
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, { key: opts.privateKey, dsaEncoding: 'der' });
  const der = seq(tbs, algorithm, bitString(signature));
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
