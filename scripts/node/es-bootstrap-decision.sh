#!/usr/bin/env bash
# Decides, on a booting master-eligible node, whether this boot is the very first formation of the cluster
# (print "bootstrap <id>,<id>,<id>": the node sets cluster.initial_master_nodes to exactly these instance ids)
# or anything else (print "join": the node never sets cluster.initial_master_nodes and joins through discovery).
# The reason goes to stderr. Exit code 0 in both cases; non-zero only on bad input.
#
# Inputs (environment):
#   ELK_INSTANCE_ID         this instance's id (node.name)
#   ELK_REGION              AWS region
#   ELK_MARKER_PARAMETER    SSM parameter written once the cluster has formed ("<stack id> <cluster uuid>")
#   ELK_STACK_ID            this stack's id; a marker of another (deleted) stack is stale and ignored
#   ELK_DISCOVERY_TAG       value of the elk-cdk:cluster tag on this cluster's instances
#   ELK_MASTER_COUNT        desired size of the master group
#   ELK_FORMATION_WINDOW_SECONDS  masters launched this far apart are not one first formation (default 300;
#                           the groups ignore EC2 health for 600 s, so a health replacement always launches later)
#   ELK_DECISION_ATTEMPTS   how often to look for the full set of first masters (default 60)
#   ELK_DECISION_SLEEP      seconds between looks (default 10)
#
# Rules, in order (the first that applies wins):
#   1. the marker holds this stack's id                       -> join (the cluster formed before)
#   2. another master was launched > window before this one   -> join (this is a replacement)
#   3. more masters are running than the group's size         -> join (a surge: replacement in flight)
#   4. exactly ELK_MASTER_COUNT masters, this one among them, all launched within the window
#                                                             -> bootstrap with their ids, sorted
#   5. fewer masters than the group's size: look again; when the attempts run out -> join
#      (never bootstrap on doubt: a node that joins can be bootstrapped by hand, a second cluster cannot be undone);
#      when EC2 never answered at all: fail (exit 2), naming it, rather than join a cluster no one may form
set -euo pipefail

die() {
  echo "es-bootstrap-decision: $*" >&2
  exit 2
}
say() { echo "es-bootstrap-decision: $*" >&2; }

: "${ELK_INSTANCE_ID:?ELK_INSTANCE_ID is required}"
: "${ELK_REGION:?ELK_REGION is required}"
: "${ELK_MARKER_PARAMETER:?ELK_MARKER_PARAMETER is required}"
: "${ELK_STACK_ID:?ELK_STACK_ID is required}"
: "${ELK_DISCOVERY_TAG:?ELK_DISCOVERY_TAG is required}"
: "${ELK_MASTER_COUNT:?ELK_MASTER_COUNT is required}"
WINDOW="${ELK_FORMATION_WINDOW_SECONDS:-300}"
ATTEMPTS="${ELK_DECISION_ATTEMPTS:-60}"
SLEEP="${ELK_DECISION_SLEEP:-10}"
for n in "$ELK_MASTER_COUNT" "$WINDOW" "$ATTEMPTS" "$SLEEP"; do
  case "$n" in '' | *[!0-9]*) die "numeric input expected, got '$n'" ;; esac
done

# 1. The formation marker.
marker="$(aws ssm get-parameter --region "$ELK_REGION" --name "$ELK_MARKER_PARAMETER" \
  --query Parameter.Value --output text 2>/dev/null || true)"
if [ -n "$marker" ] && [ "${marker%% *}" = "$ELK_STACK_ID" ]; then
  say "join: formation marker $ELK_MARKER_PARAMETER is present (${marker#* })"
  echo join
  exit 0
fi
if [ -n "$marker" ]; then
  say "ignoring a stale formation marker of another stack (${marker%% *})"
fi

attempt=1
listed=""
while :; do
  # One line per master: "<instance id> <launch time>".
  if listing="$(aws ec2 describe-instances --region "$ELK_REGION" \
    --filters "Name=tag:elk-cdk:cluster,Values=$ELK_DISCOVERY_TAG" "Name=tag:elk-cdk:role,Values=master" \
    "Name=instance-state-name,Values=pending,running" \
    --query 'Reservations[].Instances[].[InstanceId,LaunchTime]' --output text 2>/dev/null)"; then
    listed=yes
  else
    listing=""
  fi
  ids=()
  self_launch=""
  min_launch=""
  max_launch=""
  while read -r id launched; do
    [ -n "${id:-}" ] || continue
    epoch="$(date -d "$launched" +%s 2>/dev/null)" || continue
    ids+=("$id")
    if [ "$id" = "$ELK_INSTANCE_ID" ]; then self_launch="$epoch"; fi
    if [ -z "$min_launch" ] || [ "$epoch" -lt "$min_launch" ]; then min_launch="$epoch"; fi
    if [ -z "$max_launch" ] || [ "$epoch" -gt "$max_launch" ]; then max_launch="$epoch"; fi
  done <<<"$listing"

  if [ -n "$self_launch" ] && [ $((self_launch - min_launch)) -gt "$WINDOW" ]; then
    say "join: another master was launched $((self_launch - min_launch)) s before this one (window ${WINDOW} s): this is a replacement"
    echo join
    exit 0
  fi
  if [ "${#ids[@]}" -gt "$ELK_MASTER_COUNT" ]; then
    say "join: ${#ids[@]} masters run for a group of $ELK_MASTER_COUNT: a replacement is in flight"
    echo join
    exit 0
  fi
  if [ "${#ids[@]}" -eq "$ELK_MASTER_COUNT" ] && [ -n "$self_launch" ]; then
    if [ $((max_launch - min_launch)) -gt "$WINDOW" ]; then
      say "join: the masters were launched $((max_launch - min_launch)) s apart: not a first formation"
      echo join
      exit 0
    fi
    sorted="$(printf '%s\n' "${ids[@]}" | sort | paste -sd, -)"
    say "bootstrap: no formation marker and $ELK_MASTER_COUNT masters launched together: $sorted"
    echo "bootstrap $sorted"
    exit 0
  fi
  if [ "$attempt" -ge "$ATTEMPTS" ] && [ -z "$listed" ]; then
    die "EC2 DescribeInstances failed $attempt times: cannot tell a first formation from a replacement"
  fi
  if [ "$attempt" -ge "$ATTEMPTS" ]; then
    say "join: saw ${#ids[@]} of $ELK_MASTER_COUNT masters after $attempt looks; not bootstrapping on doubt (see docs/cluster.md, first bootstrap)"
    echo join
    exit 0
  fi
  attempt=$((attempt + 1))
  sleep "$SLEEP"
done
