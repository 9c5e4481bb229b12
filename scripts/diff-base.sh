#!/usr/bin/env bash
# npm run diff:base [-- <elkctl diff options>]
#
# Synthesizes the merge base of HEAD and the base branch in a temporary `git worktree`, synthesizes the working
# tree, and compares the two offline with `elkctl diff`. Options after `--` go to elkctl diff, e.g.
#   npm run diff:base -- --format markdown --fail-on replacement
#
# Environment:
#   DIFF_BASE_REF      branch or commit to diff against (default: origin/main if it exists, else main)
#   DIFF_BASE_INSTALL  auto | link | ci: how the base worktree gets node_modules. link = symlink this checkout's,
#                      ci = npm ci in the worktree; auto (default) = link unless package-lock.json differs
#   DIFF_HEAD_OUT      an existing synth of the working tree to use instead of synthesizing again (e.g. cdk.out)
#   DIFF_KEEP          1 = keep the temporary folder (its path is printed) for a closer look
# Exit code: that of elkctl diff (0, or 1 with --fail-on and a matching change); 2 when the setup or a synth fails.
set -euo pipefail

root=$(git rev-parse --show-toplevel)
cd "$root"
export NPM_CONFIG_UPDATE_NOTIFIER=false CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true

ref=${DIFF_BASE_REF:-}
if [ -z "$ref" ]; then
  if git rev-parse --verify --quiet origin/main >/dev/null; then ref=origin/main; else ref=main; fi
fi
if ! base=$(git merge-base HEAD "$ref" 2>/dev/null); then
  echo "diff:base: no merge base between HEAD and '$ref'. Fetch it (git fetch origin main; in CI check out with fetch-depth: 0) or set DIFF_BASE_REF." >&2
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/elk-diff-base.XXXXXX")
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  git -C "$root" worktree remove --force "$tmp/base" >/dev/null 2>&1 || true
  git -C "$root" worktree prune >/dev/null 2>&1 || true
  if [ "${DIFF_KEEP:-0}" = 1 ]; then echo "diff:base: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

echo "diff:base: base is $(git rev-parse --short "$base") (merge base of HEAD and $ref)" >&2
git worktree add --detach --quiet "$tmp/base" "$base"

install=${DIFF_BASE_INSTALL:-auto}
if [ "$install" = auto ]; then
  if git diff --quiet "$base" -- package-lock.json; then install='link'; else install='ci'; fi
fi
case "$install" in
  link)
    # A real folder of symlinks, not one symlink: .gitignore's "node_modules/" matches folders only, and an
    # untracked symlink would make the base build look dirty.
    mkdir "$tmp/base/node_modules"
    for entry in "$root"/node_modules/* "$root"/node_modules/.bin; do ln -s "$entry" "$tmp/base/node_modules/"; done
    ;;
  ci) (cd "$tmp/base" && npm ci --no-audit --no-fund >&2) ;;
  *)
    echo "diff:base: DIFF_BASE_INSTALL must be auto, link or ci (got '$install')" >&2
    exit 2
    ;;
esac

echo "diff:base: synthesizing the base" >&2
# Without the CI's branch variables, so the base build's version names its own commit, not the pull request's branch.
if ! (cd "$tmp/base" && env -u GITHUB_HEAD_REF -u GITHUB_REF_NAME -u GITHUB_REF_TYPE -u CI_MERGE_REQUEST_SOURCE_BRANCH_NAME \
  -u CI_COMMIT_BRANCH -u BRANCH_NAME -u ELK_VERSION ./node_modules/.bin/cdk synth --quiet --no-lookups --output "$tmp/base.out" >&2); then
  echo "diff:base: synthesizing the base ($(git rev-parse --short "$base")) failed; see above" >&2
  exit 2
fi

head_out=${DIFF_HEAD_OUT:-}
if [ -z "$head_out" ]; then
  echo "diff:base: synthesizing the working tree" >&2
  if ! ./node_modules/.bin/cdk synth --quiet --no-lookups --output "$tmp/head.out" >&2; then
    echo "diff:base: synthesizing the working tree failed; see above" >&2
    exit 2
  fi
  head_out="$tmp/head.out"
fi

set +e
node bin/elkctl.js diff --base "$tmp/base.out" --head "$head_out" \
  --base-label "$ref @ $(git rev-parse --short "$base") (merge base)" \
  --head-label "${GITHUB_HEAD_REF:-$(git rev-parse --abbrev-ref HEAD)} @ $(git rev-parse --short HEAD)$(git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')" \
  "$@"
rc=$?
set -e
exit "$rc"
