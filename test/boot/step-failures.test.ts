import * as fs from 'fs';
import * as path from 'path';
import { readStage, rehearseStage, RehearsalReport } from '../../lib/boot';
import { PROJECT_ROOT } from '../helpers/app';
import { synthOnce } from './helpers';

/**
 * One failure per step: for every named step of every node boot script, a boundary that the step calls is down
 * (ELK_REHEARSAL_FAIL, a glob over the stub's command line), and the boot of every node of that role must fail with
 * that step named, so that the Auto Scaling health check replaces the node and a reader of the log knows where.
 * Production's stage: it has every role (dev and ci run no Logstash).
 */
interface StepCase {
  readonly script: string;
  readonly role: 'master' | 'data' | 'kibana' | 'logstash' | 'alerter';
  readonly step: string;
  /** The boundary call that fails. */
  readonly fault: string;
  /** Only the nodes that reach the step fail (the first alerter finds no rule bundle deployed yet and is done). */
  readonly firstBootDone?: boolean;
  /** Extra environment of the nodes (a long bounded wait: the sleep stub at a smaller fraction). */
  readonly env?: Readonly<Record<string, string>>;
  /** What the failure's last lines must say. */
  readonly says?: RegExp;
}

const CASES: readonly StepCase[] = [
  { script: 'es-node-boot.sh', role: 'master', step: 'identity', fault: 'curl *latest/api/token' },
  // EC2 never answers the membership look: the wait ends at its bound (900 s of sleep stub) naming the last error.
  {
    script: 'es-node-boot.sh',
    role: 'data',
    step: 'membership',
    fault: 'aws ec2 describe-instances *--instance-ids*',
    env: { ELK_REHEARSAL_TIME_SCALE: '0.001' },
    says: /never attached to an Auto Scaling group of environment production within 900 s .*last look: .*injected failure/,
  },
  { script: 'es-node-boot.sh', role: 'data', step: 'attach-volume', fault: 'aws ec2 create-volume*' },
  { script: 'es-node-boot.sh', role: 'master', step: 'data-volume', fault: 'mount *' },
  { script: 'es-node-boot.sh', role: 'master', step: 'install', fault: 'dnf install *' },
  { script: 'es-node-boot.sh', role: 'master', step: 'certificates', fault: 'curl *--aws-sigv4*' },
  {
    script: 'es-node-boot.sh',
    role: 'master',
    step: 'bootstrap-decision',
    fault: 'aws ec2 describe-instances *--filters*',
  },
  { script: 'es-node-boot.sh', role: 'master', step: 'config', fault: 'chgrp elasticsearch */.elasticsearch.yml.*' },
  { script: 'es-node-boot.sh', role: 'master', step: 'start', fault: 'systemctl enable --now elasticsearch' },
  { script: 'es-node-boot.sh', role: 'master', step: 'mark-formed', fault: 'aws ssm put-parameter*' },
  { script: 'kibana-boot.sh', role: 'kibana', step: 'identity', fault: 'curl *latest/api/token' },
  { script: 'kibana-boot.sh', role: 'kibana', step: 'install', fault: 'dnf install *' },
  { script: 'kibana-boot.sh', role: 'kibana', step: 'ca', fault: 'aws ssm get-parameter*' },
  { script: 'kibana-boot.sh', role: 'kibana', step: 'certificates', fault: 'curl *--aws-sigv4*' },
  { script: 'kibana-boot.sh', role: 'kibana', step: 'keystore', fault: 'aws secretsmanager get-secret-value*' },
  {
    script: 'kibana-boot.sh',
    role: 'kibana',
    step: 'encryption-keys',
    fault: 'aws secretsmanager get-secret-value *KibanaEncryptionKeys*',
  },
  { script: 'kibana-boot.sh', role: 'kibana', step: 'start', fault: 'systemctl enable --now kibana' },
  { script: 'kibana-boot.sh', role: 'kibana', step: 'health', fault: 'curl *5601/api/status' },
  { script: 'logstash-boot.sh', role: 'logstash', step: 'identity', fault: 'curl *latest/api/token' },
  { script: 'logstash-boot.sh', role: 'logstash', step: 'install', fault: 'dnf install *' },
  { script: 'logstash-boot.sh', role: 'logstash', step: 'ca', fault: 'aws ssm get-parameter*' },
  { script: 'logstash-boot.sh', role: 'logstash', step: 'credentials', fault: 'aws secretsmanager get-secret-value*' },
  { script: 'logstash-boot.sh', role: 'logstash', step: 'certificates', fault: 'curl *--aws-sigv4*' },
  { script: 'logstash-boot.sh', role: 'logstash', step: 'start', fault: 'systemctl enable --now logstash' },
  { script: 'logstash-boot.sh', role: 'logstash', step: 'health', fault: 'curl *9600/_node/pipelines/main' },
  {
    script: 'logstash-boot.sh',
    role: 'logstash',
    step: 'drain-watcher-start',
    fault: 'systemctl enable --now elk-logstash-drain.service',
  },
  // The alerter's boot retries for ever on an instance; ELK_BOOT_MAX_ATTEMPTS bounds it here.
  { script: 'alerter/boot.sh', role: 'alerter', step: 'parameter', fault: 'aws * ssm get-parameter *current-bundle*' },
  {
    script: 'alerter/boot.sh',
    role: 'alerter',
    step: 'deploy-script',
    fault: 'aws * s3 cp --only-show-errors *deploy-rules*',
    firstBootDone: true,
  },
  { script: 'alerter/boot.sh', role: 'alerter', step: 'rules', fault: 'docker run *', firstBootDone: true },
];

