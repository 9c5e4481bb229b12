import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CaMaterial, createCa } from '../../lambda/cluster-ca/ca';
import { Finding } from './checks/finding';
import { Instance } from './node';
import { World } from './world';

/**
 * The two-phase CA rotation of docs/security.md, as the fleet lives it: the CA secret changes (the issuer signs with
 * its first certificate and hands out every certificate it holds as the trust bundle), then every Elasticsearch node
 * gets a new certificate and trust bundle, by a replacement or by its renewal timer, one node at a time. After every
 * node, every pair of live nodes must still trust each other (transport TLS verifies both sides).
 */
export type RotationPhase = 'trust-both' | 'sign-new' | 'drop-old';
export const ROTATION_PHASES: readonly RotationPhase[] = ['trust-both', 'sign-new', 'drop-old'];

const CERT = 'etc/elasticsearch/certs/node.crt';
const TRUST = 'etc/elasticsearch/certs/ca.crt';
const CERT_BLOCKS = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** The CA secret's content after each phase, from the old and the new CA (`signer` signs, `trust` is handed out). */
export function secretOfPhase(phase: RotationPhase, oldCa: CaMaterial, newCa: CaMaterial): CaMaterial {
  switch (phase) {
    case 'trust-both':
      return { certPem: oldCa.certPem, keyPem: oldCa.keyPem, trustPem: oldCa.certPem + newCa.certPem };
    case 'sign-new':
      return { certPem: newCa.certPem, keyPem: newCa.keyPem, trustPem: newCa.certPem + oldCa.certPem };
    case 'drop-old':
      return newCa;
  }
}

/** A new CA for the rotation (what step 0 of the procedure makes with openssl). */
export function newCa(): CaMaterial {
  return createCa({
    commonName: 'elk-cdk rehearsal CA 2',
    organization: 'elk-cdk',
    validityDays: 3650,
    now: new Date(),
  });
}

/** Puts the CA secret's content where the issuer stub reads it: signing certificate and key, the trust bundle. */
export function setIssuerCa(world: World, ca: CaMaterial): void {
  fs.writeFileSync(path.join(world.dir, 'ca.crt'), ca.certPem);
  fs.writeFileSync(path.join(world.dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
  fs.writeFileSync(path.join(world.dir, 'ca-trusted.pem'), ca.trustPem);
}

/** The certificate the issuer signs with now. */
export function issuerCertificate(world: World): X509Certificate {
  return new X509Certificate(fs.readFileSync(path.join(world.dir, 'ca.crt')));
}

function trustBundle(root: string): X509Certificate[] {
  const text = fs.existsSync(path.join(root, TRUST)) ? fs.readFileSync(path.join(root, TRUST), 'utf8') : '';
  return (text.match(CERT_BLOCKS) ?? []).map((pem) => new X509Certificate(pem));
}

const trusts = (bundle: readonly X509Certificate[], cert: X509Certificate) =>
  bundle.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));

const cn = (name: string) => /CN=([^\n,]+)/.exec(name)?.[1] ?? name;

/** Every ordered pair of live nodes in which one does not trust the other's certificate. */
export function checkMutualTrust(nodes: readonly Instance[], when: string): Finding[] {
  const findings: Finding[] = [];
  const certs = new Map(nodes.map((n) => [n, new X509Certificate(fs.readFileSync(path.join(n.root, CERT)))]));
  for (const a of nodes) {
    const bundle = trustBundle(a.root);
    for (const b of nodes) {
      if (a === b || trusts(bundle, certs.get(b)!)) continue;
      findings.push({
        node: a.id,
        role: a.group.role,
        step: 'ca-rotation',
        check: 'mutual-trust',
        message: `${when}: ${a.id} (${a.group.role}, trusts ${bundle.map((c) => cn(c.subject)).join(' + ') || 'nothing'}) does not trust the certificate of ${b.id} (${b.group.role}, issued by ${cn(certs.get(b)!.issuer)}): their transport connection fails`,
      });
    }
  }
  return findings;
}
