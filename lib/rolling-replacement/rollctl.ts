/**
 * `elkctl roll`: status, plan, wait, pause, resume and abort, over the same core and adapters as the Lambdas.
 * Targets: a real environment (AWS credentials + Elasticsearch), or a simulator scenario (`--sim FILE --at SECONDS`),
 * which is how the commands are tested.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { EC2Client } from '@aws-sdk/client-ec2';
import { Client } from '@elastic/elasticsearch';
import { createEsClientFromAws } from '../../lambda/shared/es-client';
import { AutoScalingFleet } from '../../lambda/rolling-replacement/adapters/autoscaling';
import { ElasticsearchAdapter } from '../../lambda/rolling-replacement/adapters/elasticsearch';
import { type DataVolume, VolumeHandoff } from '../../lambda/rolling-replacement/adapters/volume-handoff';
import { ZoneLaunches } from '../../lambda/rolling-replacement/adapters/zone-launch';
import { GROUP_TAG_DATA_VOLUMES, persistentSpec } from '../../lambda/shared/data-volume';
import { DATA_PATH } from '../cluster/contract';
import { freeVolumeLines, freeVolumes } from './volume-hygiene';
import type { EsPort } from '../../lambda/rolling-replacement/core/es-port';
import type { FleetGroup, FleetPort } from '../../lambda/rolling-replacement/core/fleet-port';
import { type EstimateModel, plan, progress } from '../../lambda/rolling-replacement/core/plan';
import { TAG } from '../../lambda/rolling-replacement/core/tags';
import { DEFAULT_OPTIONS, type RolloutSpec } from '../../lambda/rolling-replacement/core/types';
import { reconcileFunctionParameter } from '../../lambda/rolling-replacement/contract';
import type { ReadOnlyRequest, ReadOnlyResponse } from '../../lambda/rolling-replacement/handlers/read-only';
import { observe } from '../../lambda/rolling-replacement/reconcile';
import type { Observed } from '../../lambda/rolling-replacement/core/types';
import { SNAPSHOT_REPOSITORY } from '../../lambda/index-management/cluster';
import { createSimulation } from '../../sim/runner';
import { loadScenario } from '../../sim/scenario';
import { clientFor, orchestratorStrategy, simSpec } from '../../sim/strategies/orchestrator';
import { isCredentialsError } from '../cli/errors';
import { configuredDeployWaitSeconds } from '../diff/deploy-wait';
import { attemptStartSeconds, planDeployWaitLines } from './plan-deploy-wait';
import { loadEnvironment } from '../config';
import { TAG_ENVIRONMENT, TAG_ROLE } from '../cluster/contract';

export interface RollTarget {
  readonly es: EsPort;
  readonly fleet: FleetPort;
  readonly spec: RolloutSpec;
  readonly model: EstimateModel;
  now(): number;
  /**
   * The observation, when it is not made here from `es` and `fleet`: through the reconcile function in the VPC
   * (`elkctl roll status|plan` without --es-url).
   */
  readonly observe?: () => Promise<Observed>;
  /** The environment's data volumes (volume hygiene: `roll status` reports the free ones). @default - not listed */
  readonly dataVolumes?: () => Promise<DataVolume[]>;
  /**
   * How long a deployment waits for the roll, seconds (`rollout.timeoutHours` with `rollout.waitForCompletion`);
   * undefined when it does not wait. `roll plan` warns when the roll is longer.
   */
  readonly deployWaitSeconds?: number;
  /** Waits `seconds` (real time, or simulated time in which the orchestrator keeps working). */
  sleep(seconds: number): Promise<void>;
  close(): Promise<void>;
}

