import * as fs from 'fs';
import * as path from 'path';
import { Finding } from './checks/finding';
import { BootResult, runInSandbox } from './node';
import { World } from './world';

const SERVICE = 'etc/systemd/system/elk-alerter-heartbeat.service';
const TIMER_LINK = 'etc/systemd/system/timers.target.wants/elk-alerter-heartbeat.timer';
/** Read by the curl stub: the time of ElastAlert's newest status document (ms); default 30 s before now. */
const LAST_RUN = '.rehearsal/docker/elastalert.last-run-ms';
const STARTED = '.rehearsal/docker/elastalert.started';
const NAMESPACE = 'elk-cdk/Alerter';
const METRIC = 'SecondsSinceLastRuleRun';

export interface HeartbeatRehearsal {
  readonly findings: Finding[];
  /** The tick marked the instance Unhealthy in its Auto Scaling group (Auto Scaling would replace it). */
  readonly markedUnhealthy: boolean;
}

/** What ElastAlert does in the tick: runs its rules, or stopped evaluating long ago (stuck, crash-looping). */
export type AlerterState = 'evaluating' | 'stuck';

interface Unit {
  readonly exec: string;
  readonly args: string[];
  readonly stale: number;
  readonly environment?: string;
}

function readUnit(root: string): Unit | undefined {
  const file = path.join(root, SERVICE);
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const line = /^ExecStart=(.+)$/m.exec(text)?.[1]?.trim();
  if (!line) return undefined;
  const [exec, ...args] = line.split(/\s+/);
  const arg = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  return { exec: exec!, args, stale: Number(arg('--stale-seconds')), environment: arg('--environment') };
}

function lines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/**
 * One tick of the alerter's evaluation heartbeat (the timer's service, its ExecStart unchanged) on a booted alerter,
 * with ElastAlert `evaluating` (its newest status document 30 s old) or `stuck` (none for longer than the limit, the
 * container running for hours). Checks what the tick published (elk-cdk/Alerter SecondsSinceLastRuleRun for the
 * environment) and whether it marked its own instance Unhealthy: only when stuck.
 */
export async function rehearseHeartbeat(
  world: World,
  r: BootResult,
  state: AlerterState,
  timeoutMs: number,
): Promise<HeartbeatRehearsal> {
  const { root, id, group } = r.instance;
  const findings: Finding[] = [];
  const fail = (message: string) =>
    findings.push({ node: id, role: group.role, step: `heartbeat-${state}`, check: 'heartbeat', message });
  let timer = false;
  try {
    timer = fs.lstatSync(path.join(root, TIMER_LINK)).isSymbolicLink();
  } catch {
    /* not enabled */
  }
  if (!timer) fail('the heartbeat timer (elk-alerter-heartbeat.timer) is not enabled');
  const unit = readUnit(root);
  if (!unit) {
    fail('no elk-alerter-heartbeat.service with an ExecStart line: nothing would publish the heartbeat');
    return { findings, markedUnhealthy: false };
  }
  if (!(unit.stale > 0)) fail(`the heartbeat runs without a --stale-seconds limit (${unit.args.join(' ')})`);
  if (unit.environment !== world.stage.environment)
    fail(`the heartbeat publishes for environment '${unit.environment}', not '${world.stage.environment}'`);

  const now = Date.now();
  if (state === 'stuck') {
    fs.writeFileSync(path.join(root, LAST_RUN), String(now - (unit.stale + 120) * 1000));
    // running for longer than any grace period: a container that just started would be left alone
    fs.writeFileSync(path.join(root, STARTED), new Date(now - (unit.stale + 7200) * 1000).toISOString());
  } else {
    fs.rmSync(path.join(root, LAST_RUN), { force: true });
  }
  const metricsFile = path.join(world.dir, 'metrics');
  const healthFile = path.join(world.dir, 'instance-health');
  const metricsBefore = lines(metricsFile).length;
  const healthBefore = lines(healthFile).length;
  const run = await runInSandbox(world, r.instance, [path.join(root, unit.exec), ...unit.args], { timeoutMs });
  if (!run.ok) {
    const tail = run.output.trim().split('\n').slice(-3).join(' | ');
    fail(`${unit.exec} ${run.timedOut ? 'did not finish' : `exited ${run.exitCode}`}: ${tail}`);
    return { findings, markedUnhealthy: false };
  }
  const published = lines(metricsFile)
    .slice(metricsBefore)
    .map((l) => l.split(' '))
    .filter(([node, ns, name]) => node === id && ns === NAMESPACE && name === METRIC);
  const marks = lines(healthFile)
    .slice(healthBefore)
    .map((l) => l.split(' '))
    .filter(([node]) => node === id);
  const said = run.output.trim().split('\n').pop() ?? '';
  if (published.length !== 1) {
    fail(`the tick published ${published.length} ${NAMESPACE} ${METRIC} values, expected 1 (it said: ${said})`);
  } else {
    const [, , , value, dims] = published[0]!;
    const age = Number(value);
    if (dims !== `Environment=${world.stage.environment}`)
      fail(`${METRIC} has dimensions '${dims}', expected 'Environment=${world.stage.environment}'`);
    if (state === 'evaluating' && !(age >= 0 && age < unit.stale))
      fail(`${METRIC} is ${value} while ElastAlert evaluates (last rule run 30 s ago; limit ${unit.stale} s)`);
    if (state === 'stuck' && !(age >= unit.stale))
      fail(`${METRIC} is ${value} while no rule has run for ${unit.stale + 120} s (limit ${unit.stale} s)`);
  }
  const unhealthy = marks.some(([, target, status]) => target === id && status === 'Unhealthy');
  if (state === 'evaluating' && marks.length > 0)
    fail(`the tick set the instance's health (${marks.map((m) => m.join(' ')).join('; ')}) while ElastAlert evaluates`);
  if (state === 'stuck' && !unhealthy)
    fail(`no rule ran for ${unit.stale + 120} s and the instance was not marked Unhealthy (it said: ${said})`);
  return { findings, markedUnhealthy: unhealthy };
}

/** The rule bundle (sha256) the alerter's running container was started with, from its elk-cdk.bundle label. */
export function runningBundle(root: string): string | undefined {
  const file = path.join(root, '.rehearsal/docker/elastalert.args');
  if (!fs.existsSync(file)) return undefined;
  return /^elk-cdk\.bundle=(\S+)$/m.exec(fs.readFileSync(file, 'utf8'))?.[1];
}

/** The bundles (sha256) the rule-deploy custom resource recorded as current in SSM. */
export function recordedBundles(world: World): string[] {
  const dir = path.join(world.dir, 'ssm');
  return fs.readdirSync(dir).flatMap((f) => {
    try {
      const v = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { sha256?: unknown; bundle?: unknown };
      return typeof v.sha256 === 'string' && typeof v.bundle === 'string' ? [v.sha256] : [];
    } catch {
      return [];
    }
  });
}
