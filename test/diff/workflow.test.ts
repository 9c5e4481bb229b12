import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { deployBudgetProblems, type RolloutWait } from '../../lib/ci/deploy-budget';
import { loadEnvironment } from '../../lib/config';
import { COMMENT_MARKER } from '../../lib/diff';
import { PROJECT_ROOT } from '../helpers/app';

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  'timeout-minutes'?: number;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  concurrency?: { group: string; 'cancel-in-progress': unknown };
  jobs: Record<string, Job>;
}

const workflowFile = path.join(PROJECT_ROOT, '.github', 'workflows', 'ci.yml');
const workflow = parse(fs.readFileSync(workflowFile, 'utf8')) as Workflow;
const scripts = Object.keys(
  (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: object }).scripts,
);
const runs = (job: string) => workflow.jobs[job]!.steps.map((s) => s.run ?? '').join('\n');
const needs = (job: string) => [workflow.jobs[job]!.needs ?? []].flat();

describe('.github/workflows/ci.yml', () => {
  test('parses as YAML and runs on pull requests and pushes to main', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.on.push).toEqual({ branches: ['main'] });
  });

  test('every `npm run X` it names exists in package.json', () => {
    const named = [...fs.readFileSync(workflowFile, 'utf8').matchAll(/npm run(?: -s| --silent)? ([\w:.-]+)/g)].map(
      (m) => m[1]!,
    );
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((n) => !scripts.includes(n))).toEqual([]);
  });

  test('a pull request is tested, synthesized, diffed against its base and commented once (found by the marker)', () => {
    const pr = workflow.jobs['pull-request']!;
    expect(pr.if).toContain("'pull_request'");
    expect(runs('pull-request')).toMatch(
      /npm ci[\s\S]*npm test[\s\S]*npm run synth[\s\S]*npm run -s diff:base -- --format markdown/,
    );
    expect(pr.steps[0]!.with?.['fetch-depth']).toBe(0);
    expect(pr.permissions?.['pull-requests']).toBe('write');
    const script = String(pr.steps.find((s) => s.uses?.startsWith('actions/github-script'))!.with!.script);
    expect(script).toContain(COMMENT_MARKER);
    expect(script).toContain('updateComment');
    expect(script).toContain('createComment');
  });

  test('main uploads the synthesized assembly, and each deploy job deploys that artifact: staging before production', () => {
    const build = workflow.jobs.build!;
    expect(build.if).toContain("'push'");
    expect(runs('build')).toContain('npm run synth');
    expect(build.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!.with).toMatchObject({
      name: 'cdk-out',
      path: 'cdk.out',
    });
    for (const env of ['staging', 'production']) {
      const job = `deploy-${env}`;
      expect(workflow.jobs[job]!.environment).toBe(env);
      expect(
        workflow.jobs[job]!.steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!.with,
      ).toMatchObject({ name: 'cdk-out' });
      expect(runs(job)).toContain(`cdk deploy --app cdk.out '${env}/*'`);
      expect(runs(job)).not.toContain('synth');
    }
    expect(needs('deploy-staging')).toEqual(['build']);
    expect(needs('deploy-production')).toEqual(['deploy-staging']);
  });
});

describe('deploy jobs', () => {
  const deployJobs = ['deploy-staging', 'deploy-production'];

  test('pin every action by commit SHA (they hold the deploy role)', () => {
    for (const job of deployJobs) {
      const uses = workflow.jobs[job]!.steps.flatMap((s) => (s.uses ? [s.uses] : []));
      expect(uses.length).toBeGreaterThan(3);
      expect(uses.filter((u) => !/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/.test(u))).toEqual([]);
    }
  });

  test('keep the AWS session for as long as the job may wait for the roll', () => {
    for (const job of deployJobs) {
      const creds = workflow.jobs[job]!.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'));
      const seconds = Number(creds!.with!['role-duration-seconds']);
      expect(seconds).toBeGreaterThanOrEqual(workflow.jobs[job]!['timeout-minutes']! * 60);
    }
  });

  test('queue per environment: a production run waiting for approval holds no group that staging deploys need', () => {
    const groups = deployJobs.map((j) => workflow.jobs[j]!.concurrency!);
    expect(new Set(groups.map((g) => g.group)).size).toBe(2);
    expect(groups.every((g) => g['cancel-in-progress'] === false)).toBe(true);
    // The workflow-level group of a push is that push's own (its sha): it never blocks a later push.
    expect(workflow.concurrency!.group).toContain('github.sha');
  });
});

