import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  describeFailure,
  EXIT_BAD_INPUT,
  EXIT_SERVICE,
  NO_CREDENTIALS,
  noCredentialsForProfile,
} from '../../lib/cli/errors';
import { PROJECT_ROOT } from '../helpers/app';

const named = (name: string, message: string, extra: object = {}) =>
  Object.assign(Object.assign(new Error(message), { name }), extra);

describe('describeFailure', () => {
  test('missing AWS credentials: one line that says where it looked and how to set AWS_PROFILE', () => {
    const r = describeFailure(named('CredentialsProviderError', 'Could not load credentials from any providers'));
    expect(r).toEqual({ code: EXIT_SERVICE, message: NO_CREDENTIALS });
    expect(r.message).toContain('AWS_PROFILE');
    expect(r.message).not.toContain('\n');
  });

  test('with AWS_PROFILE set, the line names that profile and how to check it', () => {
    const err = named('CredentialsProviderError', 'Could not load credentials from any providers');
    const r = describeFailure(err, { AWS_PROFILE: 'nope' });
    expect(r.code).toBe(EXIT_SERVICE);
    expect(r.message).toMatch(/^no usable AWS credentials for AWS_PROFILE=nope .*aws sso login --profile nope$/);
    expect(r.message).not.toContain('\n');
    expect(describeFailure(err, { AWS_PROFILE: '' }).message).toBe(NO_CREDENTIALS);
  });

  test('expired credentials say so', () => {
    const r = describeFailure(named('ExpiredTokenException', 'The security token included in the request is expired'));
    expect(r.code).toBe(EXIT_SERVICE);
    expect(r.message).toMatch(/expired/);
  });

  test.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:9200'), { code: 'ECONNREFUSED' })],
    ['DNS', Object.assign(new Error('getaddrinfo ENOTFOUND es.internal'), { code: 'ENOTFOUND' })],
    ['Elasticsearch client', named('ConnectionError', 'connect ETIMEDOUT')],
    ['AWS service error', named('AccessDeniedException', 'not authorized', { $metadata: { httpStatusCode: 403 } })],
    [
      'wrapped',
      Object.assign(new Error('lookup failed'), { cause: Object.assign(new Error('x'), { code: 'EAI_AGAIN' }) }),
    ],
  ])('%s is a service failure (exit 4), not bad input', (_what, err) => {
    expect(describeFailure(err).code).toBe(EXIT_SERVICE);
  });

  test('anything else is bad input (exit 2) with its message', () => {
    expect(describeFailure(new Error('config/environments/x.yaml: not found'))).toEqual({
      code: EXIT_BAD_INPUT,
      message: 'config/environments/x.yaml: not found',
    });
  });
});

describe('elkctl usage errors exit 2', () => {
  const elkctl = (...args: string[]) =>
    spawnSync(
      path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(PROJECT_ROOT, 'bin', 'elkctl.ts'), ...args],
      {
        encoding: 'utf8',
        cwd: PROJECT_ROOT,
      },
    );

  test.each([
    [['rules', 'check'], /required option '--env <name>'/],
    [['sim', 'run', '--scenario', 'x.json', '--seed', 'abc'], /must be an integer/],
    [['diff', '--base', 'a', '--head', 'b', '--no-such-option'], /unknown option '--no-such-option'/],
    [['roll', 'no-such-command', '--env', 'staging'], /unknown command 'no-such-command'/],
    // Read before any AWS client: no credentials needed to be told the folder is wrong.
    [['roll', 'wait', '--env', 'staging', '--cdk-out', 'no-such-dir'], /no-such-dir: no such folder; synthesize first/],
    [
      ['roll', 'wait', '--env', 'staging', '--cdk-out', 'x', '--rollout-id', 'r-1'],
      /--rollout-id or --cdk-out, not both/,
    ],
  ])('elkctl %j', (args, message) => {
    const r = elkctl(...args);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
  });

  test('--help is not an error', () => {
    const r = elkctl('--help');
    expect(r.stdout).toContain('Usage: elkctl');
    expect(r.status).toBe(0);
  });
});

describe('elkctl without AWS credentials (a new user on a laptop)', () => {
  test('with an AWS_PROFILE that does not exist: exit 4, one line naming the profile', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-no-creds-'));
    try {
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: home,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_PROFILE: 'nope',
      };
      const r = spawnSync(
        path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
        [path.join(PROJECT_ROOT, 'bin', 'elkctl.ts'), 'roll', 'pause', '--env', 'staging'],
        { encoding: 'utf8', cwd: PROJECT_ROOT, env },
      );
      expect({ status: r.status, stderr: r.stderr }).toEqual({
        status: 4,
        stderr: `elkctl: ${noCredentialsForProfile('nope')}\n`,
      });
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test.each([
    ['roll', 'pause'],
    ['roll', 'wait'],
  ])('elkctl %s %s: exit 4 and one line on stderr (no SDK message, no Node warning)', (...cmd) => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'elk-no-creds-'));
    try {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, AWS_EC2_METADATA_DISABLED: 'true' };
      const r = spawnSync(
        path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
        [path.join(PROJECT_ROOT, 'bin', 'elkctl.ts'), ...cmd, '--env', 'staging'],
        { encoding: 'utf8', cwd: PROJECT_ROOT, env },
      );
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 4, stderr: `elkctl: ${NO_CREDENTIALS}\n` });
      expect(r.stdout).toBe('');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
