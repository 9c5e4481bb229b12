/**
 * Build versions: SemVer from package.json plus what git and the CI say about this build.
 *
 * Pure: a function of (package version, git facts, environment variables). The thin git reader is in ./git.ts.
 *
 * - A clean build of a release branch (main):   X.Y.Z+<build>.<sha>          (a release; build metadata only)
 * - Any other branch, or a dirty tree:          X.Y.Z-<branch>.<sha>[.dirty] (a pre-release)
 * - A detached HEAD outside CI:                 X.Y.Z-detached.<sha>[.dirty]
 * - Not a git checkout:                         X.Y.Z-unknown
 */

/** What git says about the working tree. `sha` is undefined when the folder is not a git checkout. */
export interface GitFacts {
  /** Abbreviated commit id of HEAD. */
  readonly sha?: string;
  /** Current branch; undefined on a detached HEAD. */
  readonly branch?: string;
  /** Tracked or untracked (not ignored) changes in the working tree. */
  readonly dirty: boolean;
  /** Number of commits reachable from HEAD (the build number outside CI). */
  readonly commitCount?: number;
}

export interface BuildVersion {
  /** The full SemVer string, e.g. 0.1.0+42.1a2b3c4 or 0.1.0-feature-x.1a2b3c4.dirty. */
  readonly version: string;
  /** X.Y.Z from package.json. */
  readonly packageVersion: string;
  /** True for anything that is not a clean build of a release branch. */
  readonly prerelease: boolean;
  /** Branch the build came from (CI's idea first, then git's); undefined when unknown or detached. */
  readonly branch?: string;
  readonly sha?: string;
  readonly dirty: boolean;
  /** Why the build is a pre-release, in words (undefined for a release). */
  readonly reason?: string;
}

export interface VersionOptions {
  /** Branches whose clean builds are releases. Default: ['main']. */
  readonly releaseBranches?: readonly string[];
}

export type Env = Readonly<Record<string, string | undefined>>;

// semver.org's regular expression, split for readability.
const NUM = '0|[1-9]\\d*';
const PRE_ID = `(?:${NUM}|\\d*[a-zA-Z-][0-9a-zA-Z-]*)`;
const BUILD_ID = '[0-9a-zA-Z-]+';
export const SEMVER = new RegExp(
  `^(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+(${BUILD_ID}(?:\\.${BUILD_ID})*))?$`,
);

export class VersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VersionError';
  }
}

/** True when the version string has a pre-release part (X.Y.Z-...). Build metadata does not count. */
export function isPrerelease(version: string): boolean {
  const m = SEMVER.exec(version);
  if (!m) throw new VersionError(`"${version}" is not a SemVer version (X.Y.Z[-pre][+build])`);
  return m[4] !== undefined;
}

/**
 * Turns a branch name into a dot-separated SemVer pre-release identifier: anything outside [0-9A-Za-z-]
 * becomes "-", runs of "-" collapse, at most 40 characters; an all-digit name with a leading zero (not a valid
 * numeric identifier) gets a "b" prefix.
 */
export function sanitizeIdentifier(raw: string): string {
  let id = raw
    .replace(/[^0-9A-Za-z-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  if (id === '') id = 'branch';
  if (/^0\d+$/.test(id)) id = `b${id}`;
  return id;
}

/** The sha as an identifier: an all-digit sha would be a numeric identifier (and one with a leading zero is invalid). */
function shaIdentifier(sha: string): string {
  return /^\d+$/.test(sha) ? `g${sha}` : sha;
}

/** The branch CI built, which git may not know (GitHub checks out pull requests on a detached merge commit). */
export function ciBranch(env: Env): string | undefined {
  const nonEmpty = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);
  return (
    nonEmpty(env.GITHUB_HEAD_REF) ?? // pull_request events: the PR's source branch
    (env.GITHUB_REF_TYPE === 'branch' ? nonEmpty(env.GITHUB_REF_NAME) : undefined) ??
    nonEmpty(env.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME) ?? // GitLab merge request pipelines
    nonEmpty(env.CI_COMMIT_BRANCH) ?? // GitLab branch pipelines
    nonEmpty(env.BRANCH_NAME) // Jenkins multibranch
  );
}

/** The build number CI gives, else undefined. */
export function ciBuildNumber(env: Env): string | undefined {
  for (const key of ['GITHUB_RUN_NUMBER', 'CI_PIPELINE_IID', 'BUILD_NUMBER']) {
    const v = env[key];
    if (v !== undefined && /^\d+$/.test(v)) return String(Number(v));
  }
  return undefined;
}

/**
 * Computes the build version. `ELK_VERSION` in the environment overrides everything (it must be valid SemVer),
 * for CI systems that compute their own.
 */
export function computeVersion(
  packageVersion: string,
  git: GitFacts,
  env: Env,
  options: VersionOptions = {},
): BuildVersion {
  const base = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/.exec(packageVersion);
  if (!base || !SEMVER.test(packageVersion)) {
    throw new VersionError(
      `package.json: "version" is "${packageVersion}": it must be SemVer X.Y.Z (for example 0.1.0); ` +
        'build metadata is added by the build, do not write it there',
    );
  }
  const override = env.ELK_VERSION?.trim();
  if (override) {
    if (!SEMVER.test(override)) {
      throw new VersionError(
        `ELK_VERSION is "${override}": it must be SemVer (X.Y.Z[-pre][+build]); unset it to derive the version from git`,
      );
    }
    const prerelease = isPrerelease(override);
    return {
      version: override,
      packageVersion,
      prerelease,
      dirty: git.dirty,
      sha: git.sha,
      branch: ciBranch(env) ?? git.branch,
      reason: prerelease ? 'ELK_VERSION is a pre-release' : undefined,
    };
  }
  const releaseBranches = options.releaseBranches ?? ['main'];
  // The package version may itself be a pre-release (1.0.0-rc.1): then every build is one, we append our parts.
  const packagePre = base[4] !== undefined;
  const join = (ids: string[]) =>
    packagePre ? `${packageVersion}.${ids.join('.')}` : `${packageVersion}-${ids.join('.')}`;

  if (git.sha === undefined) {
    return {
      version: join(['unknown']),
      packageVersion,
      prerelease: true,
      dirty: false,
      reason: 'not built from a git checkout',
    };
  }
  const sha = shaIdentifier(git.sha);
  const branch = ciBranch(env) ?? git.branch;
  const dirty = git.dirty;
  const release = !dirty && branch !== undefined && releaseBranches.includes(branch);
  if (release && !packagePre) {
    const build = ciBuildNumber(env) ?? (git.commitCount !== undefined ? String(git.commitCount) : '0');
    return { version: `${packageVersion}+${build}.${sha}`, packageVersion, prerelease: false, branch, sha, dirty };
  }
  const ids = [branch === undefined ? 'detached' : sanitizeIdentifier(branch), sha, ...(dirty ? ['dirty'] : [])];
  const reason = packagePre
    ? `package.json's version ${packageVersion} is a pre-release`
    : branch === undefined
      ? 'built from a detached HEAD (no branch)'
      : dirty
        ? `built from a working tree with uncommitted changes (branch ${branch})`
        : `built from branch ${branch}, not from ${releaseBranches.join(' or ')}`;
  return { version: join(ids), packageVersion, prerelease: true, branch, sha, dirty, reason };
}
