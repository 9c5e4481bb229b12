import * as fs from 'fs';
import * as path from 'path';
import { runDiff } from '../../lib/diff';
import { append, ConfigWorkspace } from './synth';

// A phase of security.caRotation on dev (3 masters, 2 data nodes, Kibana): what changes in the cluster stack.
const ws = new ConfigWorkspace();
afterAll(() => ws.cleanup());

const phase = (p: string) => ({ 'dev.yaml': append(`security:\n  caRotation:\n    rotation: 1\n    phase: ${p}`) });
let base: string;
let trust: string;
let sign: string;
beforeAll(() => {
  base = ws.synth('dev', ws.configDir());
  trust = ws.synth('dev', ws.configDir(phase('trust-new')));
  sign = ws.synth('dev', ws.configDir(phase('sign-new')));
}, 300_000);

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] };
function resources(outdir: string, stack: string): Record<string, Resource> {
  const file = fs.readdirSync(outdir, { recursive: true }).find((f) => String(f).endsWith(`${stack}.template.json`));
  if (!file) throw new Error(`no ${stack} template in ${outdir}`);
  return JSON.parse(fs.readFileSync(path.join(outdir, String(file)), 'utf8')).Resources;
}
const stackNames = (outdir: string) =>
  fs
    .readdirSync(outdir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => path.basename(f, '.template.json'));

/** Logical ids whose resource differs between two templates, with the resource type. */
function changed(a: Record<string, Resource>, b: Record<string, Resource>): Map<string, string> {
  const out = new Map<string, string>();
  for (const id of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[id]) !== JSON.stringify(b[id])) out.set(id, (a[id] ?? b[id])!.Type);
  }
  return out;
}
const clusterStack = (outdir: string) => stackNames(outdir).find((n) => /cluster/i.test(n))!;
const launchTemplates = (r: Record<string, Resource>) =>
  Object.keys(r).filter((id) => r[id]!.Type === 'AWS::EC2::LaunchTemplate');
/** The user data of a launch template as text, with intrinsic functions as JSON. */
const userData = (r: Resource) => JSON.stringify((r.Properties!.LaunchTemplateData as { UserData: unknown }).UserData);

