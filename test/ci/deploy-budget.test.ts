import {
  BUDGET,
  deployBudgetProblems,
  type RolloutWait,
  type WorkflowJob,
  type WorkflowStep,
} from '../../lib/ci/deploy-budget';

const creds = (w: Record<string, unknown>): WorkflowStep => ({
  uses: 'aws-actions/configure-aws-credentials@7474bc4690e29a8392af63c5b98e7449536d5c3a',
  with: { 'role-to-assume': '${{ vars.AWS_DEPLOY_ROLE_ARN }}', ...w },
});
const deploy = (target: string, minutes?: number): WorkflowStep => ({
  name: `deploy ${target}`,
  run: `npx cdk deploy --app cdk.out '${target}' --require-approval never`,
  ...(minutes !== undefined ? { 'timeout-minutes': minutes } : {}),
});
const wait = (args: string, minutes?: number): WorkflowStep => ({
  name: 'follow the roll',
  run: `npm run -s elkctl -- roll wait ${args}`,
  ...(minutes !== undefined ? { 'timeout-minutes': minutes } : {}),
});
const job = (timeout: number | undefined, steps: WorkflowStep[], runsOn: string | string[] = 'ubuntu-latest') =>
  ({ 'runs-on': runsOn, ...(timeout !== undefined ? { 'timeout-minutes': timeout } : {}), steps }) as WorkflowJob;

const ENVS: Record<string, RolloutWait> = {
  waits12: { waitForCompletion: true, timeoutHours: 12 },
  waits4: { waitForCompletion: true, timeoutHours: 4 },
  follows: { waitForCompletion: false, timeoutHours: 12 },
};
const check = (j: WorkflowJob) => deployBudgetProblems({ jobs: { d: j } }, (env) => ENVS[env]);

/** The deploy job as it was before issue 14's fix: one `cdk deploy '<env>/*'` in a 6 h job with a 6 h session. */
const TODAY = (env: string) =>
  job(360, [{ run: 'npm ci' }, creds({ 'role-duration-seconds': 21600 }), deploy(`${env}/*`)]);

