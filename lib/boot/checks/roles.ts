import { issuerCertificate } from '../ca-rotation';
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { instanceMemoryGib } from '../../config/instance-types';
import { IMAGE_REFERENCE } from '../../config/image';
import { KIBANA_ENCRYPTION_SETTINGS, KIBANA_KEY_LENGTH } from '../../security/kibana-keys';
import { BootResult } from '../node';
import { readParameter, World } from '../world';
import { Finding } from './finding';
import { checkKibanaTls } from './kibana-tls';
import { COMPRESSED_OOPS_LIMIT_MIB, isKnownSetting } from './settings';

type Check = (message: string, step?: string) => void;

/** The node's node.env as the boot scripts read it (KEY='value' lines). */
export function nodeEnv(root: string): Record<string, string> {
  const file = path.join(root, 'etc/elk-cdk/node.env');
  if (!fs.existsSync(file)) return {};
  const env: Record<string, string> = {};
  for (const m of fs.readFileSync(file, 'utf8').matchAll(/^(ELK_\w+)='(.*)'$/gm)) env[m[1]!] = m[2]!;
  return env;
}

function read(root: string, p: string): string | undefined {
  const f = path.join(root, p);
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined;
}

/** Owner recorded by the chown/chgrp stubs for the file's inode ("user:group"), root:root when never changed. */
export function owner(root: string, p: string): string {
  const inode = String(fs.statSync(path.join(root, p)).ino);
  const lines = (read(root, '.rehearsal/owners') ?? '').split('\n').filter((l) => l.startsWith(`${inode} `));
  return lines.length ? lines[lines.length - 1]!.split(' ')[1]! : 'root:root';
}

function enabled(root: string, unit: string): boolean {
  // The link names the unit's path on the instance (dangling in the sandbox): lstat, not stat.
  try {
    return fs
      .lstatSync(path.join(root, 'etc/systemd/system/multi-user.target.wants', `${unit}.service`))
      .isSymbolicLink();
  } catch {
    return false;
  }
}

function installed(root: string): Array<{ name: string; version: string; repo: string }> {
  return (read(root, '.rehearsal/installed') ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, version, repo] = l.split(' ');
      return { name: name!, version: version!, repo: repo! };
    });
}

function keystoreValue(root: string, file: string, name: string): string | undefined {
  const values = (read(root, `${file}.values`) ?? '').split('\n').filter((l) => l.startsWith(`${name} `));
  return values.length ? values[values.length - 1]!.slice(name.length + 1) : undefined;
}

function secretPassword(world: World, id: string | undefined): string | undefined {
  const v = id ? world.secrets.get(id) : undefined;
  return v ? (JSON.parse(v) as { password?: string }).password : undefined;
}

function checkPackage(root: string, name: string, env: Record<string, string>, fail: Check): void {
  const v = env.ELK_ES_VERSION;
  const p = installed(root).find((x) => x.name === name);
  if (!p) return fail(`${name} was not installed`, 'install');
  if (p.version !== v || p.repo !== `elastic-${v!.split('.')[0]}.x`) {
    fail(`${name} ${p.version} from ${p.repo} installed, expected ${v} from elastic-${v!.split('.')[0]}.x`, 'install');
  }
  if (!enabled(root, name)) fail(`the ${name} unit is not enabled (it would not start after a reboot)`, 'start');
}

