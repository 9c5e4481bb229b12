import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { issuerCertificate } from './ca-rotation';
import { Finding } from './checks/finding';
import { nodeEnv, owner } from './checks/roles';
import { BootResult, runInSandbox } from './node';
import { World } from './world';

const SERVICE = 'etc/systemd/system/elk-cdk-cert-renew.service';
const TIMER_LINK = 'etc/systemd/system/timers.target.wants/elk-cdk-cert-renew.timer';
const CERT = 'etc/elasticsearch/certs/node.crt';
const KEY = 'etc/elasticsearch/certs/node.key';

function enabledTimer(root: string): boolean {
  try {
    return fs.lstatSync(path.join(root, TIMER_LINK)).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Runs the certificate renewal of an Elasticsearch node once, as its systemd timer would (the service's ExecStart,
 * unchanged), with the decision made a day before the certificate expires; then checks that the node holds a new
 * certificate of the cluster CA for the same key rules, and that it published its days to expiry.
 */
export async function rehearseRenewal(world: World, r: BootResult, timeoutMs: number): Promise<Finding[]> {
  const { root, id, group } = r.instance;
  const env = nodeEnv(root);
  if (!env.ELK_CERT_ISSUER_URL) return []; // no TLS: nothing to renew
  const findings: Finding[] = [];
  const fail = (message: string) =>
    findings.push({ node: id, role: group.role, step: 'cert-renewal', check: 'cert-renewal', message });
  if (!enabledTimer(root)) fail('the certificate renewal timer (elk-cdk-cert-renew.timer) is not enabled');
  const unit = fs.existsSync(path.join(root, SERVICE)) ? fs.readFileSync(path.join(root, SERVICE), 'utf8') : '';
  const exec = /^ExecStart=(\S+)\s*$/m.exec(unit)?.[1];
  if (!exec) {
    fail('no elk-cdk-cert-renew.service with an ExecStart line: the certificate would never be renewed');
    return findings;
  }
  const before = new X509Certificate(fs.readFileSync(path.join(root, CERT)));
  const dayBeforeExpiry = Math.floor(Date.parse(before.validTo) / 1000) - 86_400;
  const run = await runInSandbox(world, r.instance, [path.join(root, exec)], {
    timeoutMs,
    env: { ELK_NOW_EPOCH: String(dayBeforeExpiry) },
  });
  if (!run.ok) {
    const tail = run.output.trim().split('\n').slice(-3).join(' | ');
    fail(`${exec} ${run.timedOut ? 'did not finish' : `exited ${run.exitCode}`}: ${tail}`);
    return findings;
  }
  const after = new X509Certificate(fs.readFileSync(path.join(root, CERT)));
  if (after.serialNumber === before.serialNumber) fail('a day before expiry, the renewal kept the old certificate');
  if (!after.verify(issuerCertificate(world).publicKey))
    fail("the renewed certificate is not signed by the CA the issuer signs with (the CA secret's first certificate)");
  if (!after.checkIP(r.instance.ip)) fail(`the renewed certificate does not carry the node's IP ${r.instance.ip}`);
  const keyMode = fs.statSync(path.join(root, KEY)).mode & 0o777;
  if (keyMode !== 0o600) fail(`after renewal node.key has mode ${keyMode.toString(8)}, expected 600`);
  if (!owner(root, `/${KEY}`).startsWith('elasticsearch:'))
    fail(`after renewal node.key is owned by ${owner(root, `/${KEY}`)}, not the elasticsearch user`);
  const metricsFile = path.join(world.dir, 'metrics');
  const metric = (fs.existsSync(metricsFile) ? fs.readFileSync(metricsFile, 'utf8') : '')
    .split('\n')
    .map((l) => l.split(' '))
    .find(([node, ns, name]) => node === id && ns === 'elk-cdk/Nodes' && name === 'CertificateDaysToExpiry');
  const validityDays = (Date.parse(after.validTo) - Date.parse(after.validFrom)) / 86_400_000;
  const dims = `Environment=${env.ELK_ENVIRONMENT},Role=${group.role}`;
  if (!metric) fail('no elk-cdk/Nodes CertificateDaysToExpiry metric was published');
  else if (metric[4] !== dims) fail(`CertificateDaysToExpiry has dimensions '${metric[4]}', expected '${dims}'`);
  else if (!(Number(metric[3]) > validityDays - 1 && Number(metric[3]) <= validityDays))
    fail(`CertificateDaysToExpiry is ${metric[3]} right after a renewal (validity ${validityDays} days)`);
  return findings;
}
