/**
 * Writes a node (leaf) certificate signed by the cluster CA: CN = instance id, exactly the SANs the issuer decided,
 * serverAuth + clientAuth (transport uses both), CA:FALSE, short validity. The issuer name and key identifier come
 * from the CA certificate itself, so an imported CA (EC or RSA) works too.
 */
import { createHash, KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { bitString, explicit, extension, integer, name, octets, OID, oid, seq, time, tlv } from '../cluster-ca/x509';
import { bitStringBytes, children, expectTag, oidString, readOne, Tlv } from './der';

export interface LeafOptions {
  readonly caCertPem: string;
  readonly caKey: KeyObject;
  /** SubjectPublicKeyInfo DER of the node key (from the CSR). */
  readonly spki: Buffer;
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** @default 16 random bytes */
  readonly serial?: Buffer;
}

const EXT_KEY_USAGE = '2.5.29.37';
const SUBJECT_ALT_NAME = '2.5.29.17';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function ipBytes(ip: string): Buffer {
  const v4 = ip.split('.');
  if (v4.length === 4 && v4.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return Buffer.from(v4.map(Number));
  throw new Error(`not an IPv4 address: ${ip}`);
}

/** subject Name and subjectKeyIdentifier of the CA certificate (the leaf's issuer and authority key id). */
function caIdentity(caCertPem: string): { subject: Buffer; keyId: Buffer } {
  const ca = new X509Certificate(caCertPem);
  const tbs = children(expectTag(readOne(ca.raw), 0x30, 'Certificate'))[0];
  const fields = children(expectTag(tbs, 0x30, 'TBSCertificate'));
  const offset = fields[0].tag === 0xa0 ? 1 : 0; // [0] version is optional (v1)
  const subject = fields[offset + 4];
  const spki = fields[offset + 5];
  let keyId: Buffer | undefined;
  const extensionsTlv = fields.find((f) => f.tag === 0xa3);
  if (extensionsTlv) {
    for (const ext of children(children(extensionsTlv)[0])) {
      const parts = children(ext);
      if (oidString(parts[0]) === OID.subjectKeyIdentifier) {
        keyId = readOne(parts[parts.length - 1].content).content;
      }
    }
  }
  keyId ??= createHash('sha1')
    .update(bitStringBytes(children(spki)[1] as Tlv))
    .digest();
  return { subject: Buffer.from(subject.raw), keyId: Buffer.from(keyId) };
}

function signatureAlgorithm(caKey: KeyObject): Buffer {
  if (caKey.asymmetricKeyType === 'ec') return seq(oid(OID.ecdsaWithSha256));
  if (caKey.asymmetricKeyType === 'rsa') return seq(oid('1.2.840.113549.1.1.11'), tlv(0x05, Buffer.alloc(0)));
  throw new Error(`unsupported CA key type ${caKey.asymmetricKeyType}`);
}

/** Returns the PEM of the node certificate. */
export function leafCertificate(opts: LeafOptions): string {
  if (!(opts.notAfter > opts.notBefore)) throw new Error('leafCertificate: notAfter must be after notBefore');
  if (opts.dnsNames.length + opts.ips.length === 0) throw new Error('leafCertificate: no subjectAltName');
  const issuer = caIdentity(opts.caCertPem);
  const leafKeyId = createHash('sha1')
    .update(bitStringBytes(children(readOne(opts.spki))[1]))
    .digest();
  const serial = Buffer.from(opts.serial ?? randomBytes(16));
  serial[0] &= 0x7f;
  if (serial[0] === 0) serial[0] = 0x01; // keep the full length, positive, no leading zero byte
  const algorithm = signatureAlgorithm(opts.caKey);
  const altNames = seq(
    ...opts.dnsNames.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...opts.ips.map((ip) => tlv(0x87, ipBytes(ip))),
  );
  const extensions = seq(
    extension(OID.basicConstraints, true, seq()),
    // digitalSignature (bit 0), keyEncipherment (bit 2), keyAgreement (bit 4): 0b10101000, 3 unused bits.
    extension(OID.keyUsage, true, tlv(0x03, Buffer.from([0x03, 0xa8]))),
    extension(EXT_KEY_USAGE, false, seq(oid(SERVER_AUTH), oid(CLIENT_AUTH))),
    extension(OID.subjectKeyIdentifier, false, octets(leafKeyId)),
    extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, issuer.keyId))),
    extension(SUBJECT_ALT_NAME, false, altNames),
  );
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    issuer.subject,
    seq(time(opts.notBefore), time(opts.notAfter)),
    name(opts.commonName, 'elk-cdk'),
    opts.spki,
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, { key: opts.caKey, dsaEncoding: 'der' });
  const der = seq(tbs, algorithm, bitString(signature));
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