function checkElasticsearch(world: World, r: BootResult, env: Record<string, string>, fail: Check): void {
  const { root, id, ip, hostname, group } = r.instance;
  checkPackage(root, 'elasticsearch', env, fail);
  const text = read(root, 'etc/elasticsearch/elasticsearch.yml') ?? '';
  const yml = (parseYaml(text) ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(yml)) {
    if (!isKnownSetting(key)) fail(`elasticsearch.yml: '${key}' is not a setting of Elasticsearch`, 'config');
  }
  if (yml['node.name'] !== id)
    fail(`elasticsearch.yml: node.name is '${String(yml['node.name'])}', not ${id}`, 'config');
  const roles = group.role === 'master' ? ['master'] : ['data', 'ingest'];
  if (JSON.stringify(yml['node.roles']) !== JSON.stringify(roles)) {
    fail(
      `elasticsearch.yml: node.roles ${JSON.stringify(yml['node.roles'])}, expected ${JSON.stringify(roles)}`,
      'config',
    );
  }
  if (yml['network.publish_host'] !== ip) fail(`elasticsearch.yml: network.publish_host is not ${ip}`, 'config');
  if (yml['discovery.seed_providers'] !== 'ec2')
    fail('elasticsearch.yml: discovery.seed_providers is not ec2', 'config');
  if (yml['cluster.initial_master_nodes'] !== undefined) {
    fail('elasticsearch.yml still names cluster.initial_master_nodes after the cluster formed', 'mark-formed');
  }
  for (const [k, v] of Object.entries(yml)) {
    if (!/ssl\.(key|certificate|certificate_authorities)$/.test(k)) continue;
    for (const p of ([] as unknown[]).concat(v)) {
      if (!fs.existsSync(path.join(root, String(p))))
        fail(`elasticsearch.yml: ${k} names ${String(p)}, which does not exist`, 'certificates');
    }
  }
  // Heap: Xms = Xmx, at most half the instance's memory, below the compressed-oops limit.
  const heap = read(root, 'etc/elasticsearch/jvm.options.d/heap.options') ?? '';
  const xms = /^-Xms(\d+)m$/m.exec(heap)?.[1];
  const xmx = /^-Xmx(\d+)m$/m.exec(heap)?.[1];
  const memMiB = (instanceMemoryGib(group.instanceType) ?? 0) * 1024;
  if (!xms || xms !== xmx)
    fail(`heap.options: -Xms and -Xmx must be equal MiB values (got '${heap.trim()}')`, 'config');
  else if (Number(xmx) > memMiB / 2)
    fail(`heap ${xmx} MiB is more than half of ${group.instanceType}'s ${memMiB} MiB`, 'config');
  else if (Number(xmx) > COMPRESSED_OOPS_LIMIT_MIB) {
    fail(`heap ${xmx} MiB is above ${COMPRESSED_OOPS_LIMIT_MIB} MiB: no compressed object pointers`, 'config');
  }

  if (!yml['xpack.security.enabled']) return;
  const ks = 'etc/elasticsearch/elasticsearch.keystore';
  const entries = (read(root, ks) ?? '').split('\n');
  if (entries.some((e) => e.endsWith('.secure_password')))
    fail('the keystore keeps the RPM auto-configuration passwords', 'certificates');
  const expected = secretPassword(world, env.ELK_BOOTSTRAP_SECRET_ID);
  if (!expected || keystoreValue(root, ks, 'bootstrap.password') !== expected) {
    fail('the keystore has no bootstrap.password from the bootstrap secret', 'certificates');
  }
  const certDir = 'etc/elasticsearch/certs';
  const crt = read(root, `${certDir}/node.crt`);
  if (!crt) return fail('no node certificate', 'certificates');
  const cert = new X509Certificate(crt);
  const sans = cert.subjectAltName ?? '';
  for (const san of [`IP Address:${ip}`, `DNS:${hostname}`, `DNS:${env.ELK_SERVICE_NAME}`]) {
    if (!sans.split(', ').includes(san)) fail(`node certificate SANs '${sans}' lack ${san}`, 'certificates');
  }
  if (!cert.verify(issuerCertificate(world).publicKey))
    fail("node certificate is not signed by the cluster CA (the CA secret's signing certificate)", 'certificates');
  // The issuer's answer names the expiry (ISO 8601) and node-certs.sh logs it: the installed certificate's.
  const until = /^node-certs: certificate for .* valid until (\S+), in /m.exec(r.output)?.[1];
  if (!until || Date.parse(until) !== Date.parse(cert.validTo))
    fail(`the boot log gives the certificate's expiry as '${until ?? ''}', not ${cert.validTo}`, 'certificates');
  const keyMode = fs.statSync(path.join(root, certDir, 'node.key')).mode & 0o777;
  if (keyMode !== 0o600) fail(`node.key has mode ${keyMode.toString(8)}, expected 600`, 'certificates');
  if (!owner(root, `/${certDir}/node.key`).startsWith('elasticsearch:')) {
    fail(`node.key is owned by ${owner(root, `/${certDir}/node.key`)}, not the elasticsearch user`, 'certificates');
  }
}

