#!/usr/bin/env bash
# shellcheck disable=SC1091,SC2015,SC2016 # test doubles: sourced helper, guard-or-fail lines, literal sh -c
# Sourced by the rehearsal's stub commands. Each node runs with
#   ELK_ROOT              its sandbox root (the root prefix every boot script honours)
#   ELK_REHEARSAL_WORLD   the fake AWS state shared by the fleet (files, one lock)
# and keeps its own state in $ELK_ROOT/.rehearsal. Every call is logged, one line, in calls.log.
NODE_STATE="$ELK_ROOT/.rehearsal"
WORLD="$ELK_REHEARSAL_WORLD"
STUB="${0##*/}"
printf '%s\n' "$STUB $*" >>"$NODE_STATE/calls.log"

stub_fail() {
  echo "rehearsal stub $STUB: $*" >&2
  printf '%s\n' "$STUB: $*" >>"$NODE_STATE/stub-errors.log"
  exit "${2:-1}"
}
# A boundary that is down (tests of failing steps): ELK_REHEARSAL_FAIL is a glob over "<command> <arguments>", and
# every matching call fails as that command would, with its exit status 1.
if [ -n "${ELK_REHEARSAL_FAIL:-}" ]; then
  # shellcheck disable=SC2254 # a glob on purpose
  case "$STUB $*" in $ELK_REHEARSAL_FAIL) stub_fail "injected failure of '$STUB $*' (ELK_REHEARSAL_FAIL)" 1 ;; esac
fi
# Runs "$@" holding the fleet's lock (the fake AWS is one consistent state).
with_lock() { flock "$WORLD/lock" "$@"; }
# File name of a key (SSM parameter name, secret id): one path segment.
key_file() { printf '%s' "$1" | sed 's|/|%2F|g; s|:|%3A|g'; }
identity() { cat "$NODE_STATE/identity/$1"; }
