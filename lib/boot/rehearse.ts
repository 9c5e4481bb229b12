import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readStage, StageAssembly, synthesize } from './assembly';
import { checkNode } from './checks';
import { checkFleet } from './checks/fleet';
import { Finding } from './checks/finding';
import { staticChecks } from './checks/static';
import { BootRole, NodeGroup, nodeGroups } from './fleet';
import { recordedBundles, rehearseHeartbeat, runningBundle } from './heartbeat';
import { boot, BootResult, Instance, launch, makeInstance, Membership, StepTime, terminate } from './node';
import {
  checkClientTrust,
  checkMutualTrust,
  CLIENT_TRUST,
  deployPhase,
  issuerMaterial,
  ROTATION_PHASES,
  RotationPhase,
  setIssuerCa,
} from './ca-rotation';
import { caSecretString } from '../../lambda/cluster-ca/ca';
import type { CaRotation } from '../../lambda/cluster-ca/rotation';
import { rehearseRenewal } from './renewal';
import { rehearseRotation } from './rotation';
import { checkBootPassword, rehearseAlerterRotation } from './alerter-rotation';
import { createWorld, recordAlerterDeployment, RunAs, World, writeParameter } from './world';
import { dataHandoffScenario } from './data-handoff';
import { lateAttachScenario } from './late-attach';

