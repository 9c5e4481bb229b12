/**
 * A small DER reader: enough to walk a PKCS#10 certificate request and a CA certificate. Every read is bounds-checked
 * and throws DerError on malformed input (indefinite lengths, lengths past the end, trailing bytes).
 */

export class DerError extends Error {}

export interface Tlv {
  readonly tag: number;
  /** The whole element (tag, length and content), e.g. to hash or to copy into another structure. */
  readonly raw: Buffer;
  readonly content: Buffer;
}

/** Reads one element at `offset`; returns it and the offset after it. */
export function readTlv(buf: Buffer, offset = 0): { tlv: Tlv; next: number } {
  if (offset + 2 > buf.length) throw new DerError('truncated DER element');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let len = buf[offset + 1];
  let header = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('indefinite or oversized DER length');
    if (offset + 2 + n > buf.length) throw new DerError('truncated DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset + 2 + i];
    header += n;
  }
  const end = offset + header + len;
  if (end > buf.length) throw new DerError('DER length past the end of the input');
  return {
    tlv: { tag, raw: buf.subarray(offset, end), content: buf.subarray(offset + header, end) },
    next: end,
  };
}

/** The single element that makes up `buf` (no trailing bytes). */
export function readOne(buf: Buffer): Tlv {
  const { tlv, next } = readTlv(buf, 0);
  if (next !== buf.length) throw new DerError('trailing bytes after the DER element');
  return tlv;
}

/** The children of a constructed element (SEQUENCE, SET, context-specific). */
export function children(tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = 0; off < tlv.content.length;) {
    const { tlv: child, next } = readTlv(tlv.content, off);
    out.push(child);
    off = next;
  }
  return out;
}

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) {
    throw new DerError(
      `${what}: expected tag 0x${tag.toString(16)}, got ${tlv ? `0x${tlv.tag.toString(16)}` : 'nothing'}`,
    );
  }
  return tlv;
}

/** Dotted form of an OBJECT IDENTIFIER element. */
export function oidString(tlv: Tlv): string {
  expectTag(tlv, 0x06, 'OBJECT IDENTIFIER');
  const b = tlv.content;
  if (b.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const parts = [Math.min(2, Math.floor(b[0] / 40)), b[0] - 40 * Math.min(2, Math.floor(b[0] / 40))];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** Content of a BIT STRING without its unused-bits byte (which must be 0 for keys and signatures). */
export function bitStringBytes(tlv: Tlv): Buffer {
  expectTag(tlv, 0x03, 'BIT STRING');
  if (tlv.content.length < 1 || tlv.content[0] !== 0) throw new DerError('BIT STRING with unused bits');
  return tlv.content.subarray(1);
}

/** Base64 body of the first PEM block with this label, as DER. */
export function pemToDer(pem: string, label: string): Buffer {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`);
  const m = pem.match(re);
  if (!m) throw new DerError(`no "${label}" PEM block`);
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}