describe('deployBudgetProblems: a CI deploy job outlasts the deploy and the roll it waits for', () => {
  test("today's combination fails: a deploy that may wait 12 h in a 6 h hosted job with a 6 h session", () => {
    expect(check(TODAY('waits12'))).toEqual([
      expect.stringMatching(
        /jobs\.d\.steps\[2\] \("deploy waits12\/\*"\): timeout-minutes is not set; cdk deploy of waits12 waits for the roll up to rollout\.timeoutHours = 12 h .*set it to at least 780/,
      ),
      expect.stringMatching(/jobs\.d: timeout-minutes is 360; its deploy and wait steps and 15 min of setup need 795/),
      expect.stringMatching(/jobs\.d: needs 795 min but GitHub-hosted runners stop a job after 6 h \(360 min\)/),
      expect.stringMatching(
        /steps\[1\]: role-duration-seconds is 21600; the session must last the job's 795 min: set at least 47700/,
      ),
    ]);
    // The same job deploying an environment that does not wait is still wrong: its alerter would not wait for the roll.
    expect(check(TODAY('follows'))).toEqual([
      expect.stringMatching(
        /timeout-minutes is not set; a deploy of follows that does not wait for the roll: .*at least 60/,
      ),
      expect.stringMatching(/other stacks would be deployed while the roll runs/),
    ]);
  });

  test('a deploy that waits up to 4 h fits a hosted job when every step has its budget', () => {
    const steps = [
      creds({ 'role-duration-seconds': 21600 }),
      deploy('waits4/cluster', 300),
      wait('--env waits4 --cdk-out cdk.out --timeout 600', 15),
      deploy('waits4/*', 30),
    ];
    expect(check(job(360, steps))).toEqual([]);
    // One minute less for the waiting deploy: named, with what to set.
    expect(check(job(360, [steps[0]!, deploy('waits4/cluster', 299), ...steps.slice(2)]))).toEqual([
      expect.stringMatching(/timeout-minutes is 299; .*rollout\.timeoutHours = 4 h.*at least 300/),
    ]);
    // A session shorter than the job.
    expect(check(job(360, [creds({ 'role-duration-seconds': 14400 }), ...steps.slice(1)]))).toEqual([
      expect.stringMatching(
        /role-duration-seconds is 14400; the session must last the job's 360 min: set at least 21600/,
      ),
    ]);
    // No role-duration-seconds: configure-aws-credentials' 1 h.
    expect(check(job(360, [creds({}), ...steps.slice(1)]))).toEqual([
      expect.stringMatching(/role-duration-seconds is not set \(3600\)/),
    ]);
  });

  test('an environment that does not wait: deploy its cluster, follow the roll with roll wait --cdk-out, then the rest', () => {
    const good = [
      creds({ 'role-duration-seconds': 21600 }),
      deploy('follows/cluster', 60),
      wait('--env follows --cdk-out cdk.out --timeout 15000', 255),
      deploy('follows/*', 30),
    ];
    expect(check(job(360, good))).toEqual([]);
    // Everything at once: the alerter would be deployed while the roll runs.
    expect(check(job(360, [good[0]!, deploy('follows/*', 60)]))).toEqual([
      expect.stringMatching(
        /does not wait for the roll .*other stacks would be deployed while the roll runs: deploy 'follows\/cluster' first/,
      ),
    ]);
    // No wait, a wait without --cdk-out (it would take whatever rollout is in progress), a wait after the rest.
    for (const steps of [
      [good[0]!, good[1]!, good[3]!],
      [good[0]!, good[1]!, wait('--env follows --timeout 15000', 255), good[3]!],
      [good[0]!, good[1]!, good[3]!, good[2]!],
    ]) {
      expect(check(job(360, steps))).toEqual([
        expect.stringMatching(
          /follows does not wait for the roll .*after this step, then `elkctl roll wait --env follows --cdk-out cdk\.out/,
        ),
      ]);
    }
  });

  test('a roll wait gives its --timeout and its step outlives it', () => {
    const base = [creds({ 'role-duration-seconds': 21600 }), deploy('follows/cluster', 60)];
    expect(check(job(360, [...base, wait('--env follows --cdk-out cdk.out', 255)]))).toContain(
      `${'.github/workflows/ci.yml'}: jobs.d.steps[2] ("follow the roll"): roll wait without --timeout waits 12 h by default: give --timeout SECONDS`,
    );
    expect(check(job(360, [...base, wait('--env follows --cdk-out cdk.out --timeout 15000', 250)]))).toEqual([
      expect.stringMatching(/timeout-minutes is 250; roll wait --timeout 15000 needs at least 255/),
      // The follower of a roll gets what the job leaves: 360 − 15 of setup − 60 for the deploy.
      expect.stringMatching(
        /follows does not wait for the roll, so this step follows it, with timeout-minutes 250; the job leaves it 285 .*set timeout-minutes 285 and --timeout 16800/,
      ),
    ]);
    expect(BUDGET.waitMarginMinutes).toBe(5);
  });

  test('past the hosted 6 h: lower the wait, follow the roll instead, or a self-hosted runner with its own credentials', () => {
    const steps = [deploy('waits12/*', 780)];
    expect(check(job(800, [creds({ 'role-duration-seconds': 48000 }), ...steps]))).toEqual([
      expect.stringMatching(/needs 800 min but GitHub-hosted runners stop a job after 6 h/),
      expect.stringMatching(
        /role-duration-seconds is 48000; AssumeRoleWithWebIdentity allows at most .*43200 \(12 h\)/,
      ),
    ]);
    // Self-hosted, credentials of the runner (an instance profile, refreshed): 5 days, no session bound.
    expect(check(job(800, steps, ['self-hosted', 'elk-deploy']))).toEqual([]);
    // A hosted runner has no credentials of its own.
    expect(check(job(800, steps))).toEqual([
      expect.stringMatching(/GitHub-hosted runners stop a job/),
      expect.stringMatching(/no aws-actions\/configure-aws-credentials with role-to-assume/),
    ]);
  });

  test('a deploy whose environment cannot be told is named; double quotes and no quotes are understood', () => {
    const c = creds({ 'role-duration-seconds': 21600 });
    expect(check(job(360, [c, { run: 'npx cdk deploy --all --require-approval never' }]))).toEqual([
      expect.stringMatching(
        /steps\[1\]: cdk deploy without a '<env>\/<stack>' selection: the budget cannot be checked/,
      ),
    ]);
    for (const target of ['"waits12/*"', 'waits12/*']) {
      expect(check(job(360, [c, { run: `npx cdk deploy --app cdk.out ${target}` }]))[0]).toMatch(
        /cdk deploy of waits12 waits for the roll up to rollout\.timeoutHours = 12 h/,
      );
    }
  });

  test('jobs without a deploy are not checked; a deploy of an environment without a config file is named', () => {
    expect(deployBudgetProblems({ jobs: { build: job(30, [{ run: 'npm run synth' }]) } }, () => undefined)).toEqual([]);
    expect(check(job(360, [creds({ 'role-duration-seconds': 21600 }), deploy('nosuch/*', 60)]))).toEqual([
      expect.stringMatching(/deploys 'nosuch\/…' but config\/environments\/nosuch\.yaml does not exist/),
    ]);
  });
});