export interface TargetOptions {
  readonly env: string;
  /** Simulator scenario file instead of AWS. */
  readonly sim?: string;
  /** With --sim: run the orchestrator this many simulated seconds first. */
  readonly at?: number;
  /** Elasticsearch URL (default: config / the https endpoint given by --es-url). */
  readonly esUrl?: string;
  readonly dataGroup?: string;
  readonly masterGroup?: string;
  /** Secrets Manager id of the orchestrator user (AWS mode, with --es-url). */
  readonly secretId?: string;
  /**
   * The reconcile function to observe through (default: the name in the stack's SSM parameter). Used when no
   * --es-url is given: Elasticsearch is reachable only inside the VPC, the function is there.
   */
  readonly function?: string;
  /**
   * False for commands that only read or write Auto Scaling groups (pause, resume, abort, wait): no Elasticsearch
   * client, so no Elasticsearch credentials are needed. Default true.
   */
  readonly elasticsearch?: boolean;
}

/** The orchestrator user's secret, as the cluster stack names it (lib/security: elk/<env>/users/<user>). */
export function orchestratorSecretId(env: string): string {
  return `elk/${env}/users/orchestrator`;
}

/** The cluster CA certificate's SSM parameter, as the cluster stack names it. */
export function caParameterName(env: string): string {
  return `/elk/${env}/security/ca-cert`;
}

/** An EsPort for commands that must not touch Elasticsearch: using it is a bug. */
const NO_ES = new Proxy({} as EsPort, {
  get(_t, prop) {
    // Inspection by tools (printing, matchers, promise checks) is not a use.
    if (typeof prop === 'symbol' || ['then', 'toJSON', 'asymmetricMatch', '$$typeof', 'nodeType'].includes(prop)) {
      return undefined;
    }
    throw new Error(`internal: this command reads no Elasticsearch state (EsPort.${String(prop)} called)`);
  },
});

export async function simTarget(file: string, at = 0): Promise<RollTarget> {
  const scenario = loadScenario(file);
  const sim = createSimulation(scenario);
  const sw = sim.strategyWorld();
  // The scenario's rollout options (method, maxSurge, surgePlacement, snapshotBeforeRoll), as `sim run` uses them.
  const strategyOptions = { pollSeconds: scenario.model.pollSeconds, rollout: scenario.rollout };
  const { snapshotBeforeRoll, ...rollout } = scenario.rollout;
  let strategy = orchestratorStrategy.create(strategyOptions);
  let t = 0;
  let finished = false;
  const runUntil = async (end: number) => {
    while (!finished && t <= end) {
      sim.world.advanceTo(t);
      const r = await strategy.step(sw);
      if (r.done) finished = true;
      t = sim.world.now + Math.max(1, r.wakeAfterSeconds);
    }
    if (sim.world.now < end) sim.world.advanceTo(end);
  };
  await runUntil(at);
  const client = clientFor(sw);
  return {
    es: new ElasticsearchAdapter(client),
    fleet: sim.fleet,
    spec: simSpec(sw, { ...rollout, ...(snapshotBeforeRoll ? { snapshotBeforeRoll: SNAPSHOT_REPOSITORY } : {}) }),
    model: {
      recoveryBytesPerSecond: scenario.model.recoveryBytesPerSecond,
      joinSeconds: scenario.model.bootSeconds + scenario.model.joinSeconds,
      pollSeconds: scenario.model.pollSeconds,
    },
    now: () => sim.world.now,
    sleep: async (seconds) => {
      // A fresh strategy instance: the CLI never relies on the orchestrator's memory either.
      strategy = orchestratorStrategy.create(strategyOptions);
      await runUntil(sim.world.now + seconds);
    },
    close: () => client.close(),
  };
}

/** The cluster's groups by their tags (elk-cdk:environment + elk-cdk:role), as the cluster stack sets them. */
export async function findGroups(asg: AutoScalingClient, env: string): Promise<{ data?: string; master?: string }> {
  const found: { data?: string; master?: string } = {};
  let token: string | undefined;
  do {
    const r = await asg.send(
      new DescribeAutoScalingGroupsCommand({
        Filters: [
          { Name: `tag:${TAG_ENVIRONMENT}`, Values: [env] },
          { Name: `tag:${TAG_ROLE}`, Values: ['master', 'data'] },
        ],
        NextToken: token,
      }),
    );
    for (const g of r.AutoScalingGroups ?? []) {
      const role = g.Tags?.find((t) => t.Key === TAG_ROLE)?.Value;
      if (role === 'data' || role === 'master') found[role] = g.AutoScalingGroupName;
    }
    token = r.NextToken;
  } while (token);
  return found;
}

