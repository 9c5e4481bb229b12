import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BuildVersion, computeVersion, Env, GitFacts, VersionOptions } from './version';

/** The project root (lib/version → ../..). */
export const PROJECT_ROOT = path.join(__dirname, '..', '..');

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10000,
    }).trim();
  } catch {
    return undefined;
  }
}

/** Thin reader: asks git about the working tree at `cwd`. Never throws; unknown facts stay undefined. */
export function readGitFacts(cwd: string = PROJECT_ROOT): GitFacts {
  const sha = git(cwd, ['rev-parse', '--short=7', 'HEAD']);
  if (!sha) return { dirty: false };
  const branch = git(cwd, ['symbolic-ref', '--short', '-q', 'HEAD']) || undefined;
  const status = git(cwd, ['status', '--porcelain', '--untracked-files=normal']);
  const count = git(cwd, ['rev-list', '--count', 'HEAD']);
  return {
    sha,
    branch,
    dirty: status === undefined ? true : status !== '',
    commitCount: count !== undefined && /^\d+$/.test(count) ? Number(count) : undefined,
  };
}

/** package.json's "version" at `root`. */
export function readPackageVersion(root: string = PROJECT_ROOT): string {
  const file = path.join(root, 'package.json');
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error(`${file}: "version" is missing: set it to X.Y.Z`);
  return pkg.version;
}

/** The version of the build in `root`: package.json + git + CI environment. */
export function readBuildVersion(
  root: string = PROJECT_ROOT,
  env: Env = process.env,
  options?: VersionOptions,
): BuildVersion {
  return computeVersion(readPackageVersion(root), readGitFacts(root), env, options);
}
