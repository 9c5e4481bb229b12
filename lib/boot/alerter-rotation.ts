import * as fs from 'fs';
import * as path from 'path';
import { Finding } from './checks/finding';
import { BootResult, runInSandbox } from './node';
import { readSecret, World, writeSecret } from './world';

/** The alerter's credentials reload, as its user data writes it (lib/security/CredentialsReload.ts runs it). */
export const ALERTER_RELOAD = 'opt/elk-alerter/bin/reload-credentials.sh';
const DOCKER = '.rehearsal/docker';

const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
const lines = (file: string) => read(file).split('\n').filter(Boolean);

/** How many times the ElastAlert container has been created on the node (the docker stub's `created` list). */
export function containerCreations(root: string): number {
  return lines(path.join(root, DOCKER, 'created')).filter((l) => l === 'elastalert').length;
}

/** The environment the running ElastAlert container got (the docker stub's copy of its --env-file), by name. */
export function containerEnv(root: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of lines(path.join(root, DOCKER, 'elastalert.env'))) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/**
 * A password rotation reaching the alerter (docs/security.md, "Rotation"): the `elastalert` user's secret gets a new
 * value, then the reload-credentials command runs on the alerter as the SSM command would (the reload script its user
 * data installed, unchanged). The container must be recreated exactly once and get the new password in its
 * environment (ES_PASSWORD, from its env file); the password must not appear in the output, in any command line a
 * stub saw, or in the container's own command line; a second run with the same password must change nothing.
 * `r` is an alerter that booted with the deployed rules (its container runs).
 */
export async function rehearseAlerterRotation(world: World, r: BootResult, timeoutMs: number): Promise<Finding[]> {
  const { root, id, group } = r.instance;
  const findings: Finding[] = [];
  const fail = (message: string) =>
    findings.push({ node: id, role: group.role, step: 'password-rotation', check: 'password-rotation', message });
  const script = path.join(root, ALERTER_RELOAD);
  const secretId = /--credentials-secret (\S+)/.exec(read(script))?.[1];
  if (!secretId) {
    fail(`${ALERTER_RELOAD} is missing or passes no --credentials-secret: a rotated password would never reach it`);
    return findings;
  }
  const current = readSecret(world, secretId);
  if (!current) {
    fail(`the reload names the secret ${secretId}, which does not exist`);
    return findings;
  }
  const old = JSON.parse(current) as { username: string; password: string };
  const password = `Rotated${old.password.slice(7)}`.slice(0, 32);
  writeSecret(world, secretId, JSON.stringify({ username: old.username, password }));

  const callsFile = path.join(root, '.rehearsal/calls.log');
  const callsBefore = lines(callsFile).length;
  const created = containerCreations(root);
  const run = await runInSandbox(world, r.instance, [script], { timeoutMs });
  if (!run.ok) {
    fail(
      `${ALERTER_RELOAD} failed at step ${run.failedStep ?? '?'}: ${run.output.trim().split('\n').slice(-2).join(' | ')}`,
    );
    return findings;
  }
  const env = containerEnv(root);
  if (env.ES_PASSWORD !== password)
    fail('after the reload the ElastAlert container does not get the rotated password (ES_PASSWORD of its env file)');
  if (env.ES_USERNAME !== old.username)
    fail(`after the reload the container's ES_USERNAME is '${env.ES_USERNAME ?? ''}', not '${old.username}'`);
  const restarts = containerCreations(root) - created;
  if (restarts !== 1) fail(`the reload recreated the ElastAlert container ${restarts} times, expected exactly once`);
  if (run.output.includes(password)) fail('the reload printed the password');
  if (
    lines(callsFile)
      .slice(callsBefore)
      .some((l) => l.includes(password))
  )
    fail('the password appeared on a command line (a stub call of the reload)');
  if (read(path.join(root, DOCKER, 'elastalert.args')).includes(password))
    fail("the password is on the container's command line");

  const again = await runInSandbox(world, r.instance, [script], { timeoutMs });
  if (!again.ok)
    fail(
      `a second reload failed at step ${again.failedStep ?? '?'}: ${again.output.trim().split('\n').slice(-2).join(' | ')}`,
    );
  else if (containerCreations(root) !== created + restarts)
    fail('a second reload with the same password recreated the container again');
  return findings;
}

/**
 * An alerter booted after a rotation runs with the password the secret holds now (its container's ES_PASSWORD), not
 * with the one of the first deployment.
 */
export function checkBootPassword(world: World, r: BootResult): Finding[] {
  const { root, id, group } = r.instance;
  const secretId = /--credentials-secret (\S+)/.exec(read(path.join(root, ALERTER_RELOAD)))?.[1];
  const current = secretId ? readSecret(world, secretId) : undefined;
  if (!current || !fs.existsSync(path.join(root, DOCKER, 'elastalert.env'))) return [];
  const { password } = JSON.parse(current) as { password: string };
  if (containerEnv(root).ES_PASSWORD === password) return [];
  return [
    {
      node: id,
      role: group.role,
      step: 'password-rotation',
      check: 'password-rotation',
      message: 'an alerter booted after the rotation runs ElastAlert without the current password of the secret',
    },
  ];
}
