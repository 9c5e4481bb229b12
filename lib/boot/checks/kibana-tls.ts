import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { issuerCertificate } from '../ca-rotation';
import { BootResult } from '../node';
import { World } from '../world';

type Check = (message: string, step?: string) => void;

const read = (root: string, p: string): string | undefined => {
  const f = path.join(root, p);
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined;
};

/**
 * TLS between the load balancer and Kibana (issue #13): kibana.yml serves the issuer's certificate for this node
 * (its IP and the service name, signed by the cluster CA, key 0600 owned by kibana), the renewal timer renews it
 * and reloads Kibana, and the unit's ExecReload sends SIGHUP (Kibana 8.11.2+ reloads server.ssl on it).
 * `owner` is the rehearsal's record of chown/chgrp (roles.ts).
 */
export function checkKibanaTls(
  world: World,
  r: BootResult,
  yml: Record<string, unknown>,
  env: Record<string, string>,
  owner: (root: string, p: string) => string,
  fail: Check,
): void {
  const { root, ip } = r.instance;
  if (yml['server.ssl.enabled'] !== true) return fail('kibana.yml: server.ssl.enabled is not true', 'certificates');
  const crtPath = String(yml['server.ssl.certificate'] ?? '');
  const keyPath = String(yml['server.ssl.key'] ?? '');
  const crt = crtPath ? read(root, crtPath) : undefined;
  const key = keyPath ? read(root, keyPath) : undefined;
  if (!crt || !key) return fail('kibana.yml names no server.ssl certificate or key that exists', 'certificates');
  const cert = new X509Certificate(crt);
  for (const san of [`IP Address:${ip}`, `DNS:${env.ELK_SERVICE_NAME}`, 'DNS:localhost']) {
    if (!(cert.subjectAltName ?? '').split(', ').includes(san))
      fail(`the Kibana certificate lacks ${san}`, 'certificates');
  }
  if (!cert.verify(issuerCertificate(world).publicKey)) fail("the Kibana certificate is not the CA's", 'certificates');
  const mode = fs.statSync(path.join(root, keyPath)).mode & 0o777;
  if (mode !== 0o600) fail(`the Kibana key has mode ${mode.toString(8)}, expected 600`, 'certificates');
  if (!owner(root, keyPath).startsWith('kibana:')) fail('the Kibana key is not owned by kibana', 'certificates');
  const unit = read(root, 'etc/systemd/system/elk-cdk-cert-renew.service') ?? '';
  if (!/^Environment=.*\bELK_CERT_RELOAD=kibana\b/m.test(unit) || !unit.includes(`CERT_DIR=${path.dirname(crtPath)}`))
    fail('the certificate renewal does not renew the Kibana certificate and reload Kibana', 'certificates');
  const dropIn = read(root, 'etc/systemd/system/kibana.service.d/elk-cdk-reload.conf') ?? '';
  if (!/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m.test(dropIn))
    fail('the Kibana unit has no ExecReload sending SIGHUP: a renewal would restart Kibana', 'certificates');
}