describe.each([
  ['no rotation → trust-new', () => base, () => trust, 'rotation-1-trust-new'],
  ['trust-new → sign-new', () => trust, () => sign, 'rotation-1-sign-new'],
])('a CA rotation phase (%s)', (_, from, to, generation) => {
  let a: Record<string, Resource>;
  let b: Record<string, Resource>;
  beforeAll(() => {
    a = resources(from(), clusterStack(from()));
    b = resources(to(), clusterStack(to()));
  });

  test('changes every launch template (Elasticsearch masters and data nodes, Kibana; Logstash where it runs), only by the CA generation', () => {
    const lts = launchTemplates(b);
    expect(lts.length).toBeGreaterThanOrEqual(3); // master, data, kibana (+ logstash where it runs)
    const diff = changed(a, b);
    for (const id of lts) {
      expect(diff.get(id)).toBe('AWS::EC2::LaunchTemplate');
      expect(userData(b[id]!)).toContain(`ELK_CA_GENERATION='${generation}'`);
      // Nothing else of the user data changes: drop the generation line and they are equal.
      const strip = (s: string) => s.replace(/ELK_CA_GENERATION='[a-z0-9-]+'\\n/, '');
      expect(strip(userData(b[id]!))).toBe(strip(userData(a[id]!)));
    }
  });

  test('changes nothing else than the CA custom resource, the launch templates, the Lambdas that trust the CA and the rollout id', () => {
    const diff = changed(a, b);
    const types = new Set(diff.values());
    // The first phase also gives the CA function its roll-gate permission (autoscaling:DescribeAutoScalingGroups).
    const policy = generation === 'rotation-1-trust-new' ? ['AWS::IAM::Policy'] : [];
    expect([...types].sort()).toEqual([
      'AWS::EC2::LaunchTemplate',
      ...policy,
      'AWS::Lambda::Function',
      'Custom::ElkClusterCa',
      'Custom::RollingReplacement',
    ]);
    for (const [id, type] of diff) {
      if (type === 'AWS::IAM::Policy') expect(JSON.stringify(b[id]!.Properties)).toContain('CheckRollFinished');
    }
    // The rolling replacement starts a new rollout (its id is computed from the launch templates), nothing else.
    for (const [id, type] of diff) {
      if (type !== 'Custom::RollingReplacement') continue;
      const { RolloutId: before, ...restBefore } = a[id]!.Properties!;
      const { RolloutId: after, ...restAfter } = b[id]!.Properties!;
      expect(after).not.toBe(before);
      expect(restAfter).toEqual(restBefore);
    }
    // No stateful resource, group, secret or parameter changes: the groups follow their launch template's version.
    for (const id of changed(a, b).keys()) expect(id).not.toMatch(/Secret|Group(?!.*LaunchTemplate)|Parameter/);
  });

  test('the CA custom resource gets the phase; every launch template waits for it, the issuer and the CA parameter', () => {
    const ca = Object.entries(b).find(([, r]) => r.Type === 'Custom::ElkClusterCa')!;
    expect(ca[1].Properties).toMatchObject({
      Rotation: '1',
      Phase: generation.replace('rotation-1-', ''),
      ConfigFile: 'config/environments/dev.yaml',
      Environment: 'dev',
    });
    const issuer = Object.entries(b).find(
      ([, r]) =>
        r.Type === 'AWS::Lambda::Function' &&
        JSON.stringify(r.Properties).includes('POLICY_PARAMETER_NAME') &&
        JSON.stringify(r.Properties).includes('CA_SECRET_ARN'),
    )!;
    expect(JSON.stringify(issuer[1].Properties)).toContain(`"CA_GENERATION":"${generation}"`);
    // The issuer's new configuration waits for the CA change (its 5-minute CA cache dies with the old containers).
    expect(issuer[1].DependsOn).toContain(ca[0]);
    const parameter = Object.entries(b).find(
      ([, r]) => r.Type === 'AWS::SSM::Parameter' && JSON.stringify(r.Properties).includes('/security/ca-cert'),
    )![0];
    for (const id of launchTemplates(b)) {
      expect(b[id]!.DependsOn).toEqual(expect.arrayContaining([ca[0], issuer[0], parameter]));
    }
  });

  test('every Lambda that reads the CA parameter gets the generation and waits for the parameter', () => {
    const readers = Object.entries(b).filter(
      ([, r]) =>
        r.Type === 'AWS::Lambda::Function' &&
        Object.values((r.Properties as { Environment?: { Variables?: object } }).Environment?.Variables ?? {}).includes(
          '/elk/dev/security/ca-cert',
        ),
    );
    // The rolling replacement's functions and the drain name it ES_CA_PARAMETER, the others CA_PARAMETER_NAME.
    const names = readers.map(([id]) => id).join(' ');
    expect(names).toMatch(/RollingReplacement/);
    expect(names).toMatch(/TerminationDrain/);
    expect(names).toMatch(/SecurityBootstrap/);
    expect(names).toMatch(/IndexManagement/);
    expect(names).toMatch(/Monitoring/);
    const parameter = Object.entries(b).find(
      ([, r]) => r.Type === 'AWS::SSM::Parameter' && JSON.stringify(r.Properties).includes('/security/ca-cert'),
    )![0];
    for (const [, r] of readers) {
      expect(JSON.stringify(r.Properties)).toContain(`"CA_GENERATION":"${generation}"`);
      expect(r.DependsOn).toContain(parameter);
    }
  });
});

test('elkctl diff shows every node replaced, naming security.caRotation for the Elasticsearch nodes', () => {
  const { report, output } = runDiff({ base, head: trust });
  const rolls = report.stacks.flatMap((s) => s.nodes).filter((n) => n.kind === 'replace');
  // Kibana's launch template records no config inputs (only the Elasticsearch ones do): its reason stays generic.
  expect(rolls.map((r) => [r.role, r.reason]).sort()).toEqual([
    ['data', 'caused by security.caRotation'],
    ['kibana', 'launch template data changed'],
    ['master', 'caused by security.caRotation'],
  ]);
  expect(output).toContain('security.caRotation');
});

test('without a rotation, no template carries a CA generation (existing environments do not roll)', () => {
  for (const stack of stackNames(base)) {
    expect(JSON.stringify(resources(base, stack))).not.toMatch(/CA_GENERATION/);
  }
});

test('the alerter deploys its rules again with each phase (it re-reads the CA parameter), and changes nothing else', () => {
  const alerter = (outdir: string) => stackNames(outdir).find((n) => /alerter/i.test(n))!;
  const a = resources(base, alerter(base));
  const b = resources(trust, alerter(trust));
  const diff = changed(a, b);
  expect([...diff.values()]).toEqual(['Custom::AlerterRuleDeployment']);
  const [id] = [...diff.keys()];
  const { CaGeneration, ...rest } = b[id!]!.Properties!;
  expect(CaGeneration).toBe('rotation-1-trust-new');
  expect(rest).toEqual(a[id!]!.Properties);
});
