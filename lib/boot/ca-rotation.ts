import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CaMaterial, CaSecretError, createCa } from '../../lambda/cluster-ca/ca';
import {
  CA_ROTATION_PHASES,
  caMaterialOf,
  CaRotation,
  CaRotationPhase,
  parseCaSecret,
  rotateCaSecret,
  rotationCommonName,
  rotationStepProblem,
} from '../../lambda/cluster-ca/rotation';
import { Finding } from './checks/finding';
import { Instance } from './node';
import { World } from './world';

/**
 * The CA rotation of docs/security.md (`security.caRotation`), as the fleet lives it: each phase's change of the CA
 * secret comes from the cluster-CA custom resource's own phase function (lambda/cluster-ca/rotation.ts; the issuer
 * signs with the secret's first certificate and hands out every certificate it holds as the trust bundle), then the
 * rolling replacement replaces every node, one at a time. After every step, every pair of live nodes must still
 * trust each other (transport TLS verifies both sides).
 */
export type RotationPhase = CaRotationPhase;
export const ROTATION_PHASES: readonly RotationPhase[] = CA_ROTATION_PHASES;

const CERT = 'etc/elasticsearch/certs/node.crt';
const TRUST = 'etc/elasticsearch/certs/ca.crt';
const CERT_BLOCKS = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
/** The common name of the rehearsal's CAs (rotation n's: `elk-cdk rehearsal CA (rotation n)`). */
export const REHEARSAL_CA_NAME = 'elk-cdk rehearsal CA';

/** The outcome of deploying one phase: the secret it leaves, or the refusal that stops the deploy. */
export type PhaseDeploy =
  | { readonly ok: true; readonly secret: string; readonly action: string; readonly reason: string }
  | { readonly ok: false; readonly refusedBy: 'config' | 'ca-resource'; readonly message: string };

/**
 * Deploying `wanted` over `deployed` as elk-cdk does it: synth's check against the deployed record (the config
 * check, lib/config/deployed.ts) first, then the CA custom resource's phase function on the secret.
 */
export function deployPhase(
  secret: string,
  deployed: CaRotation | undefined,
  wanted: CaRotation,
  configFile: string,
): PhaseDeploy {
  const problem = rotationStepProblem(deployed, wanted);
  if (problem) return { ok: false, refusedBy: 'config', message: `${configFile}: security.caRotation: ${problem}` };
  try {
    const r = rotateCaSecret(secret, wanted, { secretName: 'the CA secret', configFile }, (n) =>
      createCa({
        commonName: rotationCommonName(REHEARSAL_CA_NAME, n),
        organization: 'elk-cdk',
        validityDays: 3650,
        now: new Date(),
      }),
    );
    return { ok: true, secret: r.secretString ?? secret, action: r.action, reason: r.reason };
  } catch (e) {
    if (e instanceof CaSecretError) return { ok: false, refusedBy: 'ca-resource', message: e.message };
    throw e;
  }
}

/** What the issuer reads from a secret string (first certificate and key sign, every certificate is trusted). */
export function issuerMaterial(secret: string): CaMaterial {
  return caMaterialOf(parseCaSecret(secret, 'the CA secret'));
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

function trustBundle(root: string, file = TRUST): X509Certificate[] {
  const text = fs.existsSync(path.join(root, file)) ? fs.readFileSync(path.join(root, file), 'utf8') : '';
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

/** Where Kibana and Logstash keep the CA bundle they verify Elasticsearch with (the CA parameter, read at boot). */
export const CLIENT_TRUST: Readonly<Record<string, string>> = {
  kibana: 'etc/kibana/elasticsearch-ca.crt',
  logstash: 'etc/logstash/elasticsearch-ca.crt',
};

/** Every pair (client, Elasticsearch node) in which the client does not trust the node's certificate. */
export function checkClientTrust(nodes: readonly Instance[], clients: readonly Instance[], when: string): Finding[] {
  const findings: Finding[] = [];
  for (const c of clients) {
    const file = CLIENT_TRUST[c.group.role];
    if (!file) continue;
    const bundle = trustBundle(c.root, file);
    for (const n of nodes) {
      const cert = new X509Certificate(fs.readFileSync(path.join(n.root, CERT)));
      if (trusts(bundle, cert)) continue;
      findings.push({
        node: c.id,
        role: c.group.role,
        step: 'ca-rotation',
        check: 'client-trust',
        message: `${when}: ${c.id} (${c.group.role}, trusts ${bundle.map((x) => cn(x.subject)).join(' + ') || 'nothing'}) does not trust the certificate of ${n.id} (${n.group.role}, issued by ${cn(cert.issuer)}): its requests to Elasticsearch fail`,
      });
    }
  }
  return findings;
}