/** The environment's configured region, else the SDK's (AWS_REGION, the profile); an error when there is none. */
export function regionOf(env: string, configured: string | undefined, sdkEnv = process.env): string {
  const region = configured ?? sdkEnv.AWS_REGION ?? sdkEnv.AWS_DEFAULT_REGION;
  if (!region) {
    throw new Error(
      `environment ${env} has no region in its config (region:) and AWS_REGION is not set: set one of them`,
    );
  }
  return region;
}

export async function awsTarget(o: TargetOptions): Promise<RollTarget> {
  const config = loadEnvironment(o.env);
  // Every client in the environment's region: a secret or a group looked up elsewhere is not found.
  const region = regionOf(o.env, config.region);
  const asg = new AutoScalingClient({ region });
  const tagged = o.dataGroup && o.masterGroup ? {} : await findGroups(asg, o.env);
  const data = o.dataGroup ?? tagged.data;
  const master = o.masterGroup ?? tagged.master;
  if (!data || !master) {
    throw new Error(
      `environment ${o.env}: no Auto Scaling groups tagged ${TAG_ENVIRONMENT}=${o.env} with ${TAG_ROLE}=data and ` +
        'master were found; deploy the cluster stack first or pass --data-group and --master-group',
    );
  }
  const groups = { data, master };
  const esUrl = o.esUrl ?? `https://elasticsearch.${o.env}.elk.internal:9200`;
  const viaLambda = o.elasticsearch !== false && o.esUrl === undefined;
  const lambdaClient = viaLambda ? new LambdaClient({ region }) : undefined;
  const client =
    o.elasticsearch === false || viaLambda
      ? undefined
      : /^http:\/\/127\.0\.0\.1/.test(esUrl)
        ? new Client({ node: esUrl, maxRetries: 0 })
        : await createEsClientFromAws({
            node: esUrl,
            credentialsSecretId: o.secretId ?? orchestratorSecretId(o.env),
            ca: { ssmParameterName: caParameterName(o.env) },
            secretsManager: new SecretsManagerClient({ region }),
            ssm: new SSMClient({ region }),
          });
  // The data volumes (handoff, hygiene) with the caller's credentials, in the environment's region.
  const ec2 = new EC2Client({ region });
  const volumes = new VolumeHandoff(ec2, new SSMClient({ region }), { environment: o.env, dataPath: DATA_PATH });
  // Surges into chosen zones (rollout.surgePlacement orchestrator, maxSurge > 1): status and plan see the data
  // group's unattached launches and read an attached instance's version from EC2, as the reconcile function does.
  const zones =
    config.rollout.surgePlacement === 'orchestrator' && config.rollout.maxSurge > 1
      ? new ZoneLaunches(ec2, asg, groups.data)
      : undefined;
  const fleet = new AutoScalingFleet(
    asg,
    {
      [groups.data]: 'data',
      [groups.master]: 'master',
    },
    volumes,
    zones,
  );
  return {
    es: client ? new ElasticsearchAdapter(client) : NO_ES,
    fleet,
    spec: {
      rolloutId: 'elkctl',
      groups,
      targetVersion: config.elasticsearch.version,
      counts: { data: config.elasticsearch.dataNodes.count, master: config.elasticsearch.masterNodes.count },
      mode: 'roll',
      options: DEFAULT_OPTIONS,
    },
    model: {
      recoveryBytesPerSecond: config.elasticsearch.recoveryBytesPerSec,
      joinSeconds: 180,
      pollSeconds: config.rollout.pollSeconds,
    },
    now: () => Math.floor(Date.now() / 1000),
    deployWaitSeconds: configuredDeployWaitSeconds(config.rollout),
    observe: lambdaClient
      ? async () => {
          const name = o.function ?? (await reconcileFunctionName(new SSMClient({ region }), o.env));
          return observeThroughLambda(lambdaClient, name, groups);
        }
      : undefined,
    dataVolumes: () => volumes.dataVolumes(),
    sleep: (s) => new Promise((r) => setTimeout(r, s * 1000)),
    close: async () => {
      await client?.close();
      lambdaClient?.destroy();
      asg.destroy();
      ec2.destroy();
    },
  };
}

