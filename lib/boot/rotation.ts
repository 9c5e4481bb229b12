import * as fs from 'fs';
import * as path from 'path';
import { Finding } from './checks/finding';
import { nodeEnv } from './checks/roles';
import { BootResult, runInSandbox } from './node';
import { World, writeSecret } from './world';

const RELOAD = 'opt/elk-cdk/bin/elk-credentials-reload.sh';

/** Where each service keeps its password, as the reload must leave it. */
function installedPassword(root: string, role: string): string | undefined {
  const read = (p: string) => (fs.existsSync(path.join(root, p)) ? fs.readFileSync(path.join(root, p), 'utf8') : '');
  if (role === 'kibana') {
    const lines = read('etc/kibana/kibana.keystore.values')
      .split('\n')
      .filter((l) => l.startsWith('elasticsearch.password '));
    return lines.length ? lines[lines.length - 1]!.slice('elasticsearch.password '.length) : undefined;
  }
  return /^ELK_ES_PASSWORD=(.*)$/m.exec(read('etc/elk-cdk/logstash.env'))?.[1];
}

function restarts(root: string, role: string): number {
  const f = path.join(root, '.rehearsal/restarted');
  return fs.existsSync(f)
    ? fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l === role).length
    : 0;
}

/**
 * A password rotation reaching Kibana and Logstash (docs/security.md, "Rotation"): the service users' secrets get new
 * values, then the reload-credentials command runs on each node in turn, as the SSM command does one instance at a
 * time. Each node must install the new password where its service reads it, restart the service exactly once and be
 * healthy; a second run must change nothing.
 */
export async function rehearseRotation(
  world: World,
  nodes: readonly BootResult[],
  timeoutMs: number,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const services = nodes.filter((b) => b.ok && ['kibana', 'logstash'].includes(b.instance.group.role));
  const rotated = new Map<string, string>();
  for (const b of services) {
    const env = nodeEnv(b.instance.root);
    const id = b.instance.group.role === 'kibana' ? env.ELK_KIBANA_SECRET_ID : env.ELK_LOGSTASH_SECRET_ID;
    if (!id || rotated.has(id)) continue;
    const old = JSON.parse(world.secrets.get(id)!) as { username: string; password: string };
    const password = `Rotated${old.password.slice(7)}`.slice(0, 32);
    writeSecret(world, id, JSON.stringify({ username: old.username, password }));
    rotated.set(id, password);
  }
  for (const b of services) {
    const { root, id, group } = b.instance;
    const fail = (message: string) =>
      findings.push({ node: id, role: group.role, step: 'password-rotation', check: 'password-rotation', message });
    const env = nodeEnv(root);
    const expected = rotated.get((group.role === 'kibana' ? env.ELK_KIBANA_SECRET_ID : env.ELK_LOGSTASH_SECRET_ID)!);
    if (!expected) continue;
    const before = restarts(root, group.role);
    const run = await runInSandbox(world, b.instance, [path.join(root, RELOAD)], { timeoutMs });
    if (!run.ok) {
      fail(`${RELOAD} failed at step ${run.failedStep ?? '?'}: ${run.output.trim().split('\n').slice(-2).join(' | ')}`);
      continue;
    }
    if (installedPassword(root, group.role) !== expected)
      fail(`after the reload ${group.role} does not hold the rotated password`);
    if (restarts(root, group.role) !== before + 1) fail(`the reload did not restart ${group.role} exactly once`);
    if (run.output.includes(expected)) fail('the reload printed the password');
    const again = await runInSandbox(world, b.instance, [path.join(root, RELOAD)], { timeoutMs });
    if (!again.ok || restarts(root, group.role) !== before + 1)
      fail('a second reload with the same password restarted the service (or failed)');
  }
  return findings;
}
