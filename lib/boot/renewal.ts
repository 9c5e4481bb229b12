import { createHash, createPrivateKey, KeyObject, X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { issuerCertificate } from './ca-rotation';
import { Finding } from './checks/finding';
import { nodeEnv, owner } from './checks/roles';
import { BootResult, runInSandbox } from './node';
import { World } from './world';

const SERVICE = 'etc/systemd/system/elk-cdk-cert-renew.service';
const TIMER_LINK = 'etc/systemd/system/timers.target.wants/elk-cdk-cert-renew.timer';
const STAMP = /^# elk-cdk certificate sha256: (\S*)$/m;

/**
 * Where a role's service reads its certificate and how it must pick up a renewed one: Elasticsearch watches its PEM
 * files (no reload, no restart); Kibana reloads `server.ssl` on SIGHUP (its unit's ExecReload); Logstash reloads on
 * SIGHUP the pipelines whose text changed, so the Beats pipeline file carries the certificate's SHA-256 (`stamp`).
 */
interface RenewalTarget {
  /** The certificate the service serves, relative to the node's root. */
  readonly cert: string;
  /** The user that must own the key. */
  readonly user: string;
  /** The unit that must be reloaded (never restarted: a restart is an outage of that node). */
  readonly reload?: string;
  /** The file whose stamp line must name the new certificate's SHA-256. */
  readonly stamp?: string;
}

const rel = (p: string) => p.replace(/^\//, '');

function targetOf(root: string, role: string): RenewalTarget | undefined {
  const read = (p: string) => (fs.existsSync(path.join(root, p)) ? fs.readFileSync(path.join(root, p), 'utf8') : '');
  if (role === 'master' || role === 'data') return { cert: 'etc/elasticsearch/certs/node.crt', user: 'elasticsearch' };
  if (role === 'kibana') {
    const cert = /^server\.ssl\.certificate: *"?([^"\s]+)"?$/m.exec(read('etc/kibana/kibana.yml'))?.[1];
    return cert ? { cert: rel(cert), user: 'kibana', reload: 'kibana' } : undefined;
  }
  if (role === 'logstash') {
    const pipeline = 'etc/logstash/conf.d/beats.conf';
    const cert = /^\s*ssl_certificate => "([^"]+)"$/m.exec(read(pipeline))?.[1];
    return cert ? { cert: rel(cert), user: 'logstash', reload: 'logstash', stamp: pipeline } : undefined;
  }
  return undefined;
}

/** The unit's `Environment=` assignments, as systemd gives them to ExecStart (space-separated, unquoted here). */
function unitEnvironment(unit: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, line] of unit.matchAll(/^Environment=(.*)$/gm)) {
    for (const a of line!.trim().split(/\s+/)) {
      const eq = a.indexOf('=');
      if (eq > 0) env[a.slice(0, eq)] = a.slice(eq + 1);
    }
  }
  return env;
}