export const SCENARIOS = ['fleet', 'slow-master', 'ca-rotation', 'data-handoff', 'late-attach'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface RehearsalOptions {
  readonly environment: string;
  /** A cloud assembly folder to read (e.g. the cdk.out of `npm run synth`). @default - synthesize in-process */
  readonly cdkOut?: string;
  /** Where sandboxes go. @default - a new temporary folder, removed afterwards unless `keep` */
  readonly workDir?: string;
  readonly keep?: boolean;
  /** Wall-clock limit of one node's boot. @default 60000 */
  readonly nodeTimeoutMs?: number;
  /** @default every scenario */
  readonly scenarios?: readonly ScenarioName[];
  /** Only these roles' groups. @default every group */
  readonly roles?: readonly BootRole[];
  /** Extra environment for every node (tests). */
  readonly nodeEnv?: Readonly<Record<string, string>>;
  /**
   * The user and group the nodes' scripts run as. A script that writes outside its sandbox (a path without the root
   * prefix) then fails instead of changing this machine's /etc, /usr or /var. @default - the caller when it is not
   * root; when it is root, `nobody` (65534:65534): only root can switch users
   */
  readonly runAs?: RunAs | 'caller';
  /** The phases of the ca-rotation scenario, in order (tests: a phase skipped). @default ROTATION_PHASES */
  readonly rotationPhases?: readonly RotationPhase[];
}

export interface NodeReport {
  readonly id: string;
  readonly role: string;
  readonly ok: boolean;
  readonly failedStep?: string;
  /** The step at which the scenario expects this boot to fail (a failure it rehearses, not a finding). */
  readonly expectedFailStep?: string;
  readonly lastLine: string;
  /** Wall-clock milliseconds of each named step of the boot (where a boot's time goes; `npm run bench -- boot`). */
  readonly stepMs: readonly StepTime[];
}

export interface ScenarioReport {
  readonly name: string;
  readonly description: string;
  readonly nodes: readonly NodeReport[];
  readonly findings: readonly Finding[];
}

export interface RehearsalReport {
  readonly environment: string;
  readonly ok: boolean;
  readonly scenarios: readonly ScenarioReport[];
  readonly findings: readonly Finding[];
  /** Where the sandboxes are (only when kept). */
  readonly workDir?: string;
}

const T0 = Date.parse('2026-01-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

interface Run {
  readonly world: World;
  readonly options: RehearsalOptions;
  readonly boots: BootResult[];
  readonly findings: Finding[];
  /** Boots the scenario expects to fail, with the step (checked by the scenario itself, not reported as a finding). */
  readonly expectedFailures: Map<BootResult, string>;
}

function bootFindings(r: BootResult): Finding[] {
  if (r.ok) return [];
  const why = r.timedOut ? 'did not finish (killed at the time limit)' : `exited ${r.exitCode}`;
  const tail = r.output.trim().split('\n').slice(-3).join(' | ');
  return [
    {
      node: r.instance.id,
      role: r.instance.group.role,
      step: r.failedStep ?? 'user-data',
      check: 'boot',
      message: `boot ${why} at step ${r.failedStep ?? '(before any named step)'}: ${tail}`,
    },
  ];
}

async function bootAll(
  run: Run,
  instances: readonly Instance[],
  delays: ReadonlyMap<Instance, number> = new Map(),
  env?: Readonly<Record<string, string>>,
  membership?: Membership,
) {
  for (const i of instances) launch(run.world, i, membership);
  const results = await Promise.all(
    instances.map((i) =>
      boot(run.world, i, {
        timeoutMs: run.options.nodeTimeoutMs ?? 60_000,
        delayMs: delays.get(i),
        env: { ...run.options.nodeEnv, ...env },
      }),
    ),
  );
  for (const r of results) {
    run.boots.push(r);
    run.findings.push(...bootFindings(r));
    if (r.ok) run.findings.push(...checkNode(run.world, r));
  }
  return results;
}

function instancesOf(world: World, group: NodeGroup, startSeconds: number): Instance[] {
  return Array.from({ length: group.count }, (_, k) => makeInstance(world, group, at(startSeconds + k * 3), k));
}

/**
 * The whole fleet at once (first deployment); then, on different nodes and so together, the certificate renewal of
 * the Elasticsearch nodes and the password rotation of Kibana and Logstash; then, together again (two groups, as Auto
 * Scaling replaces them independently), a master and the alerter replaced after formation.
 */
async function fleetScenario(run: Run, groups: readonly NodeGroup[]): Promise<string> {
  const first = groups.flatMap((g) => instancesOf(run.world, g, 0));
  await bootAll(run, first);
  run.findings.push(...checkFleet(run.world, groups, 'after the first deployment'));
  const timeoutMs = run.options.nodeTimeoutMs ?? 60_000;
  // The certificate renewal timer fires once on every node with TLS, a day before expiry; a password rotation
  // reaches Kibana and Logstash: the reload command, one node at a time. Kibana and Logstash renew after their
  // rotation, so that each check counts only its own reloads and restarts.
  const isEs = (b: BootResult) => b.instance.group.role === 'master' || b.instance.group.role === 'data';
  const renew = (nodes: BootResult[]) => Promise.all(nodes.map((b) => rehearseRenewal(run.world, b, timeoutMs)));
  const ok = run.boots.filter((b) => b.ok);
  const [esRenewals, [rotation, serviceRenewals]] = await Promise.all([
    renew(ok.filter(isEs)),
    rehearseRotation(run.world, run.boots, timeoutMs).then(
      async (rot) =>
        [rot, await renew(ok.filter((b) => ['kibana', 'logstash'].includes(b.instance.group.role)))] as const,
    ),
  ]);
  run.findings.push(...esRenewals.flat(), ...rotation, ...serviceRenewals.flat());
  await Promise.all([replaceMaster(run, groups, first), replaceAlerter(run, groups, first)]);
  run.findings.push(...checkFleet(run.world, groups, 'after a master and the alerter were replaced'));
  return 'every node of every group boots at once (first deployment); every Elasticsearch node renews its certificate once (a day before expiry) while the Kibana and Logstash passwords are rotated and each node reloads them, then each Kibana and Logstash node renews its certificate and reloads (no restart); then a master and the alerter are replaced (together); the elastalert password is rotated and the reload on the alerter recreates its container once with it; the alerter heartbeat publishes while ElastAlert evaluates, marks the instance Unhealthy when it is stuck, and its replacement boots with the deployed rules and evaluates';
}

async function replaceMaster(run: Run, groups: readonly NodeGroup[], first: readonly Instance[]): Promise<void> {
  const masters = first.filter((i) => i.group.role === 'master');
  const masterGroup = groups.find((g) => g.role === 'master');
  if (!masterGroup || masters.length === 0) return;
  terminate(run.world, masters[0]!);
  await bootAll(run, [makeInstance(run.world, masterGroup, at(1200), 0)]);
}

async function replaceAlerter(run: Run, groups: readonly NodeGroup[], first: readonly Instance[]): Promise<void> {
  const alerter = groups.find((g) => g.role === 'alerter');
  if (!alerter || !recordAlerterDeployment(run.world)) return;
  for (const i of first.filter((x) => x.group.role === 'alerter')) terminate(run.world, i);
  const [replaced] = await bootAll(run, [makeInstance(run.world, alerter, at(1300), 0)]);
  if (!replaced?.ok) return;
  // A password rotation reaches the alerter that runs the rules: its reload, as the SSM command runs it.
  run.findings.push(...(await rehearseAlerterRotation(run.world, replaced, run.options.nodeTimeoutMs ?? 60_000)));
  await alerterHeartbeat(run, alerter, replaced);
}

/**
 * The alerter's evaluation heartbeat on a booted alerter with rules: a tick while ElastAlert evaluates (metric, no
 * health change), a tick once it is stuck (metric past the limit, the instance marked Unhealthy); Auto Scaling then
 * replaces the instance, and the replacement boots with the deployed rules and evaluates.
 */
async function alerterHeartbeat(run: Run, group: NodeGroup, r: BootResult): Promise<void> {
  const timeoutMs = run.options.nodeTimeoutMs ?? 60_000;
  const evaluating = await rehearseHeartbeat(run.world, r, 'evaluating', timeoutMs);
  const stuck = await rehearseHeartbeat(run.world, r, 'stuck', timeoutMs);
  run.findings.push(...evaluating.findings, ...stuck.findings);
  if (!stuck.markedUnhealthy) return;
  terminate(run.world, r.instance);
  const [next] = await bootAll(run, [makeInstance(run.world, group, at(1400), 0)]);
  if (!next?.ok) return;
  const running = runningBundle(next.instance.root);
  const recorded = recordedBundles(run.world);
  if (!running || !recorded.includes(running)) {
    run.findings.push({
      node: next.instance.id,
      role: 'alerter',
      step: 'heartbeat-replacement',
      check: 'heartbeat',
      message: `the replacement of the unhealthy alerter runs bundle ${running ?? '(none)'}, not the deployed ${recorded.join(', ') || '(none recorded)'}`,
    });
  }
  run.findings.push(...checkBootPassword(run.world, next));
  run.findings.push(...(await rehearseHeartbeat(run.world, next, 'evaluating', timeoutMs)).findings);
}

/** The masters alone, one of them booting late. */
async function slowMasterScenario(run: Run, groups: readonly NodeGroup[]): Promise<string> {
  const masterGroup = groups.find((g) => g.role === 'master');
  if (!masterGroup) return 'no master group';
  const masters = instancesOf(run.world, masterGroup, 0);
  await bootAll(run, masters, new Map([[masters[masters.length - 1]!, 1500]]));
  run.findings.push(...checkFleet(run.world, [masterGroup], 'with one master booting late'));
  return 'the masters of a first deployment, the last one booting 1.5 s (150 simulated s) after the others';
}

/** Root's rehearsal runs its nodes as `nobody`, never as root. */
export const NOBODY: RunAs = { uid: 65534, gid: 65534 };

function nodeUser(options: RehearsalOptions): RunAs | undefined {
  if (options.runAs === 'caller') return undefined;
  if (options.runAs) return options.runAs;
  return process.getuid?.() === 0 ? NOBODY : undefined;
}

/**
 * The CA rotation of docs/security.md on the Elasticsearch nodes, one deploy per phase of `security.caRotation`:
 * the config check and the CA custom resource's phase function change the issuer's CA, then the rolling
 * replacement replaces every node (data nodes, then the masters; each replacement joins before its old node goes),
 * and the renewal timer of a node not yet replaced fires in the middle of the roll. After every step, every pair of
 * live nodes must trust each other. A refused phase stops the scenario with the refusal as a finding.
 */
async function caRotationScenario(run: Run, groups: readonly NodeGroup[]): Promise<string> {
  const es = [...groups.filter((g) => g.role === 'data'), ...groups.filter((g) => g.role === 'master')];
  if (es.length === 0) return 'no Elasticsearch group';
  // Kibana and Logstash verify Elasticsearch with the CA parameter they read at boot; they roll after it.
  const clientGroups = groups.filter((g) => CLIENT_TRUST[g.role] !== undefined);
  let live = es.flatMap((g) => instancesOf(run.world, g, 0));
  let clients = clientGroups.flatMap((g) => instancesOf(run.world, g, 0));
  await bootAll(run, [...live, ...clients]);
  const timeoutMs = run.options.nodeTimeoutMs ?? 60_000;
  const configFile = `config/environments/${run.options.environment}.yaml`;
  const check = (when: string) => [...checkMutualTrust(live, when), ...checkClientTrust(live, clients, when)];
  let secret = caSecretString(run.world.ca);
  let deployed: CaRotation | undefined;
  let t = 2000;
  for (const phase of run.options.rotationPhases ?? ROTATION_PHASES) {
    const wanted: CaRotation = { rotation: 1, phase };
    const result = deployPhase(secret, deployed, wanted, configFile);
    if (!result.ok) {
      run.findings.push({
        step: 'ca-rotation',
        check: result.refusedBy === 'config' ? 'ca-rotation-config' : 'ca-rotation-secret',
        message: `phase ${phase}: refused: ${result.message}`,
      });
      return `stopped: phase ${phase} refused by the ${result.refusedBy === 'config' ? 'config check' : 'CA custom resource'}`;
    }
    secret = result.secret;
    deployed = wanted;
    // The CA resource's answer: the issuer's CA, and the CA parameter (every trusted certificate) for the clients.
    const material = issuerMaterial(secret);
    setIssuerCa(run.world, material);
    writeParameter(run.world, `/elk/${run.options.environment}/security/ca-cert`, material.trustPem);
    // The roll: every node is outdated (a new launch template version), data nodes first, the masters last, then
    // Kibana and Logstash (CloudFormation's rolling update; Kibana waits for the Elasticsearch roll).
    const outdated = [...live, ...clients];
    for (const [k, node] of outdated.entries()) {
      const isClient = clients.includes(node);
      const zone = Math.max(0, 'abc'.indexOf(node.az.slice(-1)));
      const [r] = await bootAll(run, [makeInstance(run.world, node.group, at((t += 100)), zone)]);
      if (!r!.ok) return `stopped: the replacement of ${node.id} did not boot`;
      if (isClient) clients = [...clients, r!.instance];
      else live = [...live, r!.instance];
      run.findings.push(...check(`phase ${phase}, ${r!.instance.id} joined beside ${node.id}`));
      terminate(run.world, node);
      live = live.filter((n) => n !== node);
      clients = clients.filter((n) => n !== node);
      run.findings.push(...check(`phase ${phase}, after ${node.id} left`));
      // Renewal timers keep firing during the roll: the next outdated node renews from the phase's issuer.
      const next = outdated[k + 1];
      const boot = k === 0 && next ? run.boots.find((b) => b.instance === next && b.ok) : undefined;
      if (boot) {
        run.findings.push(...(await rehearseRenewal(run.world, boot, timeoutMs)));
        run.findings.push(...check(`phase ${phase}, after ${next!.id} renewed`));
      }
    }
  }
  return "a CA rotation (security.caRotation) on the Elasticsearch nodes, Kibana and Logstash: for each phase (trust-new, sign-new, drop-old) the config check and the CA custom resource's phase function change the issuer's CA and the CA parameter, then every node is replaced (data nodes first, masters last, then Kibana and Logstash; each replacement joins before its old node leaves) and one outdated node renews mid-roll; after each step every pair of live Elasticsearch nodes must trust each other and Kibana and Logstash must trust every live Elasticsearch node";
}

const SCENARIO_RUNS: Record<ScenarioName, (run: Run, groups: readonly NodeGroup[]) => Promise<string>> = {
  fleet: fleetScenario,
  'slow-master': slowMasterScenario,
  'ca-rotation': caRotationScenario,
  'data-handoff': (run, groups) =>
    dataHandoffScenario(
      { world: run.world, findings: run.findings, at, bootAll: (i, env) => bootAll(run, i, new Map(), env) },
      groups,
    ),
  'late-attach': (run, groups) =>
    lateAttachScenario(
      {
        world: run.world,
        findings: run.findings,
        at,
        boot: async (i, membership, env) => (await bootAll(run, [i], new Map(), env, membership))[0]!,
        bootFailing: async (i, membership, step, env) => {
          launch(run.world, i, membership);
          const r = await boot(run.world, i, {
            timeoutMs: run.options.nodeTimeoutMs ?? 60_000,
            env: { ...run.options.nodeEnv, ...env },
          });
          run.boots.push(r);
          run.expectedFailures.set(r, step);
          return r;
        },
      },
      groups,
    ),
};

/** Rehearses the boot of an environment's fleet from its synthesized templates. */
export async function rehearse(options: RehearsalOptions): Promise<RehearsalReport> {
  const cdkOut = options.cdkOut ?? synthesize([options.environment]);
  return rehearseStage(readStage(cdkOut, options.environment), options, cdkOut !== options.cdkOut ? cdkOut : undefined);
}

export async function rehearseStage(
  stage: StageAssembly,
  options: RehearsalOptions,
  ownedCdkOut?: string,
): Promise<RehearsalReport> {
  const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'elk-boot-'));
  const runAs = nodeUser(options);
  if (runAs) fs.chmodSync(workDir, 0o755);
  const groups = nodeGroups(stage).filter((g) => !options.roles || options.roles.includes(g.role));
  const findings: Finding[] = [...staticChecks(stage, groups)];
  const scenarios: ScenarioReport[] = [];
  try {
    for (const name of options.scenarios ?? SCENARIOS) {
      const world = createWorld(stage, path.join(workDir, name), runAs);
      const run: Run = { world, options, boots: [], findings: [], expectedFailures: new Map() };
      const description = await SCENARIO_RUNS[name](run, groups);
      scenarios.push({
        name,
        description,
        nodes: run.boots.map((b) => ({
          id: b.instance.id,
          role: b.instance.group.role,
          ok: b.ok,
          failedStep: b.failedStep,
          expectedFailStep: run.expectedFailures.get(b),
          lastLine: b.output.trim().split('\n').pop() ?? '',
          stepMs: b.stepMs,
        })),
        findings: run.findings,
      });
    }
  } finally {
    if (!options.keep) {
      removeWorkDir(workDir);
      if (ownedCdkOut) removeWorkDir(ownedCdkOut);
    }
  }
  const all = [...findings, ...scenarios.flatMap((s) => s.findings)];
  return {
    environment: stage.environment,
    ok: all.length === 0,
    scenarios,
    findings: all,
    workDir: options.keep ? workDir : undefined,
  };
}

/**
 * Removes a rehearsal folder. A script a failed boot left running may still write into it (Node retries ENOTEMPTY
 * and EBUSY); a folder that still cannot be removed is reported, never thrown: an error here would hide the error
 * that ended the rehearsal.
 */
function removeWorkDir(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  } catch (e) {
    process.stderr.write(`boot rehearsal: could not remove ${dir}: ${(e as Error).message}\n`);
  }
}
