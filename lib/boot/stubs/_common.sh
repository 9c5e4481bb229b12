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
# Builtins only: a stub runs hundreds of times per fleet, and every cat or sed is one more process.
key_file() { local k="${1//\//%2F}"; printf '%s' "${k//:/%3A}"; }
identity() { local v=""; IFS= read -r -d '' v <"$NODE_STATE/identity/$1" || true; printf '%s' "$v"; }
# Whether FILE has the line LINE (grep -qx without a process).
has_line() {
  local line
  [ -f "$1" ] || return 1
  while IFS= read -r line; do [ "$line" != "$2" ] || return 0; done <"$1"
  return 1
}
# Whether a passwd/group-style file has an entry NAME (a line "NAME:..."), and prints it (no grep process).
db_has() {
  local line
  [ -f "$1" ] || return 1
  while IFS= read -r line; do [[ "$line" != "$2:"* ]] || { printf '%s\n' "$line"; return 0; }; done <"$1"
  return 1
}
# Auto Scaling membership of an instance, as EC2 reports its aws:autoscaling:groupName tag. The rehearsal writes
# membership/<id> at launch: "<group>" (Auto Scaling launched it: a member from the start) or "<group> <n>" (launched
# outside the group and attached later: the tag appears from the n-th describe-instances of it on, counted in
# membership/<id>.looks); no file: never attached. Prints the group and succeeds when the instance is a member now.
asg_member() {
  local f="$WORLD/membership/$1" group="" after="" looks=0
  [ -f "$f" ] || return 1
  read -r group after <"$f" || true
  [ -n "$group" ] || return 1
  if [ -n "$after" ]; then
    [ ! -f "$f.looks" ] || read -r looks <"$f.looks" || true
    [ "$looks" -ge "$after" ] || return 1
  fi
  printf '%s' "$group"
}