/** The reconcile function's name, from the SSM parameter the rolling replacement writes. */
export async function reconcileFunctionName(ssm: SSMClient, env: string): Promise<string> {
  const name = reconcileFunctionParameter(env);
  try {
    const r = await ssm.send(new GetParameterCommand({ Name: name }));
    if (r.Parameter?.Value) return r.Parameter.Value;
  } catch (e) {
    if (!(e instanceof Error && e.name === 'ParameterNotFound')) throw e;
  } finally {
    ssm.destroy();
  }
  throw new Error(
    `environment ${env}: no SSM parameter ${name} (the reconcile function's name; written by a cluster stack of ` +
      'this version): deploy the cluster stack, pass --function NAME, or --es-url from inside the VPC',
  );
}

/**
 * Invokes the reconcile function in read-only mode (it observes the cluster from inside the VPC and decides and
 * executes nothing) and returns its observation.
 */
export async function observeThroughLambda(
  lambda: LambdaClient,
  functionName: string,
  groups: { data: string; master: string },
): Promise<Observed> {
  const request: ReadOnlyRequest = { readOnly: 'observe', dataGroup: groups.data, masterGroup: groups.master };
  const r = await lambda.send(
    new InvokeCommand({ FunctionName: functionName, Payload: new TextEncoder().encode(JSON.stringify(request)) }),
  );
  const text = r.Payload ? new TextDecoder().decode(r.Payload) : '';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${functionName} answered with no JSON (${text.slice(0, 200) || 'empty'})`);
  }
  if (r.FunctionError) {
    const err = body as { errorType?: string; errorMessage?: string };
    throw new Error(`${functionName} failed: ${err.errorType ?? r.FunctionError}: ${err.errorMessage ?? text}`);
  }
  const observed = (body as Partial<ReadOnlyResponse>).observed;
  if (!observed || typeof observed !== 'object' || !('es' in observed) || !('fleet' in observed)) {
    throw new Error(
      `${functionName} did not answer with an observation (an older version without the read-only mode?): ` +
        'deploy the cluster stack, or use --es-url from inside the VPC',
    );
  }
  return observed;
}

export function openTarget(o: TargetOptions): Promise<RollTarget> {
  return o.sim ? simTarget(o.sim, o.at ?? 0) : awsTarget(o);
}

const GiB = 1024 ** 3;
function duration(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}
function bar(done: number, total: number, width = 30): string {
  const filled = total === 0 ? width : Math.round((width * done) / total);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} nodes`;
}

/** The observation of the target: through the reconcile function, or made here. */
function observeTarget(t: RollTarget): Promise<Observed> {
  return t.observe ? t.observe() : observe(t.es, t.fleet, t.spec, t.now());
}

