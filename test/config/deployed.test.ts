import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import {
  ConfigError,
  DEFAULT_CONFIG_DIR,
  deepMerge,
  deployedRecordOf,
  loadEnvironment,
  readDeployedRecord,
  renderDeployedRecord,
} from '../../lib/config';
import { recordDeployed } from '../../lib/cli/config';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/**
 * A config folder: the real default.yaml, `t.yaml` with `overrides`, and the deployed record of what `deployed`
 * (the same shape of overrides) produced.
 */
function folder(overrides: Record<string, unknown>, deployed?: Record<string, unknown>, legacy = false): string {
  const valid = (o: Record<string, unknown>) => stringify(deepMerge({ kibana: { allowPlainHttp: true } }, o));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-deployed-'));
  dirs.push(dir);
  fs.copyFileSync(path.join(DEFAULT_CONFIG_DIR, 'default.yaml'), path.join(dir, 'default.yaml'));
  if (deployed) {
    fs.writeFileSync(path.join(dir, 't.yaml'), valid(deployed));
    const record = deployedRecordOf(loadEnvironment('t', dir));
    // A record written before the groups protected their instances from scale in.
    if (legacy) delete (record.elasticsearch as { scaleInProtected?: boolean }).scaleInProtected;
    fs.mkdirSync(path.join(dir, 'deployed'));
    fs.writeFileSync(path.join(dir, 'deployed', 't.yaml'), renderDeployedRecord('t', record));
  }
  fs.writeFileSync(path.join(dir, 't.yaml'), valid(overrides));
  return dir;
}