function checkKibana(world: World, r: BootResult, env: Record<string, string>, fail: Check): void {
  const { root } = r.instance;
  checkPackage(root, 'kibana', env, fail);
  const yml = (parseYaml(read(root, 'etc/kibana/kibana.yml') ?? '') ?? {}) as Record<string, unknown>;
  if (JSON.stringify(yml['elasticsearch.hosts']) !== JSON.stringify([env.ELK_ES_URL])) {
    fail(
      `kibana.yml: elasticsearch.hosts ${JSON.stringify(yml['elasticsearch.hosts'])}, expected [${env.ELK_ES_URL}]`,
      'config',
    );
  }
  if (yml['status.allowAnonymous'] !== false)
    fail('kibana.yml: status.allowAnonymous is not false (anyone reaching Kibana reads its full status)', 'config');
  if (env.ELK_CERT_ISSUER_URL) checkKibanaTls(world, r, yml, env, owner, fail);
  if (!env.ELK_CA_PARAMETER) return;
  if (!env.ELK_ES_URL?.startsWith('https://'))
    fail(`Kibana reaches Elasticsearch over ${env.ELK_ES_URL}, not TLS`, 'config');
  // What the CA parameter holds at boot (every trusted CA certificate; during a CA rotation more than one).
  const trusted = (readParameter(world, env.ELK_CA_PARAMETER) ?? world.ca.certPem).trim();
  for (const ca of ([] as unknown[]).concat(yml['elasticsearch.ssl.certificateAuthorities'] ?? [])) {
    if (read(root, String(ca))?.trim() !== trusted) fail(`kibana.yml: ${String(ca)} is not the cluster CA`, 'ca');
  }
  if (yml['elasticsearch.ssl.verificationMode'] !== 'full')
    fail('kibana.yml: elasticsearch.ssl.verificationMode is not full', 'config');
  const expected = secretPassword(world, env.ELK_KIBANA_SECRET_ID);
  if (!expected || keystoreValue(root, 'etc/kibana/kibana.keystore', 'elasticsearch.password') !== expected) {
    fail('the Kibana keystore has no elasticsearch.password from the kibana_system secret', 'keystore');
  }
  checkKibanaKeys(world, root, env, fail);
}

/** The shared encryption keys: in the keystore, cut from the environment's secret, never in kibana.yml. */
function checkKibanaKeys(world: World, root: string, env: Record<string, string>, fail: Check): void {
  const secret = env.ELK_KIBANA_KEYS_SECRET_ID ? world.secrets.get(env.ELK_KIBANA_KEYS_SECRET_ID) : undefined;
  if (!secret) return fail('no Kibana encryption keys secret (ELK_KIBANA_KEYS_SECRET_ID)', 'keystore');
  const keys = (JSON.parse(secret) as { keys?: string }).keys ?? '';
  const yml = read(root, 'etc/kibana/kibana.yml') ?? '';
  KIBANA_ENCRYPTION_SETTINGS.forEach((setting, i) => {
    const expected = keys.slice(i * KIBANA_KEY_LENGTH, (i + 1) * KIBANA_KEY_LENGTH);
    if (
      expected.length !== KIBANA_KEY_LENGTH ||
      keystoreValue(root, 'etc/kibana/kibana.keystore', setting) !== expected
    )
      fail(`the Kibana keystore has no ${setting} from the encryption keys secret`, 'keystore');
    if (yml.includes(setting) || yml.includes(expected)) fail(`kibana.yml holds ${setting}`, 'keystore');
  });
}

function checkLogstash(world: World, r: BootResult, env: Record<string, string>, fail: Check): void {
  const { root } = r.instance;
  checkPackage(root, 'logstash', env, fail);
  const pipeline = read(root, 'etc/logstash/conf.d/beats.conf') ?? '';
  if (!pipeline.includes(`hosts => ["${env.ELK_ES_URL}"]`))
    fail(`the pipeline does not send to ${env.ELK_ES_URL}`, 'config');
  const beats = /beats \{([^}]*)\}/.exec(pipeline)?.[1];
  if (!beats || !/^\s*port => 5044$/m.test(beats)) fail('the pipeline has no Beats input on 5044', 'config');
  checkLogstashQueue(root, env, fail);
  if (env.ELK_CERT_ISSUER_URL) checkBeatsTls(world, r, beats ?? '', fail);
  if (!env.ELK_CA_PARAMETER) return;
  const output = pipeline.slice(pipeline.indexOf('output {'));
  const ca = /ssl_certificate_authorities => \["([^"]+)"\]/.exec(output)?.[1];
  const trusted = (readParameter(world, env.ELK_CA_PARAMETER) ?? world.ca.certPem).trim();
  if (!ca || read(root, ca)?.trim() !== trusted) fail('the pipeline does not trust the cluster CA', 'ca');
  const envFile = path.join(root, 'etc/elk-cdk/logstash.env');
  const expected = secretPassword(world, env.ELK_LOGSTASH_SECRET_ID);
  if (!fs.existsSync(envFile) || fs.readFileSync(envFile, 'utf8').trim() !== `ELK_ES_PASSWORD=${expected}`) {
    fail('logstash.env does not hold the logstash_writer password', 'credentials');
  } else if ((fs.statSync(envFile).mode & 0o777) !== 0o600)
    fail('logstash.env is readable by others than root', 'credentials');
}