function enabledTimer(root: string): boolean {
  try {
    return fs.lstatSync(path.join(root, TIMER_LINK)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** How often the rehearsal's systemctl recorded `unit` in `.rehearsal/<file>` (reloaded, restarted). */
function recorded(root: string, file: string, unit: string): number {
  const f = path.join(root, '.rehearsal', file);
  return fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l === unit).length
    : 0;
}

/**
 * Runs the certificate renewal of a node once, as its systemd timer would (the service's ExecStart, unchanged),
 * with the decision made a day before the certificate expires; then checks that the service's certificate is a new
 * one of the cluster CA for this node, its key private to the service's user, that the service picked it up the way
 * it can without an outage (Elasticsearch by itself, Kibana and Logstash by one reload and no restart; Logstash's
 * pipeline stamped with the new certificate), and that the node published its days to expiry.
 * Elasticsearch nodes, Kibana and Logstash; a node without TLS (no issuer URL) has nothing to renew.
 */
export async function rehearseRenewal(world: World, r: BootResult, timeoutMs: number): Promise<Finding[]> {
  const { root, id, group } = r.instance;
  const env = nodeEnv(root);
  if (!env.ELK_CERT_ISSUER_URL) return []; // no TLS: nothing to renew
  const findings: Finding[] = [];
  const fail = (message: string) =>
    findings.push({ node: id, role: group.role, step: 'cert-renewal', check: 'cert-renewal', message });
  const target = targetOf(root, group.role);
  if (!target) {
    fail(`no certificate configured for ${group.role}'s service: nothing says what to renew`);
    return findings;
  }
  if (!enabledTimer(root)) fail('the certificate renewal timer (elk-cdk-cert-renew.timer) is not enabled');
  const unit = fs.existsSync(path.join(root, SERVICE)) ? fs.readFileSync(path.join(root, SERVICE), 'utf8') : '';
  const exec = /^ExecStart=(\S+)\s*$/m.exec(unit)?.[1];
  if (!exec) {
    fail('no elk-cdk-cert-renew.service with an ExecStart line: the certificate would never be renewed');
    return findings;
  }
  const certFile = path.join(root, target.cert);
  const keyFile = path.join(path.dirname(certFile), 'node.key');
  const before = new X509Certificate(fs.readFileSync(certFile));
  const service = target.reload ?? 'elasticsearch';
  const reloadsBefore = recorded(root, 'reloaded', service);
  const restartsBefore = recorded(root, 'restarted', service);
  const dayBeforeExpiry = Math.floor(Date.parse(before.validTo) / 1000) - 86_400;
  const run = await runInSandbox(world, r.instance, [path.join(root, exec)], {
    timeoutMs,
    env: { ...unitEnvironment(unit), ELK_NOW_EPOCH: String(dayBeforeExpiry) },
  });
  if (!run.ok) {
    const tail = run.output.trim().split('\n').slice(-3).join(' | ');
    fail(`${exec} ${run.timedOut ? 'did not finish' : `exited ${run.exitCode}`}: ${tail}`);
    return findings;
  }
  const afterPem = fs.readFileSync(certFile);
  const after = new X509Certificate(afterPem);
  if (after.serialNumber === before.serialNumber) fail('a day before expiry, the renewal kept the old certificate');
  if (!after.verify(issuerCertificate(world).publicKey))
    fail("the renewed certificate is not signed by the CA the issuer signs with (the CA secret's first certificate)");
  if (!after.checkIP(r.instance.ip)) fail(`the renewed certificate does not carry the node's IP ${r.instance.ip}`);
  const key = privateKey(keyFile);
  if (!key || !after.checkPrivateKey(key))
    fail(`the renewed certificate is not for the key next to it (${path.dirname(target.cert)}/node.key)`);
  const keyMode = fs.statSync(keyFile).mode & 0o777;
  if (keyMode !== 0o600) fail(`after renewal node.key has mode ${keyMode.toString(8)}, expected 600`);
  const keyOwner = owner(root, `/${path.relative(root, keyFile)}`);
  if (!keyOwner.startsWith(`${target.user}:`))
    fail(`after renewal node.key is owned by ${keyOwner}, not the ${target.user} user`);
  const reloads = recorded(root, 'reloaded', service) - reloadsBefore;
  const restarts = recorded(root, 'restarted', service) - restartsBefore;
  if (restarts > 0) fail(`the renewal restarted ${service} (an outage of this node) instead of reloading it`);
  if (target.reload && reloads !== 1 && restarts === 0)
    fail(`the renewal reloaded ${service} ${reloads} times, expected once: it serves the old certificate`);
  if (!target.reload && reloads > 0) fail(`the renewal reloaded ${service}, which reloads its PEM files by itself`);
  if (target.stamp) {
    const sum = createHash('sha256').update(afterPem).digest('hex');
    const stamped = STAMP.exec(fs.readFileSync(path.join(root, target.stamp), 'utf8'))?.[1];
    if (stamped !== sum)
      fail(
        `${target.stamp} is stamped '${stamped ?? 'nothing'}', not the new certificate's SHA-256: on SIGHUP Logstash keeps its pipeline and the old certificate`,
      );
  }
  for (const message of checkMetric(world, r, env, after)) fail(message);
  return findings;
}

function privateKey(file: string): KeyObject | undefined {
  try {
    return createPrivateKey(fs.readFileSync(file));
  } catch {
    return undefined;
  }
}

/**
 * What the node published about itself right after a renewal (what the alarms read): CertificateDaysToExpiry near
 * the validity and CertificateRenewalFailed 0, each with the dimensions the alarms name.
 */
function checkMetric(world: World, r: BootResult, env: Record<string, string>, after: X509Certificate): string[] {
  const metricsFile = path.join(world.dir, 'metrics');
  const lines = (fs.existsSync(metricsFile) ? fs.readFileSync(metricsFile, 'utf8') : '').split('\n');
  const last = (name: string) =>
    lines
      .map((l) => l.split(' '))
      .filter(([node, ns, n]) => node === r.instance.id && ns === 'elk-cdk/Nodes' && n === name)
      .at(-1);
  const validityDays = (Date.parse(after.validTo) - Date.parse(after.validFrom)) / 86_400_000;
  const dims = `Environment=${env.ELK_ENVIRONMENT},Role=${r.instance.group.role}`;
  const problems: string[] = [];
  const days = last('CertificateDaysToExpiry');
  if (!days) problems.push('no elk-cdk/Nodes CertificateDaysToExpiry metric was published');
  else if (days[4] !== dims) problems.push(`CertificateDaysToExpiry has dimensions '${days[4]}', expected '${dims}'`);
  else if (!(Number(days[3]) > validityDays - 1 && Number(days[3]) <= validityDays))
    problems.push(`CertificateDaysToExpiry is ${days[3]} right after a renewal (validity ${validityDays} days)`);
  const failed = last('CertificateRenewalFailed');
  if (!failed) problems.push('no elk-cdk/Nodes CertificateRenewalFailed metric was published');
  else if (failed[4] !== dims)
    problems.push(`CertificateRenewalFailed has dimensions '${failed[4]}', expected '${dims}'`);
  else if (failed[3] !== '0') problems.push(`CertificateRenewalFailed is ${failed[3]} after a renewal that worked`);
  return problems;
}
