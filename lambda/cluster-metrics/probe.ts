/**
 * Reads the certificate a TLS server presents, from the outside: the collector's view of a node's certificate, which
 * does not depend on anything the node publishes itself.
 *
 * One shell (`readPresentedCertificate`: a handshake, nothing sent) and one pure judge (`judgeCertificate`: is it a
 * certificate of the cluster CA for that address, and when does it end). Node verifies every handshake against the
 * cluster CA, but its verdict comes only with a completed handshake, and some servers refuse the collector before
 * that: the Logstash Beats input requires a client certificate, and under TLS 1.2 it sends its own certificate,
 * asks for the client's and ends the handshake with an alert when none comes (`handshake_failure`,
 * `bad_certificate`). Node then emits `error` instead of `secureConnect`, but the socket still holds the certificate
 * the server sent (`getPeerCertificate()`): the judge verifies it. Under TLS 1.3 the client's handshake completes
 * first (`secureConnect`, verified by Node) and the server's `certificate_required` alert follows. Both ways the
 * server's certificate is read; the collector never has a client certificate (it must not be able to send events).
 * Node's own refusal after a completed handshake (`CERT_HAS_EXPIRED`, an unknown CA, a name mismatch) is a refused
 * certificate: the collector counts it as expired.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as tls from 'node:tls';

/** What a probe of one address found. */
export type ProbeResult =
  /** A certificate of the cluster CA that names the address: its end of validity (maybe past). */
  | { readonly kind: 'certificate'; readonly notAfter: Date }
  /**
   * A certificate was presented, but clients of the cluster refuse it (expired, another CA, another address);
   * `notAfter` when it could be read.
   */
  | { readonly kind: 'refused'; readonly reason: string; readonly notAfter?: Date }
  /** No certificate was read: nothing listens, no route, no TLS, or no answer within the timeout. */
  | { readonly kind: 'unreachable'; readonly reason: string };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle (the trust bundle holds two CAs during a CA rotation). */
export function pemCertificates(bundle: string): X509Certificate[] {
  return (bundle.match(PEM_CERTIFICATE) ?? []).map((pem) => new X509Certificate(pem));
}

/**
 * Pure: the certificate `der` presented at `host` judged as a client of the cluster would (issued and signed by one
 * of `cas`, naming `host`: an IP address as an IP SAN, a name as a DNS SAN). Validity dates are not judged here:
 * an expired certificate is a `certificate` with a past `notAfter` (the collector counts its days, negative). Used
 * where Node gives no verdict: a handshake the server refused after presenting its certificate.
 */
export function judgeCertificate(der: Buffer, cas: readonly X509Certificate[], host: string): ProbeResult {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (e) {
    return { kind: 'unreachable', reason: `unreadable certificate from ${host}: ${String(e)}` };
  }
  const notAfter = new Date(cert.validTo);
  const signer = cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
  if (!signer) return { kind: 'refused', notAfter, reason: `not signed by the cluster CA (issuer ${cert.issuer})` };
  const named = isIP(host) ? cert.checkIP(host) : cert.checkHost(host);
  if (!named) {
    return { kind: 'refused', notAfter, reason: `does not name ${host} (${cert.subjectAltName ?? 'no SAN'})` };
  }
  return { kind: 'certificate', notAfter };
}

/** What a handshake showed: the certificate presented, or Node's refusal of it (the certificate then unreadable). */
export type Presented = { readonly der: Buffer } | { readonly refusedByNode: string };

/**
 * The DER of the certificate the server at `host:port` presents in a TLS handshake, also when the server then
 * refuses the handshake for want of a client certificate; or, when Node itself refuses the certificate after a
 * completed handshake (expired, another CA, another name), Node's reason: Node closes the socket before it reports
 * that, and the certificate goes with it. Rejects when no certificate arrived within `timeoutMs`.
 */
export function readPresentedCertificate(
  host: string,
  port: number,
  opts: { readonly caPem: string; readonly timeoutMs: number },
): Promise<Presented> {
  const { timeoutMs } = opts;
  return new Promise((resolve, reject) => {
    // Node verifies against the cluster CA; on the paths where it cannot say (a refused handshake), the judge does.
    const socket = tls.connect({ host, port, ca: opts.caPem });
    const done = (settle: () => void) => {
      clearTimeout(timer);
      socket.removeAllListeners('secureConnect');
      socket.removeAllListeners('error');
      socket.on('error', () => undefined); // a late alert or reset after we decided
      socket.destroy();
      settle();
    };
    const presented = (): Buffer | undefined => {
      const raw = (socket.getPeerCertificate() as { raw?: Buffer } | null)?.raw;
      return raw && raw.length > 0 ? raw : undefined;
    };
    const timer = setTimeout(
      () => done(() => reject(new Error(`TLS handshake with ${host}:${port} timed out after ${timeoutMs} ms`))),
      timeoutMs,
    );
    socket.once('secureConnect', () => {
      const raw = presented();
      done(() => (raw ? resolve({ der: raw }) : reject(new Error(`${host}:${port} presented no certificate`))));
    });
    socket.once('error', (e: Error) => {
      // Node's verdict on a completed handshake: it sets authorizationError, then closes the socket with the error.
      const refusal = (socket as tls.TLSSocket & { authorizationError?: Error | string }).authorizationError;
      if (refusal) return done(() => resolve({ refusedByNode: String(refusal) }));
      // The server's certificate came before the server's refusal (client certificate required, TLS 1.2).
      const raw = presented();
      done(() => (raw ? resolve({ der: raw }) : reject(e)));
    });
  });
}

/** A probe of one address: read the presented certificate and judge it against the cluster CA bundle. */
export async function probeCertificate(
  host: string,
  port: number,
  opts: { readonly caPem: string; readonly timeoutMs: number },
): Promise<ProbeResult> {
  let presented: Presented;
  try {
    presented = await readPresentedCertificate(host, port, opts);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { kind: 'unreachable', reason: `${err.code ?? 'Error'}: ${String(err.message ?? e).slice(0, 200)}` };
  }
  if ('refusedByNode' in presented) return { kind: 'refused', reason: presented.refusedByNode };
  return judgeCertificate(presented.der, pemCertificates(opts.caPem), host);
}
