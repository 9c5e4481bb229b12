/**
 * Does every CI deploy job outlast the deploy it runs, and do its AWS credentials? (issue 14, "The CI workflow")
 *
 * With `rollout.waitForCompletion: true`, `cdk deploy` of an environment's cluster stack waits for the rolling
 * replacement up to `rollout.timeoutHours` (the WaitCondition, configuredDeployWaitSeconds). The job running it must
 * be allowed to run that long, and its credentials must last as long: a job stopped by its runner, or a CLI whose
 * session expired, stops watching but CloudFormation goes on with the update, so the stacks after it (the alerter) are
 * not deployed and the job fails though the deploy may succeed. An environment that does not wait is followed
 * by `elkctl roll wait --cdk-out` in the same job, before the rest of the environment is deployed.
 *
 * The limits it checks against: a job on a GitHub-hosted runner stops after 6 h, on a self-hosted runner after 5
 * days; a session from AssumeRoleWithWebIdentity (configure-aws-credentials with OIDC) lasts `role-duration-seconds`,
 * at most the role's MaxSessionDuration, itself at most 12 h (docs/review.md, "Long rolls and the deploy job").
 * Pure: it reads a parsed workflow and each environment's rollout settings, and returns one line per problem.
 */
import { configuredDeployWaitSeconds } from '../diff/deploy-wait';

export interface WorkflowStep {
  readonly name?: string;
  readonly run?: string;
  readonly uses?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly 'timeout-minutes'?: number;
}
export interface WorkflowJob {
  readonly 'runs-on'?: string | readonly string[];
  readonly 'timeout-minutes'?: number;
  readonly steps?: readonly WorkflowStep[];
}
export interface Workflow {
  readonly jobs: Readonly<Record<string, WorkflowJob>>;
}
export interface RolloutWait {
  readonly waitForCompletion: boolean;
  readonly timeoutHours: number;
}

/** Runner and credential limits (GitHub Actions usage limits; IAM MaxSessionDuration). */
export const LIMITS = {
  githubHostedJobMinutes: 360,
  selfHostedJobMinutes: 5 * 24 * 60,
  maxRoleSessionSeconds: 12 * 3600,
  /** configure-aws-credentials' session when `role-duration-seconds` is not given. */
  defaultRoleSessionSeconds: 3600,
} as const;

/** What a job needs besides the roll's wait, minutes. */
export const BUDGET = {
  /** Checkout, npm ci, the artifact, the credentials: the steps before the first deploy (no step timeout needed). */
  setupMinutes: 15,
  /**
   * A cluster deploy besides the roll's wait: assets, resources before the roll, the custom resource (CloudFormation
   * gives it at most 1 h; it returns once the roll has started), Kibana and Logstash updates gated by their signals.
   */
  deployMinutes: 60,
  /** A deploy after the cluster's in the same job: the cluster is unchanged by then; the alerter stack. */
  laterDeployMinutes: 30,
  /** A roll wait step outlives its --timeout, so it ends with its own line (exit 3), not the runner's kill. */
  waitMarginMinutes: 5,
} as const;