/**
 * Options of the Beats input the pipeline may use: those of logstash-input-beats 6.6 to 6.9 (Logstash 8.x) that 7.x
 * (Logstash 9.x) keeps; 7.0 refuses `ssl`, `ssl_verify_mode`, `tls_min_version`, `cipher_suites` (obsolete).
 */
const BEATS_OPTIONS = new Set([
  'port',
  'host',
  'ssl_enabled',
  'ssl_certificate',
  'ssl_key',
  'ssl_key_passphrase',
  'ssl_certificate_authorities',
  'ssl_client_authentication',
  'ssl_handshake_timeout',
  'ssl_cipher_suites',
  'ssl_supported_protocols',
]);

/** Beats over TLS: the issuer's certificate for this node and the service name, client certificates required. */
function checkBeatsTls(world: World, r: BootResult, beats: string, fail: Check): void {
  const { root, ip } = r.instance;
  const env = nodeEnv(root);
  const opts = Object.fromEntries(
    [...beats.matchAll(/^\s*(\w+) => (.+)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^\[?"|"\]?$/g, '')]),
  );
  for (const k of Object.keys(opts)) {
    if (!BEATS_OPTIONS.has(k)) fail(`the Beats input has option '${k}', unknown to its 6.6+/7.x plugin`, 'config');
  }
  if (opts.ssl_enabled !== 'true') fail('the Beats input is not TLS (ssl_enabled => true)', 'config');
  if (opts.ssl_client_authentication !== 'required')
    fail(`the Beats input does not require client certificates (${opts.ssl_client_authentication})`, 'config');
  const file = (k: string) => (opts[k] ? read(root, opts[k]) : undefined);
  const crt = file('ssl_certificate');
  if (!crt || !file('ssl_key')) return fail('the Beats input names no certificate or key that exists', 'certificates');
  if (file('ssl_certificate_authorities')?.trim() !== world.ca.certPem.trim())
    fail('the Beats input does not verify producers against the cluster CA', 'certificates');
  const cert = new X509Certificate(crt);
  for (const san of [`IP Address:${ip}`, `DNS:${env.ELK_SERVICE_NAME}`]) {
    if (!(cert.subjectAltName ?? '').split(', ').includes(san))
      fail(`the Logstash certificate lacks ${san}`, 'certificates');
  }
  if (!cert.verify(issuerCertificate(world).publicKey))
    fail("the Logstash certificate is not the CA's", 'certificates');
  if (!read(root, opts.ssl_key!)!.startsWith('-----BEGIN PRIVATE KEY-----'))
    fail('the Beats key is not PKCS#8, which the Beats input requires', 'certificates');
  if (!owner(root, opts.ssl_key!).startsWith('logstash:'))
    fail('the Beats key is not owned by logstash', 'certificates');
  const unit = read(root, 'etc/systemd/system/elk-cdk-cert-renew.service') ?? '';
  if (!/^Environment=.*\bELK_CERT_RELOAD=logstash\b/m.test(unit) || !/\bCERT_DIR=\/etc\/logstash\/certs\b/.test(unit))
    fail('the certificate renewal does not renew the Logstash certificate and reload Logstash', 'certificates');
}