function refused(overrides: Record<string, unknown>, deployed: Record<string, unknown> = {}, legacy = false): string[] {
  try {
    loadEnvironment('t', folder(overrides, deployed, legacy));
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

const es = (x: Record<string, unknown>) => ({ elasticsearch: x });

describe('synth refuses, against the deployed record, changes that cannot happen in place', () => {
  test.each([
    [
      'a new cluster name',
      es({ clusterName: 'logs' }),
      {},
      /t\.yaml: elasticsearch\.clusterName: is "logs" but the deployed cluster is "elk" .*never joins a cluster of another name/,
    ],
    [
      'a new VPC CIDR',
      { vpc: { cidr: '10.50.0.0/16' } },
      {},
      /t\.yaml: vpc\.cidr: is "10\.50\.0\.0\/16" but the deployed network has "10\.40\.0\.0\/16" .*immutable.*without a drain.*splits the cluster/,
    ],
    ['more AZs', { vpc: { maxAzs: 4 } }, {}, /t\.yaml: vpc\.maxAzs: is 4 but the deployed network has 3/],
    [
      'other Availability Zones',
      {
        account: '111111111111',
        region: 'us-east-1',
        vpc: { availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1d'] },
      },
      {
        account: '111111111111',
        region: 'us-east-1',
        vpc: { availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] },
      },
      /t\.yaml: vpc\.availabilityZones: is \[.*"us-east-1d"\] but the deployed network has \[.*"us-east-1c"\] .*immutable/,
    ],
    [
      'switching from a created to an imported VPC',
      { account: '111111111111', region: 'eu-west-1', vpc: { vpcId: 'vpc-0abc12345def67890' } },
      {},
      /t\.yaml: vpc\.vpcId: is "vpc-0abc12345def67890" but the deployed network has \(not set\)/,
    ],
  ])('%s is refused with the key named', (_what, overrides, deployed, expected) => {
    const problems = refused(overrides, deployed);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  test.each([
    [
      'a lower data node count',
      es({ dataNodes: { count: 3 } }),
      es({ dataNodes: { count: 4 } }),
      /t\.yaml: elasticsearch\.dataNodes\.count: is 3 but 4 are deployed .*refused while the deployed groups do not protect.*without a drain.*scaleInProtected: true.*"Lowering a node count"/,
    ],
    [
      'a lower master count',
      es({ masterNodes: { count: 3 } }),
      es({ masterNodes: { count: 5 } }),
      /t\.yaml: elasticsearch\.masterNodes\.count: is 3 but 5 are deployed/,
    ],
  ])(
    '%s against a record of groups without scale-in protection is refused with the key named',
    (_w, o, d, expected) => {
      const problems = refused(o, d, true);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(expected);
    },
  );

  test.each([
    ['a lower data node count', es({ dataNodes: { count: 3 } }), es({ dataNodes: { count: 4 } })],
    ['a lower master count', es({ masterNodes: { count: 3 } }), es({ masterNodes: { count: 5 } })],
  ])('%s against a record of protected groups is a planned scale-in: accepted', (_w, o, d) => {
    expect(refused(o, d)).toEqual([]);
  });

  test.each([
    ['the same config', {}, {}],
    ['a higher data node count', es({ dataNodes: { count: 5 } }), es({ dataNodes: { count: 4 } })],
    [
      'an instance type change (the rolling replacement handles it)',
      es({ dataNodes: { instanceType: 'r6i.xlarge' } }),
      {},
    ],
  ])('%s is accepted', (_what, overrides, deployed) => {
    expect(refused(overrides, deployed)).toEqual([]);
  });

  test('an environment without a record (never deployed) is not compared', () => {
    const dir = folder(es({ clusterName: 'anything' }));
    expect(loadEnvironment('t', dir).elasticsearch.clusterName).toBe('anything');
  });

  test('elkctl config record writes what the config declares, even a lower count (after the manual drain)', () => {
    const dir = folder(es({ dataNodes: { count: 3 } }), es({ dataNodes: { count: 4 } }), true);
    expect(() => loadEnvironment('t', dir)).toThrow(ConfigError);
    recordDeployed('t', dir);
    expect(readDeployedRecord(dir, 't')?.elasticsearch?.dataNodes?.count).toBe(3);
    expect(loadEnvironment('t', dir).elasticsearch.dataNodes.count).toBe(3);
  });

  test('a record with an unknown key fails with the file and the key', () => {
    const dir = folder({}, {});
    fs.writeFileSync(path.join(dir, 'deployed', 't.yaml'), stringify({ elasticsearch: { dataNodez: { count: 3 } } }));
    expect(() => readDeployedRecord(dir, 't')).toThrow(/deployed[\\/]t\.yaml: .*dataNodez/);
  });
});

describe('security.caRotation against the deployed record', () => {
  const rot = (rotation: number, phase: string) => ({ security: { caRotation: { rotation, phase } } });

  test('skipping the trust phase is refused, naming the file, the key and the phase to deploy first', () => {
    const problems = refused(rot(1, 'sign-new'), {});
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /t\.yaml: security\.caRotation: is \{rotation: 1, phase: sign-new\} but \(not set\) is deployed: phases cannot be skipped.*Deploy \{rotation: 1, phase: trust-new\} first.*deployed[/\\]t\.yaml/,
    );
  });

  test.each([
    ['the first phase', {}, rot(1, 'trust-new')],
    ['the next phase', rot(1, 'trust-new'), rot(1, 'sign-new')],
    ['the next rotation', rot(1, 'drop-old'), rot(2, 'trust-new')],
    ['the same phase again', rot(1, 'sign-new'), rot(1, 'sign-new')],
  ])('%s is accepted', (_, deployed, wanted) => {
    expect(refused(wanted, deployed)).toEqual([]);
  });

  test('the record keeps the phase, so the next synth compares with it', () => {
    const dir = folder(rot(1, 'trust-new'), rot(1, 'trust-new'));
    expect(readDeployedRecord(dir, 't')?.security).toEqual({ caRotation: { rotation: 1, phase: 'trust-new' } });
  });

  test('an unknown phase names the allowed ones', () => {
    expect(refused(rot(1, 'sign'))).toEqual([
      expect.stringMatching(/t\.yaml: security\.caRotation\.phase: must be one of trust-new, sign-new, drop-old/),
    ]);
  });
});