const DEPLOY = /\bcdk deploy\b([^\n]*)/;
/** The stack selection `'<env>/<stacks>'` (quoted or not) of a cdk deploy line. */
const SELECTION = /(?:^|\s)['"]?([\w-]+)\/([\w*-]+)['"]?(?=\s|$)/;
const ROLL_WAIT = /\broll wait\b([^\n]*)/;

function stepMinutes(s: WorkflowStep): number | undefined {
  const m = s['timeout-minutes'];
  return typeof m === 'number' && Number.isFinite(m) ? m : undefined;
}

function isSelfHosted(job: WorkflowJob): boolean {
  return [job['runs-on'] ?? []].flat().includes('self-hosted');
}

/** Problems of one job that runs `cdk deploy`; none for other jobs. */
function jobProblems(
  file: string,
  name: string,
  job: WorkflowJob,
  rollouts: (env: string) => RolloutWait | undefined,
): string[] {
  const steps = job.steps ?? [];
  const at = (i: number) => `${file}: jobs.${name}.steps[${i}]${steps[i]!.name ? ` ("${steps[i]!.name}")` : ''}`;
  const unknown: string[] = [];
  const deploys = steps.flatMap((step, i) => {
    const line = DEPLOY.exec(step.run ?? '')?.[1];
    if (line === undefined) return [];
    const m = SELECTION.exec(line);
    if (!m) {
      unknown.push(`${at(i)}: cdk deploy without a '<env>/<stack>' selection: the budget cannot be checked; name it`);
      return [];
    }
    return [{ i, env: m[1]!, stacks: m[2]!, where: at(i), step }];
  });
  if (deploys.length === 0) return unknown;
  const waits = steps.flatMap((step, i) => {
    const m = ROLL_WAIT.exec(step.run ?? '');
    if (!m) return [];
    const args = m[1]!;
    const timeout = /--timeout[ =](\d+)/.exec(args)?.[1];
    return [{ i, step, env: /--env[ =]([\w-]+)/.exec(args)?.[1], cdkOut: /--cdk-out[ =]/.test(args), timeout }];
  });
  const problems: string[] = [...unknown];
  // Minutes each deploy and wait step may take: its timeout, or what it needs when that is more (or not set).
  const budgeted: number[] = [];
  // What the steps need at least, and the waits that follow a roll the deploy did not wait for.
  let needed = BUDGET.setupMinutes;
  const followers = new Map<number, string>();
  const clusterDeployed = new Set<string>();
  for (const d of deploys) {
    const rollout = rollouts(d.env);
    if (!rollout) {
      problems.push(`${d.where}: deploys '${d.env}/…' but config/environments/${d.env}.yaml does not exist`);
      continue;
    }
    const includesCluster = d.stacks === '*' || d.stacks === 'cluster';
    const first = includesCluster && !clusterDeployed.has(d.env);
    if (includesCluster) clusterDeployed.add(d.env);
    const waitSeconds = first ? (configuredDeployWaitSeconds(rollout) ?? 0) : 0;
    const need = (first ? BUDGET.deployMinutes : BUDGET.laterDeployMinutes) + Math.ceil(waitSeconds / 60);
    const has = stepMinutes(d.step);
    budgeted.push(Math.max(has ?? 0, need));
    needed += need;
    if (has === undefined || has < need) {
      const why = waitSeconds
        ? `cdk deploy of ${d.env} waits for the roll up to rollout.timeoutHours = ${rollout.timeoutHours} h ` +
          `(config/environments/${d.env}.yaml, waitForCompletion: true), plus ${BUDGET.deployMinutes} min for the rest`
        : `a deploy of ${d.env} ${first ? 'that does not wait for the roll' : 'after its cluster stack'}`;
      problems.push(
        `${d.where}: timeout-minutes is ${has ?? 'not set'}; ${why}: set it to at least ${need}` +
          (waitSeconds ? ', or lower rollout.timeoutHours, or set waitForCompletion: false and follow the roll' : ''),
      );
    }
    if (!first || rollout.waitForCompletion) continue;
    // The roll goes on after this deploy: the job follows it before it deploys anything else of the environment.
    const follow = `then \`elkctl roll wait --env ${d.env} --cdk-out cdk.out --timeout S\`, then '${d.env}/*'`;
    if (d.stacks !== 'cluster') {
      problems.push(
        `${d.where}: ${d.env} does not wait for the roll (waitForCompletion: false), so its other stacks would be ` +
          `deployed while the roll runs: deploy '${d.env}/cluster' first, ${follow}`,
      );
      continue;
    }
    const wait = waits.find((w) => w.i > d.i && w.env === d.env && w.cdkOut);
    const later = deploys.find((e) => e.i > d.i && e.env === d.env);
    if (wait) followers.set(wait.i, d.env);
    if (!wait || (later && later.i < wait.i)) {
      problems.push(
        `${d.where}: ${d.env} does not wait for the roll (waitForCompletion: false): after this step, ${follow}` +
          (later ? ` (${at(later.i)} comes before any such wait)` : ''),
      );
    }
  }
  for (const w of waits) {
    if (w.timeout === undefined) {
      problems.push(`${at(w.i)}: roll wait without --timeout waits 12 h by default: give --timeout SECONDS`);
      continue;
    }
    const need = Math.ceil(Number(w.timeout) / 60) + BUDGET.waitMarginMinutes;
    const has = stepMinutes(w.step);
    budgeted.push(Math.max(has ?? 0, need));
    if (!followers.has(w.i)) needed += need; // a follower gets what is left (below)
    if (has === undefined || has < need) {
      problems.push(
        `${at(w.i)}: timeout-minutes is ${has ?? 'not set'}; roll wait --timeout ${w.timeout} needs at least ${need} ` +
          '(its own timeout ends it with exit 3 and a line saying so)',
      );
    }
  }

  const total = BUDGET.setupMinutes + budgeted.reduce((sum, m) => sum + m, 0);
  const limit = isSelfHosted(job) ? LIMITS.selfHostedJobMinutes : LIMITS.githubHostedJobMinutes;
  const runner = isSelfHosted(job)
    ? 'self-hosted runners stop a job after 5 days'
    : 'GitHub-hosted runners stop a job after 6 h';
  const jobMinutes = job['timeout-minutes'];
  const where = `${file}: jobs.${name}`;
  if (jobMinutes === undefined || jobMinutes < total) {
    problems.push(
      `${where}: timeout-minutes is ${jobMinutes ?? 'not set'}; its deploy and wait steps and ${BUDGET.setupMinutes} ` +
        `min of setup need ${total}: raise it, or shorten the steps`,
    );
  }
  // A wait that follows a roll gets what the job leaves it: each attempt follows the roll as long as it can.
  const leaves = Math.min(jobMinutes ?? limit, limit) - needed;
  for (const [i, env] of followers) {
    const has = stepMinutes(steps[i]!) ?? 0;
    if (has < leaves) {
      problems.push(
        `${at(i)}: ${env} does not wait for the roll, so this step follows it, with timeout-minutes ${has}; the job ` +
          `leaves it ${leaves} (${Math.min(jobMinutes ?? limit, limit)} − ${needed} for setup and the other steps' ` +
          `needs): set timeout-minutes ${leaves} and --timeout ${(leaves - BUDGET.waitMarginMinutes) * 60}, and the ` +
          'other steps to what they need, so that each attempt follows the roll as long as it can',
      );
    }
  }
  if (total > limit || (jobMinutes ?? 0) > limit) {
    problems.push(
      `${where}: needs ${Math.max(total, jobMinutes ?? 0)} min but ${runner} (${limit} min): lower rollout.timeoutHours, ` +
        'or set waitForCompletion: false and follow the roll with roll wait (a re-run of the job resumes it), ' +
        'or run the job on a self-hosted runner',
    );
  }

  const creds = steps.findIndex((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));
  const role = creds >= 0 ? steps[creds]!.with?.['role-to-assume'] : undefined;
  if (role === undefined) {
    if (!isSelfHosted(job)) {
      problems.push(
        `${where}: no aws-actions/configure-aws-credentials with role-to-assume: a GitHub-hosted runner has no AWS ` +
          'credentials of its own',
      );
    }
    // Self-hosted: the runner's own credentials (an instance profile the SDK refreshes), no session bound here.
    return problems;
  }
  const raw = steps[creds]!.with?.['role-duration-seconds'];
  const seconds = raw === undefined ? LIMITS.defaultRoleSessionSeconds : Number(raw);
  // The session outlives the job and what the job waits for (configure-aws-credentials runs after the setup).
  const needMinutes = Math.max(jobMinutes ?? 0, total);
  if (!(seconds >= needMinutes * 60)) {
    problems.push(
      `${at(creds)}: role-duration-seconds is ${raw ?? `not set (${LIMITS.defaultRoleSessionSeconds})`}; the session ` +
        `must last the job's ${needMinutes} min: set at least ${needMinutes * 60} (and the role's ` +
        'MaxSessionDuration as high)' +
        (needMinutes * 60 > LIMITS.maxRoleSessionSeconds
          ? `, which is past the ${LIMITS.maxRoleSessionSeconds / 3600} h a session can last: shorten the job`
          : ''),
    );
  }
  if (seconds > LIMITS.maxRoleSessionSeconds) {
    problems.push(
      `${at(creds)}: role-duration-seconds is ${seconds}; AssumeRoleWithWebIdentity allows at most the role's ` +
        `MaxSessionDuration, itself at most ${LIMITS.maxRoleSessionSeconds} (12 h): shorten the job, or use a ` +
        "self-hosted runner's own refreshed credentials",
    );
  }
  return problems;
}

/**
 * Every problem of the workflow's deploy jobs, one line each (file, job, step, key, what to set). Empty when every
 * job outlasts what it deploys and waits for, and its credentials outlast the job.
 * @param rollouts the rollout settings of an environment (undefined: no such environment)
 */
export function deployBudgetProblems(
  workflow: Workflow,
  rollouts: (env: string) => RolloutWait | undefined,
  file = '.github/workflows/ci.yml',
): string[] {
  return Object.entries(workflow.jobs).flatMap(([name, job]) => jobProblems(file, name, job, rollouts));
}
