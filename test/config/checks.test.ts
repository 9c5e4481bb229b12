import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, DEFAULT_CONFIG_DIR, loadEnvironment } from '../../lib/config';
import { PROJECT_ROOT } from '../helpers/app';

/** Problems of an environment file written as raw YAML text (so numbers stay numbers), beside the real defaults. */
function problemsOfYaml(text: string): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-config-checks-'));
  try {
    fs.copyFileSync(path.join(DEFAULT_CONFIG_DIR, 'default.yaml'), path.join(dir, 'default.yaml'));
    fs.writeFileSync(path.join(dir, 't.yaml'), text);
    loadEnvironment('t', dir);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const base =
  `account: '111111111111'\nregion: eu-west-1\nkibana:\n  allowPlainHttp: true\n` +
  `vpc:\n  availabilityZones: [eu-west-1a, eu-west-1b, eu-west-1c]\n`;

describe('config checks that synth used to miss', () => {
  test('a number where a string is required: "quote it"', () => {
    const p = problemsOfYaml(`account: 011111111111\nregion: eu-west-1\nelasticsearch:\n  version: 8.19\n`);
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/t\.yaml: account: must be a string, but YAML read the number 11111111111: quote it/),
        expect.stringMatching(
          /t\.yaml: elasticsearch\.version: must be a string, but YAML read the number 8\.19: quote it/,
        ),
      ]),
    );
  });

  test.each(['10.0.0.0/33', '10.0.0.0/8', '10.300.0.0/16'])('the CIDR %s is refused', (cidr) => {
    expect(problemsOfYaml(`${base.replace('vpc:\n', `vpc:\n  cidr: ${cidr}\n`)}`)).toEqual([
      expect.stringMatching(/t\.yaml: vpc\.cidr: must be an IPv4 CIDR with octets 0-255 and a prefix of \/16 to \/28/),
    ]);
  });

  test('Availability Zones of another region are refused by name', () => {
    const p = problemsOfYaml(base.replace('eu-west-1a', 'us-east-1a'));
    expect(p).toEqual([
      expect.stringMatching(/vpc\.availabilityZones\.0: us-east-1a is not in the environment's region eu-west-1/),
    ]);
  });

  test('a certificate of another region or account is refused', () => {
    const other = base.replace(
      'kibana:\n',
      'kibana:\n  certificateArn: arn:aws:acm:us-east-1:222222222222:certificate/0123-abcd\n',
    );
    const p = problemsOfYaml(other);
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/kibana\.certificateArn: is in region us-east-1, but the load balancer is in eu-west-1/),
        expect.stringMatching(
          /kibana\.certificateArn: belongs to account 222222222222, not to the environment's account 111111111111/,
        ),
      ]),
    );
    const own = base.replace(
      'kibana:\n',
      'kibana:\n  certificateArn: arn:aws:acm:eu-west-1:111111111111:certificate/0123-abcd\n',
    );
    expect(problemsOfYaml(own)).toEqual([]);
  });

  test('npm run synth with a config error prints the problems, no stack trace, and exits 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-config-synth-'));
    try {
      fs.copyFileSync(path.join(DEFAULT_CONFIG_DIR, 'default.yaml'), path.join(dir, 'default.yaml'));
      fs.writeFileSync(path.join(dir, 'bad.yaml'), 'account: 011111111111\nregion: eu-west-1\n');
      const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(PROJECT_ROOT, 'bin', 'app.ts')], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: { ...process.env, ELK_CONFIG_DIR: dir, CDK_OUTDIR: path.join(dir, 'out') },
      });
      expect(r.stderr).toMatch(/bad\.yaml: account: must be a string.*quote it/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.status).toBe(1);
      expect(fs.existsSync(path.join(dir, 'out', 'manifest.json'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('rollout.method and rollout.maxSurge default to auto and 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-config-rollout-'));
    try {
      fs.copyFileSync(path.join(DEFAULT_CONFIG_DIR, 'default.yaml'), path.join(dir, 'default.yaml'));
      fs.writeFileSync(path.join(dir, 't.yaml'), base);
      const c = loadEnvironment('t', dir);
      expect(c.rollout.method).toBe('auto');
      expect(c.rollout.maxSurge).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('rollout.maxSurge above the data node count is refused with the count', () => {
    const p = problemsOfYaml(`${base}elasticsearch:\n  dataNodes:\n    count: 3\nrollout:\n  maxSurge: 4\n`);
    expect(p).toEqual([
      expect.stringMatching(/t\.yaml: rollout\.maxSurge: is 4: at most elasticsearch\.dataNodes\.count \(3\)/),
    ]);
    expect(problemsOfYaml(`${base}elasticsearch:\n  dataNodes:\n    count: 3\nrollout:\n  maxSurge: 3\n`)).toEqual([]);
  });

  test.each([0, 1.5])('rollout.maxSurge %s is refused', (n) => {
    expect(problemsOfYaml(`${base}rollout:\n  maxSurge: ${n}\n`)).toEqual([
      expect.stringMatching(/t\.yaml: rollout\.maxSurge: /),
    ]);
  });

  test('rollout.method handoff, drain and auto pass (data volumes outlive their instances); another value is refused', () => {
    expect(problemsOfYaml(`${base}rollout:\n  method: handoff\n`)).toEqual([]);
    expect(problemsOfYaml(`${base}rollout:\n  method: drain\n`)).toEqual([]);
    expect(problemsOfYaml(`${base}rollout:\n  method: auto\n`)).toEqual([]);
    expect(problemsOfYaml(`${base}rollout:\n  method: fast\n`)).toEqual([expect.stringMatching(/rollout\.method/)]);
  });
});