describe('deploy jobs outlast what they deploy and wait for (lib/ci/deploy-budget.ts)', () => {
  const configDir = path.join(PROJECT_ROOT, 'config', 'environments');
  const rollouts = (env: string): RolloutWait | undefined =>
    fs.existsSync(path.join(configDir, `${env}.yaml`)) ? loadEnvironment(env, configDir).rollout : undefined;

  test('the workflow and config/environments agree: each step covers the roll it may wait for, the session the job', () => {
    expect(deployBudgetProblems(workflow, rollouts)).toEqual([]);
  });

  test('each deploy job deploys the cluster, follows the rollout that assembly deploys, then the other stacks', () => {
    for (const env of ['staging', 'production']) {
      const cmds = workflow.jobs[`deploy-${env}`]!.steps.flatMap((s) => (s.run ? [s.run] : []));
      const at = (re: RegExp) => cmds.findIndex((c) => re.test(c));
      const cluster = at(new RegExp(`cdk deploy --app cdk\\.out '${env}/cluster'`));
      const wait = at(new RegExp(`elkctl -- roll wait --env ${env} --cdk-out cdk\\.out --timeout \\d+`));
      const rest = at(new RegExp(`cdk deploy --app cdk\\.out '${env}/\\*'`));
      expect({ env, order: [cluster, wait, rest].every((i, k, a) => i >= 0 && (k === 0 || a[k - 1]! < i)) }).toEqual({
        env,
        order: true,
      });
    }
  });

  test('the check fails when a config changes without the workflow (the default 12 h wait), and on the deploy job as it was', () => {
    const staging = rollouts('staging')!;
    const waits12 = deployBudgetProblems(workflow, (env) =>
      env === 'staging' ? { ...staging, timeoutHours: 12 } : rollouts(env),
    );
    expect(waits12).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /jobs\.deploy-staging\.steps\[\d+\] \("Deploy the cluster stack"\): timeout-minutes is 300; .*at least 780/,
        ),
        expect.stringMatching(/jobs\.deploy-staging: needs \d+ min but GitHub-hosted runners stop a job after 6 h/),
      ]),
    );
    // Staging switched to waitForCompletion: false for a long roll: the numbers to move to the wait are named.
    const follows = deployBudgetProblems(workflow, (env) =>
      env === 'staging' ? { ...staging, waitForCompletion: false } : rollouts(env),
    );
    expect(follows).toEqual([
      expect.stringMatching(
        /jobs\.deploy-staging\.steps\[\d+\] \("Follow the rolling replacement"\): staging does not wait for the roll, .*with timeout-minutes 15; the job leaves it 255 .*set timeout-minutes 255 and --timeout 15000/,
      ),
    ]);
    // The same workflow with the job as it was before (one `cdk deploy '<env>/*'`, no step budget) and the old config.
    const before = {
      jobs: {
        'deploy-staging': {
          ...workflow.jobs['deploy-staging']!,
          steps: [
            ...workflow.jobs['deploy-staging']!.steps.filter(
              (s) => !s.run?.includes('cdk deploy') && !s.run?.includes('roll wait'),
            ),
            { run: "npx cdk deploy --app cdk.out 'staging/*' --require-approval never" },
          ],
        },
      },
    };
    expect(deployBudgetProblems(before, () => ({ waitForCompletion: true, timeoutHours: 12 }))).toHaveLength(4);
  });
});