/** Persistent queue, drained at shutdown, and the termination-hook watcher (issue #23). */
function checkLogstashQueue(root: string, env: Record<string, string>, fail: Check): void {
  const yml = read(root, 'etc/logstash/logstash.yml') ?? '';
  const setting = (key: string) => new RegExp(`^${key.replace(/\./g, '\\.')}: *(\\S+)`, 'm').exec(yml)?.[1];
  if (setting('queue.type') !== 'persisted') fail('logstash.yml: queue.type is not persisted', 'queue');
  if (setting('queue.drain') !== 'true') fail('logstash.yml: queue.drain is not true', 'queue');
  if (env.ELK_LS_QUEUE_MAX_BYTES && setting('queue.max_bytes') !== env.ELK_LS_QUEUE_MAX_BYTES)
    fail(`logstash.yml: queue.max_bytes is not ${env.ELK_LS_QUEUE_MAX_BYTES}`, 'queue');
  if (!env.ELK_LS_HOOK) return;
  const unit = read(root, 'etc/systemd/system/elk-logstash-drain.service') ?? '';
  if (!/^ExecStart=\/\S+\/logstash-drain\.sh$/m.test(unit))
    fail('elk-logstash-drain.service does not run logstash-drain.sh by its instance path', 'drain-watcher');
  if (!enabled(root, 'elk-logstash-drain')) fail('elk-logstash-drain.service is not enabled', 'drain-watcher-start');
}

function checkAlerter(world: World, r: BootResult, fail: Check): void {
  const { root } = r.instance;
  if (!enabled(root, 'docker')) fail('the docker unit is not enabled', 'docker');
  const args = read(root, '.rehearsal/docker/elastalert.args');
  if (args === undefined) return; // first deployment: the deploy command installs the rules
  const argv = args.trimEnd().split('\n');
  // by tag, or by tag and digest (`…:2.31.0@sha256:…`)
  const image = argv.find((a) => a.includes('/') && IMAGE_REFERENCE.test(a));
  if (!image || image.endsWith(':latest')) fail(`the ElastAlert image is not pinned (${image ?? 'none'})`, 'deploy');
  if (argv[argv.length - 1] !== '--verbose')
    fail(`the container command line ends with '${argv[argv.length - 1]}'`, 'deploy');
  for (const [flag, value] of [
    ['--restart', 'unless-stopped'],
    ['--name', 'elastalert'],
    // it holds every alert secret: no capability, no privilege gain, read-only root (issue #13)
    ['--cap-drop', 'ALL'],
    ['--security-opt', 'no-new-privileges'],
  ]) {
    if (argv[argv.indexOf(flag) + 1] !== value) fail(`the container runs without ${flag} ${value}`, 'deploy');
  }
  if (!argv.includes('--read-only')) fail('the container runs with a writable root file system', 'deploy');
  const mounts = argv.filter((_, k) => argv[k - 1] === '-v');
  for (const target of ['config.yaml', 'rules', 'certs']) {
    if (!mounts.some((m) => m.endsWith(`:/opt/elastalert/${target}:ro`)))
      fail(`the container does not mount ${target} read-only`, 'deploy');
  }
  checkRegistryLogin(root, fail);
  void world;
}

/**
 * A pull from a private ECR registry (the docker stub refuses one without a login): the token of
 * `aws ecr get-login-password` on no command line, and docker logged out again (no token left in root's docker
 * config on the instance).
 */
function checkRegistryLogin(root: string, fail: Check): void {
  const tokens = (read(root, '.rehearsal/ecr-tokens') ?? '').split('\n').filter(Boolean);
  if (tokens.length === 0) return;
  const calls = read(root, '.rehearsal/calls.log') ?? '';
  if (tokens.some((t) => calls.includes(t))) fail('the ECR login token appeared on a command line', 'deploy');
  const auth = path.join(root, '.rehearsal/docker/auth');
  const left = fs.existsSync(auth) ? fs.readdirSync(auth) : [];
  if (left.length > 0) fail(`docker is still logged in to ${left.join(', ')} after the deploy`, 'deploy');
}

/** What a node produced, per role. */
export function roleChecks(world: World, r: BootResult): Finding[] {
  const findings: Finding[] = [];
  const { group, id } = r.instance;
  const fail: Check = (message, step = 'up') =>
    findings.push({ node: id, role: group.role, step, check: group.role, message });
  const env = nodeEnv(r.instance.root);
  if (group.role === 'master' || group.role === 'data') checkElasticsearch(world, r, env, fail);
  else if (group.role === 'kibana') checkKibana(world, r, env, fail);
  else if (group.role === 'logstash') checkLogstash(world, r, env, fail);
  else checkAlerter(world, r, fail);
  return findings;
}
