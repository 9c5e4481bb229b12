import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import {
  ConfigError,
  DEFAULT_CONFIG_DIR,
  heapMiB,
  listEnvironments,
  loadEnvironment,
  versionBefore,
} from '../../lib/config';

/** A config folder with the real default.yaml and one environment file `t.yaml` holding `overrides`. */
function folderWith(overrides: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-config-'));
  fs.copyFileSync(path.join(DEFAULT_CONFIG_DIR, 'default.yaml'), path.join(dir, 'default.yaml'));
  fs.writeFileSync(path.join(dir, 't.yaml'), stringify(overrides));
  return dir;
}

function problemsOf(overrides: Record<string, unknown>): string[] {
  const dir = folderWith(overrides);
  try {
    loadEnvironment('t', dir);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return [];
}

const envFile = /[\\/]t\.yaml: /;
const defaultFile = /[\\/]default\.yaml: /;

describe('every committed environment', () => {
  test.each(listEnvironments())('%s validates', (name) => {
    const c = loadEnvironment(name);
    expect(c.name).toBe(name);
    expect(c.elasticsearch.masterNodes.count % 2).toBe(1);
  });

  test('dev needs no account and no region', () => {
    const c = loadEnvironment('dev');
    expect(c.account).toBeUndefined();
    expect(c.region).toBeUndefined();
  });
});

describe('bad values fail with the file, the key and what is allowed', () => {
  test.each([
    {
      what: 'an even master count',
      set: { elasticsearch: { masterNodes: { count: 4 } } },
      file: envFile,
      key: 'elasticsearch.masterNodes.count',
      allowed: /odd number of at least 3/,
    },
    {
      what: 'fewer than 3 masters',
      set: { elasticsearch: { masterNodes: { count: 1 } } },
      file: envFile,
      key: 'elasticsearch.masterNodes.count',
      allowed: /odd number of at least 3/,
    },
    {
      what: 'fewer than 3 Availability Zones',
      set: { vpc: { maxAzs: 2 } },
      file: envFile,
      key: 'vpc.maxAzs',
      allowed: /at least 3 Availability Zones: the three master-eligible nodes/,
    },
    {
      what: 'two explicit Availability Zones',
      set: { vpc: { availabilityZones: ['eu-west-1a', 'eu-west-1b'] } },
      file: envFile,
      key: 'vpc.availabilityZones',
      allowed: /at least 3 Availability Zones.*list 3 of them/,
    },
    {
      what: 'a Unix (5-field) cron as snapshots.schedule',
      set: { snapshots: { schedule: '30 1 * * *' } },
      file: envFile,
      key: 'snapshots.schedule',
      allowed: /Elasticsearch cron expression of 6 or 7 fields/,
    },
    {
      what: 'a snapshot retention keeping more than it may keep',
      set: { snapshots: { retention: { expireAfterDays: 30, minCount: 60, maxCount: 50 } } },
      file: envFile,
      key: 'snapshots.retention.minCount',
      allowed: /at most snapshots\.retention\.maxCount \(50\)/,
    },
    {
      what: 'a version that is not a release',
      set: { elasticsearch: { version: '8.19.3-SNAPSHOT' } },
      file: envFile,
      key: 'elasticsearch.version',
      allowed: /release version such as 8\.19\.3/,
    },
    {
      what: 'a version with a "v"',
      set: { elasticsearch: { version: 'v8.19.3' } },
      file: envFile,
      key: 'elasticsearch.version',
      allowed: /release version/,
    },
    {
      what: 'a major below 8',
      set: { elasticsearch: { version: '7.17.24' } },
      file: envFile,
      key: 'elasticsearch.version',
      allowed: /major below 8 is not supported \(8\.x or 9\.x\)/,
    },
    {
      what: 'a data instance too small for the data heap',
      set: { elasticsearch: { dataNodes: { instanceType: 't3.small' } } },
      file: envFile,
      key: 'elasticsearch.dataNodes.instanceType',
      allowed: /too small for the data role: needs at least 4 GiB/,
    },
    {
      what: 'a Logstash instance too small for the Logstash heap',
      set: { logstash: { instanceType: 't3.small' } },
      file: envFile,
      key: 'logstash.instanceType',
      allowed: /too small for the logstash role: needs at least 4 GiB/,
    },
    {
      what: 'an instance size the family does not have',
      set: { elasticsearch: { masterNodes: { instanceType: 'c6i.medium' } } },
      file: envFile,
      key: 'elasticsearch.masterNodes.instanceType',
      allowed: /must be a known instance type/,
    },
    {
      what: 'an unknown instance type',
      set: { elasticsearch: { dataNodes: { instanceType: 'r6i.hugeish' } } },
      file: envFile,
      key: 'elasticsearch.dataNodes.instanceType',
      allowed: /known instance type of one of the families .*r6i/,
    },
    {
      what: 'a misspelled key',
      set: { elasticsearch: { dataNodes: { volumeGB: 100 } } },
      file: envFile,
      key: 'elasticsearch.dataNodes.volumeGB',
      allowed: /unknown key \(check the spelling/,
    },
    {
      what: 'a misspelled top-level key',
      set: { kibanna: { count: 1 } },
      file: envFile,
      key: 'kibanna',
      allowed: /unknown key/,
    },
    {
      what: 'an imported VPC without account and region',
      set: { vpc: { vpcId: 'vpc-0abc12345def67890' } },
      file: envFile,
      key: 'vpc.vpcId',
      allowed: /needs account and region/,
    },
    {
      what: 'more NAT gateways than AZs',
      set: { vpc: { natGateways: 4 } },
      file: envFile,
      key: 'vpc.natGateways',
      allowed: /at most one per AZ/,
    },
    {
      what: 'an account without a region',
      set: { account: '111111111111' },
      file: envFile,
      key: 'region',
      allowed: /account and region must be set together/,
    },
    {
      what: 'Kibana older than 8.11.2 (401 on /api/status before 8.9, no TLS reload on SIGHUP before 8.11.2)',
      set: { elasticsearch: { version: '8.11.1' }, kibana: { allowPlainHttp: true } },
      file: envFile,
      key: 'elasticsearch.version',
      allowed: /too old for Kibana: elk-cdk needs 8\.11\.2 or later .* or set kibana\.count: 0/,
    },
    {
      what: 'a tag-only alerter image where the environment requires a digest',
      set: { alerter: { requireImageDigest: true }, kibana: { allowPlainHttp: true } },
      // the image is default.yaml's: the problem names the file that set the value
      file: defaultFile,
      key: 'alerter.image',
      allowed: /pinned by tag only, and alerter\.requireImageDigest is true: append the digest/,
    },
    {
      what: 'an alerter image that is not a reference',
      set: { alerter: { image: 'jertel/elastalert2' }, kibana: { allowPlainHttp: true } },
      file: envFile,
      key: 'alerter.image',
      allowed: /must be <repository>:<tag> or, pinned by digest/,
    },
    {
      what: 'an alerter image in ECR where the environment has no account and region',
      set: {
        alerter: { image: `111111111111.dkr.ecr.eu-west-1.amazonaws.com/elastalert2:2.31.0@sha256:${'a'.repeat(64)}` },
        kibana: { allowPlainHttp: true },
      },
      file: envFile,
      key: 'alerter.image',
      allowed: /an image in ECR needs the environment's account and region \(set both\)/,
    },
    {
      what: 'Kibana without a certificate and without the plain-HTTP opt-in',
      set: { kibana: { count: 1 } },
      file: envFile,
      key: 'kibana.certificateArn',
      allowed: /set kibana\.allowPlainHttp: true/,
    },
  ])('$what', ({ set, file, key, allowed }) => {
    const problems = problemsOf(set);
    const hit = problems.find((p) => p.includes(`: ${key}: `));
    expect({ problems, hit: hit !== undefined }).toMatchObject({ hit: true });
    expect(hit).toMatch(file);
    expect(hit).toMatch(allowed);
  });

  test('a bad value inherited from default.yaml names default.yaml', () => {
    const dir = folderWith({});
    fs.writeFileSync(
      path.join(dir, 'default.yaml'),
      fs.readFileSync(path.join(dir, 'default.yaml'), 'utf8').replace('version: 8.19.3', 'version: 8.19'),
    );
    let problems: readonly string[] = [];
    try {
      loadEnvironment('t', dir);
    } catch (e) {
      problems = (e as ConfigError).problems;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    expect(problems.find((p) => p.includes('elasticsearch.version'))).toMatch(defaultFile);
  });

  test('an unknown environment lists the known ones', () => {
    expect(() => loadEnvironment('nope')).toThrow(/no such environment "nope" \(known: ci, dev, production, staging\)/);
  });
});

describe('defaults and derived values', () => {
  test('Kibana from 8.11.2 on, and any version without Kibana', () => {
    expect(problemsOf({ elasticsearch: { version: '8.11.2' }, kibana: { allowPlainHttp: true } })).toEqual([]);
    expect(problemsOf({ elasticsearch: { version: '8.8.2' }, kibana: { count: 0, allowPlainHttp: true } })).toEqual([]);
    expect(versionBefore('8.8.9', '8.9.0')).toBe(true);
    expect(versionBefore('8.10.0', '8.9.0')).toBe(false);
    expect(versionBefore('9.0.0', '8.19.3')).toBe(false);
    expect(versionBefore('8.9.0', '8.9.0')).toBe(false);
  });

  test('natGateways defaults to 1 and production runs one per AZ', () => {
    expect(problemsOf({ kibana: { allowPlainHttp: true } })).toEqual([]);
    expect(loadEnvironment('dev').vpc.natGateways).toBe(1);
    expect(loadEnvironment('production').vpc.natGateways).toBe(3);
  });

  test.each([
    ['t3.small', 1024],
    ['r6i.large', 8192],
    ['r6i.2xlarge', 31744],
    ['r6i.4xlarge', 31744],
  ])('the heap of %s is %i MiB (half of memory, below 31 GiB)', (type, mib) => {
    expect(heapMiB(type)).toBe(mib);
  });
});