export async function rollStatus(t: RollTarget): Promise<string> {
  const obs = await observeTarget(t);
  const p = progress(obs, t.spec, t.model);
  const groups = Array.isArray(obs.fleet) ? obs.fleet : [];
  const left = groups.find((g) => g.name === t.spec.groups.data)?.tags[TAG.left];
  // What the last roll's cleanup could not undo, and why (kept until the next roll begins).
  const lastLeft = groups.map((g) => g.tags[TAG.resultLeft]).find((v) => v !== undefined);
  const leftLine =
    (left ? `left in place by a stop without Elasticsearch: ${left}\n` : '') +
    (lastLeft ? `left in place by the last roll: ${lastLeft}\n` : '');
  if ('unknown' in p) return `state unknown: ${p.unknown}\n${leftLine}`;
  const rows = p.nodes.map((n) => {
    const state = n.excluded
      ? `draining ${n.drainingPercent?.toFixed(0) ?? '?'} %, ${(n.bytes / GiB).toFixed(1)} GiB left`
      : n.votingExcluded
        ? 'leaving (voting exclusion)'
        : n.version === '-'
          ? n.lifecycleState === 'InService' || n.lifecycleState.startsWith('Pending')
            ? 'joining'
            : n.lifecycleState.toLowerCase()
          : n.role === 'master' && n.shards === 0
            ? 'joined'
            : `${n.shards} shards, ${(n.bytes / GiB).toFixed(1)} GiB`;
    return [
      n.instanceId,
      n.role + (n.electedMaster ? '*' : ''),
      n.version,
      n.outdated ? 'old' : 'new',
      n.lifecycleState,
      state,
    ];
  });
  const header = ['instance', 'role', 'version', 'template', 'lifecycle', 'state'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const next = p.next;
  return [
    `rolling replacement ${t.spec.groups.data} + ${t.spec.groups.master} → ${t.spec.targetVersion}`,
    bar(p.replaced, p.total),
    '',
    line(header),
    ...rows.map(line),
    '',
    `next: ${next.action.type}${'node' in next.action ? ` ${next.action.node}` : ''} — ${next.reason}`,
    `blocked by: ${next.blockedBy ?? '-'}`,
    `estimated time left: ${duration(p.etaSeconds)}`,
    ...(leftLine ? [leftLine.trimEnd()] : []),
    ...(await volumeLines(
      t,
      groups.find((g) => g.name === t.spec.groups.data),
    )),
    '',
  ].join('\n');
}

/** Volume hygiene: the free data volumes, or why they could not be listed. */
async function volumeLines(t: RollTarget, data: FleetGroup | undefined): Promise<string[]> {
  if (!t.dataVolumes) return [];
  try {
    const handoffNode = data?.tags[TAG.handoff];
    const spec = persistentSpec(data?.tags[GROUP_TAG_DATA_VOLUMES]);
    return freeVolumeLines(freeVolumes(await t.dataVolumes(), { handoffNode, ...(spec ? { spec } : {}) }));
  } catch (e) {
    return [`free data volumes: not listed (${e instanceof Error ? e.message : String(e)})`];
  }
}

export async function rollPlan(t: RollTarget): Promise<string> {
  const obs = await observeTarget(t);
  const steps = plan(obs, t.spec, t.model);
  if ('unknown' in steps) return `state unknown: ${steps.unknown}\n`;
  let total = 0;
  const lines = steps.map((s, i) => {
    total += s.seconds;
    const when = s.seconds > 0 ? ` (~${duration(s.seconds)})` : '';
    return `${String(i + 1).padStart(3)}. ${s.action}${s.node ? ` ${s.node}` : ''}${s.detail ? `: ${s.detail}` : ''}${when}`;
  });
  const data = Array.isArray(obs.fleet) ? obs.fleet.find((g) => g.name === t.spec.groups.data) : undefined;
  const started = data?.tags[TAG.rollout] !== undefined ? attemptStartSeconds(data.tags[TAG.attempt]) : undefined;
  const wait = planDeployWaitLines(total, t.deployWaitSeconds, started, t.now(), duration);
  return [...lines, `estimated total: ${duration(total)}`, ...wait, ''].join('\n');
}

export interface WaitOptions {
  readonly timeoutSeconds: number;
  readonly out: (s: string) => void;
  /** Wait for this rollout (default: the one in progress when the wait starts). */
  readonly rolloutId?: string;
  /** Consecutive failed describe calls tolerated (network hiccups) before the error ends the wait. Default 3. */
  readonly maxDescribeFailures?: number;
  /**
   * The wait runs after the deploy of `rolloutId`'s templates (`roll wait --cdk-out`): then no lock and no node on an
   * older launch template means that rollout had nothing (left) to replace, which ends the wait like its result would
   * (a rollout that finds nothing to do writes no result tag). Without it, only the rollout's result counts.
   */
  readonly afterDeploy?: boolean;
}

function elapsed(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return `+${h > 0 ? `${h} h ` : ''}${m} min`;
}

/**
 * Waits for the end of a rollout, reading only the Auto Scaling groups (no Elasticsearch credentials needed).
 * Prints a line whenever the progress changes. Describe errors are retried a few times, never taken for "still
 * running": credentials that expire during a long wait end it with the error. A result tag names its rollout
 * (`<outcome>:<rolloutId>`); only the awaited rollout's result counts.
 * Exit code: 0 completed, 1 failed or aborted, 3 timed out.
 */
export async function rollWait(t: RollTarget, o: WaitOptions): Promise<number> {
  const start = t.now();
  const names = [t.spec.groups.data, t.spec.groups.master];
  let expected = o.rolloutId;
  let failures = 0;
  let last = '';
  const say = (line: string) => {
    if (line === last) return;
    last = line;
    o.out(`${elapsed(t.now() - start)}  ${line}\n`);
  };
  for (;;) {
    let groups: Awaited<ReturnType<FleetPort['describeGroups']>> | undefined;
    try {
      groups = await t.fleet.describeGroups(names);
      failures = 0;
    } catch (e) {
      failures++;
      if (isCredentialsError(e) || failures >= (o.maxDescribeFailures ?? 3)) throw e;
      say(`describing ${names.join(', ')} failed (${e instanceof Error ? e.message : String(e)}); retrying`);
    }
    if (groups) {
      const data = groups.find((g) => g.name === t.spec.groups.data);
      if (!data) throw new Error(`Auto Scaling group ${t.spec.groups.data} not found (set --data-group)`);
      const lock = data.tags[TAG.rollout];
      if (lock !== undefined && expected === undefined) expected = lock;
      const live = groups.flatMap((g) =>
        g.instances
          .filter((i) => !i.lifecycleState.startsWith('Termin'))
          .map((i) => i.launchTemplateVersion === g.targetLaunchTemplateVersion),
      );
      const outdated = live.filter((current) => !current).length;
      if (lock !== undefined) {
        const paused = data.tags[TAG.paused] === 'true' ? ', paused' : '';
        say(`rollout ${lock}: ${live.length - outdated}/${live.length} nodes on the new launch template${paused}`);
      } else {
        const result = data.tags[TAG.result] ?? '';
        const colon = result.indexOf(':');
        const outcome = colon >= 0 ? result.slice(0, colon) : result;
        const id = colon >= 0 ? result.slice(colon + 1) : undefined;
        if (expected !== undefined && id !== expected && o.afterDeploy && outdated === 0) {
          o.out(`rollout ${expected} completed (nothing left to replace: every node on the new launch template)\n`);
          return 0;
        } else if (expected !== undefined && id !== expected) {
          say(`waiting for rollout ${expected} (no rollout in progress; last result: ${result || 'none'})`);
        } else if (outcome === 'completed' || (expected === undefined && result === '' && outdated === 0)) {
          o.out(`rollout completed (${result || 'nothing to replace'})\n`);
          return 0;
        } else if (outcome === 'failed' || outcome === 'aborted') {
          o.out(`rollout ${outcome} (${result})\n`);
          return 1;
        } else {
          say(`no rollout in progress; ${outdated} node(s) not on the new launch template yet`);
        }
      }
    }
    if (t.now() - start >= o.timeoutSeconds) {
      o.out(`still running after ${o.timeoutSeconds} s\n`);
      return 3;
    }
    await t.sleep(t.model.pollSeconds);
  }
}

export async function rollMark(t: RollTarget, what: 'pause' | 'resume' | 'abort'): Promise<string> {
  const g = t.spec.groups.data;
  const [group] = await t.fleet.describeGroups([g]);
  if (!group) throw new Error(`Auto Scaling group ${g} not found (set --data-group)`);
  if (group.tags[TAG.rollout] === undefined && what !== 'resume') {
    return `no rollout in progress on ${g}: nothing to ${what}\n`;
  }
  if (what === 'pause') await t.fleet.setTags(g, { [TAG.paused]: 'true' });
  if (what === 'resume') await t.fleet.deleteTags(g, [TAG.paused]);
  if (what === 'abort') await t.fleet.setTags(g, { [TAG.abort]: 'requested' });
  const done = {
    pause: 'paused: the next reconcile step waits (blockedBy not-paused) until `roll resume`',
    resume: 'resumed',
    abort: 'abort requested: the next reconcile steps clean up (exclusions, settings, processes, surge) and stop',
  }[what];
  return `${g}: ${done}\n`;
}