/** Steps that call no boundary: only a bug in the script itself can fail them (the static checks look for those). */
const NO_BOUNDARY: Readonly<Record<string, readonly string[]>> = {
  // env: node.env is written by the user data itself; up: prints the line; signal: never fails the boot by design.
  'es-node-boot.sh': ['env', 'up'],
  // config, queue, drain-watcher: write files of the node only.
  'kibana-boot.sh': ['env', 'config', 'signal', 'up'],
  'logstash-boot.sh': ['env', 'config', 'queue', 'drain-watcher', 'signal', 'up'],
  'alerter/boot.sh': [],
};

const stepsOf = (script: string) =>
  [
    ...fs
      .readFileSync(path.join(PROJECT_ROOT, 'scripts', script.includes('/') ? script : `node/${script}`), 'utf8')
      .matchAll(/^\s*(?:elk_step|step) ([\w-]+)$/gm),
  ].map((m) => m[1]!);

let cdkOut: string;
const reports = new Map<StepCase, RehearsalReport>();

beforeAll(async () => {
  cdkOut = synthOnce(['production']);
  const stage = readStage(cdkOut, 'production');
  // A few at a time: each is a small fleet of one role, mostly waiting on processes.
  const queue = [...CASES];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      reports.set(
        c,
        await rehearseStage(stage, {
          environment: 'production',
          scenarios: ['fleet'],
          roles: [c.role],
          nodeEnv: { ELK_REHEARSAL_FAIL: c.fault, ELK_BOOT_MAX_ATTEMPTS: '3', ...c.env },
        }),
      );
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}, 600_000);
afterAll(() => fs.rmSync(cdkOut, { recursive: true, force: true }));

test('every named step of every node boot script has a failure case, or calls no boundary', () => {
  for (const script of Object.keys(NO_BOUNDARY)) {
    const covered = [...CASES.filter((c) => c.script === script).map((c) => c.step), ...NO_BOUNDARY[script]!];
    expect([...new Set(stepsOf(script))].sort()).toEqual([...covered].sort());
  }
});

describe.each(CASES.map((c) => [`${c.script} ${c.step}`, c] as const))('%s: a boundary down', (_name, c) => {
  test(`fails the boot of every ${c.role} node naming step ${c.step} in its log`, () => {
    const r = reports.get(c)!;
    expect(r.ok).toBe(false);
    const all = r.scenarios.flatMap((s) => s.nodes).filter((n) => n.role === c.role);
    const nodes = c.firstBootDone ? all.slice(1) : all;
    if (c.firstBootDone) expect(all[0]!.ok).toBe(true);
    expect(nodes.length).toBeGreaterThan(0);
    for (const n of nodes) {
      expect(n.ok).toBe(false);
      expect(n.failedStep).toBe(c.step);
    }
    const boots = r.findings.filter((f) => f.check === 'boot');
    expect(boots).toHaveLength(nodes.length);
    for (const f of boots) {
      expect(f.step).toBe(c.step);
      if (c.says) expect(f.message).toMatch(c.says);
    }
  });
});
