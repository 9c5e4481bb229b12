import { createHash, createHmac } from 'crypto';
import type { IncomingHttpHeaders } from 'http';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

export interface SignedRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Verifies an AWS Signature Version 4 `Authorization` header the way AWS does (canonical request, string to sign,
 * derived key), for one expected secret key, region and service. Returns the access key id and the signed header
 * names, or a reason.
 */
export function verifySigV4(
  req: SignedRequest,
  secretFor: (accessKeyId: string) => string | undefined,
  region: string,
  service: string,
): { ok: true; accessKeyId: string; signedHeaders: string[] } | { ok: false; reason: string } {
  const auth = String(req.headers.authorization ?? '');
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (!m) return { ok: false, reason: `not a SigV4 Authorization header: ${auth.slice(0, 40)}` };
  const [, accessKeyId, date, reqRegion, reqService, signedHeaderList, signature] = m;
  if (reqRegion !== region || reqService !== service) {
    return { ok: false, reason: `scope ${reqRegion}/${reqService}, expected ${region}/${service}` };
  }
  const secret = secretFor(accessKeyId);
  if (!secret) return { ok: false, reason: `unknown access key ${accessKeyId}` };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date)) return { ok: false, reason: 'x-amz-date does not match the credential scope' };
  const signedHeaders = signedHeaderList.split(';');
  const [path, query = ''] = req.url.split('?');
  const canonicalQuery = query.split('&').filter(Boolean).sort().join('&');
  const canonicalHeaders = signedHeaders
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonicalRequest = [
    req.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeaderList,
    String(req.headers['x-amz-content-sha256'] ?? sha256(req.body)),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (expected !== signature) return { ok: false, reason: 'signature mismatch' };
  return { ok: true, accessKeyId, signedHeaders };
}
