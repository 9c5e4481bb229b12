import { computeVersion, GitFacts, isPrerelease, sanitizeIdentifier, SEMVER, VersionError } from '../../lib/version';

const clean = (over: Partial<GitFacts> = {}): GitFacts => ({
  sha: '1a2b3c4',
  branch: 'main',
  dirty: false,
  commitCount: 57,
  ...over,
});

describe('computeVersion', () => {
  test.each([
    ['clean main, no CI: build number is the commit count', clean(), {}, '0.1.0+57.1a2b3c4', false],
    [
      'clean main on GitHub Actions: build number is the run number',
      clean(),
      { GITHUB_RUN_NUMBER: '312' },
      '0.1.0+312.1a2b3c4',
      false,
    ],
    ['clean main on GitLab: pipeline iid', clean(), { CI_PIPELINE_IID: '9' }, '0.1.0+9.1a2b3c4', false],
    [
      'feature branch is a pre-release named after the branch',
      clean({ branch: 'feature/faster-roll' }),
      {},
      '0.1.0-feature-faster-roll.1a2b3c4',
      true,
    ],
    ['dirty main is a pre-release marked dirty', clean({ dirty: true }), {}, '0.1.0-main.1a2b3c4.dirty', true],
    ['dirty branch is marked dirty', clean({ branch: 'fix_1', dirty: true }), {}, '0.1.0-fix-1.1a2b3c4.dirty', true],
    ['detached HEAD outside CI', clean({ branch: undefined }), {}, '0.1.0-detached.1a2b3c4', true],
    [
      'GitHub pull request: detached merge commit, branch from GITHUB_HEAD_REF',
      clean({ branch: undefined }),
      { GITHUB_HEAD_REF: 'renovate/aws-cdk-lib-2.x', GITHUB_RUN_NUMBER: '5' },
      '0.1.0-renovate-aws-cdk-lib-2-x.1a2b3c4',
      true,
    ],
    [
      'GitHub push to main checked out detached: branch from GITHUB_REF_NAME',
      clean({ branch: undefined }),
      { GITHUB_REF_TYPE: 'branch', GITHUB_REF_NAME: 'main', GITHUB_RUN_NUMBER: '77' },
      '0.1.0+77.1a2b3c4',
      false,
    ],
    [
      'a tag build is not a branch: detached',
      clean({ branch: undefined }),
      { GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'v0.1.0' },
      '0.1.0-detached.1a2b3c4',
      true,
    ],
    [
      'an all-digit sha gets a g prefix (numeric identifiers may not start with 0)',
      clean({ branch: 'x', sha: '0123456' }),
      {},
      '0.1.0-x.g0123456',
      true,
    ],
    ['not a git checkout', { dirty: false }, {}, '0.1.0-unknown', true],
  ])('%s', (_name, git, env, expected, prerelease) => {
    const v = computeVersion('0.1.0', git, env);
    expect(v.version).toBe(expected);
    expect(v.prerelease).toBe(prerelease);
    expect(v.version).toMatch(SEMVER);
    expect(isPrerelease(v.version)).toBe(prerelease);
    if (prerelease) expect(v.reason).toEqual(expect.any(String));
  });

  test('other release branches can be configured', () => {
    expect(computeVersion('1.2.3', clean({ branch: 'release' }), {}, { releaseBranches: ['release'] }).version).toBe(
      '1.2.3+57.1a2b3c4',
    );
  });

  test('a pre-release package version makes every build a pre-release, main included', () => {
    const v = computeVersion('1.0.0-rc.1', clean(), {});
    expect(v.version).toBe('1.0.0-rc.1.main.1a2b3c4');
    expect(v.prerelease).toBe(true);
  });

  test('ELK_VERSION overrides the computed version and is validated', () => {
    expect(computeVersion('0.1.0', clean(), { ELK_VERSION: '0.1.0+ci.9' }).version).toBe('0.1.0+ci.9');
    expect(computeVersion('0.1.0', clean(), { ELK_VERSION: '0.1.0-rc.1' }).prerelease).toBe(true);
    expect(() => computeVersion('0.1.0', clean(), { ELK_VERSION: 'v1' })).toThrow(/ELK_VERSION is "v1".*SemVer/);
  });

  test('rejects a package.json version that is not SemVer, naming the file and field', () => {
    expect(() => computeVersion('1.2', clean(), {})).toThrow(VersionError);
    expect(() => computeVersion('v1.2.3', clean(), {})).toThrow(/package\.json: "version" is "v1\.2\.3"/);
  });
});

describe('sanitizeIdentifier', () => {
  test.each([
    ['feature/x', 'feature-x'],
    ['Feature/ÄÖ..weird__name', 'Feature-weird-name'],
    ['--leading-and-trailing--', 'leading-and-trailing'],
    ['///', 'branch'],
    ['007', 'b007'],
    ['42', '42'],
    ['a'.repeat(60), 'a'.repeat(40)],
  ])('%s → %s', (raw, id) => {
    expect(sanitizeIdentifier(raw)).toBe(id);
    expect(`0.0.0-${sanitizeIdentifier(raw)}`).toMatch(SEMVER);
  });
});
