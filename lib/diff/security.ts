import { fullDiff, TemplateDiff } from '@aws-cdk/cloudformation-diff';
import type { Template } from './assembly';
import { readableCell } from './intrinsics';

/** How the tables show an asset's key (a sha256 of its content) after normalization. */
export const ASSET_KEY = '<asset>';
const ASSET_HASH = /\b[0-9a-f]{64}\b/g;

/** IAM and security-group changes of one stack. */
export interface SecurityChanges {
  /** True when IAM statements, managed policies or security-group rules change (asset keys aside). */
  readonly changed: boolean;
  /** True when permissions or network access widen. */
  readonly broadened: boolean;
  /** Tables (header row first), logical ids replaced by construct paths, intrinsics rendered readably. */
  readonly iamStatements: string[][];
  readonly managedPolicies: string[][];
  readonly securityGroups: string[][];
  /** IAM statements that differ only in an asset's key (new code or rule bundle): not a security change. */
  readonly assetKeyOnly: boolean;
}

export const NO_SECURITY_CHANGE: SecurityChanges = {
  changed: false,
  broadened: false,
  iamStatements: [],
  managedPolicies: [],
  securityGroups: [],
  assetKeyOnly: false,
};

/**
 * Every asset hash (64 hex digits: S3 keys like `<hash>.zip`, image tags) replaced by ASSET_KEY. A grant on "the
 * object of this asset" stays the same grant when the asset's content, hence its key, changes: a new rule or a new
 * Lambda build must not look like a permission change.
 */
export function withoutAssetKeys<T>(v: T): T {
  return JSON.parse(JSON.stringify(v), (_k, x: unknown) =>
    typeof x === 'string' ? x.replace(ASSET_HASH, ASSET_KEY) : x,
  ) as T;
}

/**
 * Security changes between two templates: cloudformation-diff's IAM and security-group analysis of the templates
 * with asset keys normalized, cells made readable by `cell` (construct paths) and readableCell (intrinsics).
 */
export function securityChanges(
  base: Template,
  head: Template,
  cell: (rows: string[][]) => string[][] = (r) => r,
  raw: TemplateDiff = fullDiff(base, head),
): SecurityChanges {
  if (!raw.iamChanges.hasChanges && !raw.securityGroupChanges.hasChanges) return NO_SECURITY_CHANGE;
  const diff = fullDiff(withoutAssetKeys(base), withoutAssetKeys(head));
  const iam = diff.iamChanges;
  const sg = diff.securityGroupChanges;
  const readable = (rows: string[][]) => cell(rows).map((row) => row.map(readableCell));
  const changed = iam.hasChanges || sg.hasChanges;
  return {
    changed,
    broadened: changed && diff.permissionsBroadened,
    iamStatements: iam.statements.hasChanges ? readable(iam.summarizeStatements()) : [],
    managedPolicies: iam.managedPolicies.hasChanges ? readable(iam.summarizeManagedPolicies()) : [],
    securityGroups: sg.hasChanges ? readable(sg.summarize()) : [],
    assetKeyOnly: !changed && raw.iamChanges.hasChanges,
  };
}
