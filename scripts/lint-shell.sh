#!/usr/bin/env bash
# npm run lint:shell (part of npm run lint): shellcheck every shell script of the repository: the on-instance
# scripts, the repository's own scripts (diff:base, this one, .ci/run) the test stubs and the boot rehearsal's stubs. Not part of npm test, so
# that the tests need nothing but Node.js; .ci/run installs shellcheck with apt-get before it lints.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v shellcheck >/dev/null 2>&1; then
  echo "lint:shell: shellcheck not found; install it (apt-get install shellcheck, brew install shellcheck) and run again" >&2
  exit 2
fi

files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(
  git ls-files -z --cached --others --exclude-standard -- '*.sh' '.ci/run' 'test/*/stubs/*' 'lib/boot/stubs/*' 2>/dev/null ||
    find scripts .ci test lib -type f \( -name '*.sh' -o -path '.ci/run' -o -path 'test/*/stubs/*' -o -path 'lib/boot/stubs/*' \) -print0
)
if [ "${#files[@]}" -eq 0 ]; then
  echo "lint:shell: no shell script found" >&2
  exit 2
fi
shellcheck --shell=bash --severity=style "${files[@]}"
echo "lint:shell: ${#files[@]} scripts pass shellcheck" >&2