describe('one Node.js version', () => {
  const nvmrc = fs.readFileSync(path.join(PROJECT_ROOT, '.nvmrc'), 'utf8').trim();

  test('the workflow reads .nvmrc in every job, .ci/run checks it, the README names it', () => {
    const setups = Object.values(workflow.jobs).flatMap((j) =>
      j.steps.filter((s) => s.uses?.startsWith('actions/setup-node')),
    );
    expect(setups.length).toBe(4);
    for (const s of setups) {
      expect(s.with!['node-version-file']).toBe('.nvmrc');
      expect(s.with!['node-version']).toBeUndefined();
    }
    expect(fs.readFileSync(path.join(PROJECT_ROOT, '.ci', 'run'), 'utf8')).toContain('.nvmrc');
    expect(fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8')).toContain(`Node.js ${nvmrc}`);
  });
});

describe('shellcheck runs in npm run lint, not in npm test', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const testFiles = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) =>
        e.isDirectory() ? testFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
      );

  test('no test runs shellcheck (npm test needs only Node.js)', () => {
    const callers = testFiles(path.join(PROJECT_ROOT, 'test')).filter((f) =>
      /spawnSync\(\s*['"`][^'"`]*shellcheck|execFileSync\(\s*['"`][^'"`]*shellcheck/.test(fs.readFileSync(f, 'utf8')),
    );
    expect(callers.map((f) => path.relative(PROJECT_ROOT, f))).toEqual([]);
  });

  test('npm run lint runs lint:shell, which checks every tracked shell script', () => {
    expect(pkg.scripts.lint).toContain('lint:shell');
    expect(pkg.scripts['lint:shell']).toBe('bash scripts/lint-shell.sh');
    const script = fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'lint-shell.sh'), 'utf8');
    expect(script).toContain("'*.sh'");
    expect(script).toContain("'.ci/run'");
  });

  test('.ci/run installs shellcheck before npm run lint', () => {
    const ci = fs.readFileSync(path.join(PROJECT_ROOT, '.ci', 'run'), 'utf8');
    expect(ci.indexOf('apt-get install')).toBeGreaterThan(-1);
    expect(ci.indexOf('apt-get install')).toBeLessThan(ci.lastIndexOf('npm run lint'));
  });
});

describe('what npm test needs besides Node.js', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { TEST_TOOLS, SCRIPT_SUITES, missingTools, scriptSuitePatterns } = require('../helpers/tools') as {
    TEST_TOOLS: Record<string, string>;
    SCRIPT_SUITES: string[];
    missingTools: (searchPath?: string) => string[];
    scriptSuitePatterns: (searchPath?: string, mode?: string) => string[];
  };

  test('the README names every program the tests run, and .ci/run installs the ones a Debian image may lack', () => {
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    const needs = readme.slice(readme.indexOf('Needs Node.js'), readme.indexOf('elk-cdk is infrastructure'));
    for (const tool of Object.keys(TEST_TOOLS))
      expect({ tool, named: needs.includes(`\`${tool}\``) }).toEqual({ tool, named: true });
    const ci = fs.readFileSync(path.join(PROJECT_ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/for t in git python3 openssl jq; do/);
    expect(ci.indexOf('for t in git python3 openssl jq')).toBeLessThan(ci.lastIndexOf('npm test'));
  });

  test('missingTools names what a PATH lacks', () => {
    expect(missingTools('')).toEqual(Object.keys(TEST_TOOLS));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-tools-'));
    try {
      for (const t of Object.keys(TEST_TOOLS).filter((t) => t !== 'jq')) {
        fs.writeFileSync(path.join(dir, t), '#!/bin/sh\n', { mode: 0o755 });
      }
      fs.writeFileSync(path.join(dir, 'jq'), 'not executable', { mode: 0o644 });
      expect(missingTools(dir)).toEqual(['jq']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without a program the script suites are skipped (npm test works with Node.js alone); .ci/run requires them', () => {
    const all = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-tools-'));
    try {
      for (const t of Object.keys(TEST_TOOLS)) fs.writeFileSync(path.join(all, t), '#!/bin/sh\n', { mode: 0o755 });
      expect(scriptSuitePatterns(all, '')).toEqual([]);
      expect(scriptSuitePatterns(all, 'require')).toEqual([]);
    } finally {
      fs.rmSync(all, { recursive: true, force: true });
    }
    expect(scriptSuitePatterns('', '')).toEqual(SCRIPT_SUITES);
    expect(() => scriptSuitePatterns('', 'require')).toThrow(/not found and ELK_TEST_TOOLS=require: apt-get install/);
    // Every pattern names suites that exist (a renamed suite would otherwise fail on a machine without the tools).
    const suites = execFileSync('git', ['ls-files', 'test'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).split('\n');
    for (const p of SCRIPT_SUITES)
      expect({ p, matches: suites.some((f) => new RegExp(p).test(f)) }).toEqual({ p, matches: true });
    const ci = fs.readFileSync(path.join(PROJECT_ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/ELK_TEST_TOOLS=require npm test/);
    const jestConfig = fs.readFileSync(path.join(PROJECT_ROOT, 'jest.config.js'), 'utf8');
    expect(jestConfig).toContain('...scriptSuitePatterns()');
  });
});
