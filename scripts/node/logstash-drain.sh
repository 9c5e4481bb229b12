#!/usr/bin/env bash
# Termination hook of a Logstash node (issue #23). Runs from first boot as elk-logstash-drain.service and watches the
# instance's Auto Scaling target lifecycle state (IMDS). When Auto Scaling terminates the instance (a rolling update,
# a scale-in, a health replacement, a person), the NLB has deregistered it, so new Beats connections go to the other
# nodes and, once the deregistration delay ends, the open ones are closed and reconnect elsewhere. The group's
# termination lifecycle hook holds the instance meanwhile; this script keeps it until Logstash's persistent queue
# has drained: it heartbeats the lifecycle action while events are left and completes it (CONTINUE) once the queue
# is empty, or after ELK_LS_DRAIN_TIMEOUT seconds, logging how many events were left. Logstash runs with
# queue.drain: true, so its own shutdown also empties what is left before it stops.
#
#   ELK_LS_DRAIN_TIMEOUT (1800)   seconds the termination may wait for the queue
#   ELK_LS_HEARTBEAT_EVERY (300)  seconds between heartbeats (below the hook's heartbeat timeout)
#   ELK_LS_DRAIN_POLL (10)        seconds between checks
#   ELK_LS_HOOK                   the lifecycle hook's name
#   ELK_LS_GROUP                  the Auto Scaling group (default: the physical id of ELK_SIGNAL_RESOURCE in
#                                 ELK_STACK_NAME, read from CloudFormation)
#   ELK_LS_API (http://localhost:9600)
# Prints one line per event ("logstash-drain: ..."). Never exits on a failed check: it looks again.
set -uo pipefail

BIN="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=/dev/null
. "$BIN/elk-boot-lib.sh"
trap - EXIT

say() { printf 'logstash-drain: %s\n' "$*"; }
now() { date +%s; }

elk_load_env || exit 2
TIMEOUT="${ELK_LS_DRAIN_TIMEOUT:-1800}"
EVERY="${ELK_LS_HEARTBEAT_EVERY:-300}"
POLL="${ELK_LS_DRAIN_POLL:-10}"
API="${ELK_LS_API:-http://localhost:9600}"
HOOK="${ELK_LS_HOOK:?ELK_LS_HOOK is required}"

# Events in the persistent queues of every pipeline (the sum of their queue.events_count); empty output when
# Logstash does not answer.
events_left() {
  local body
  body="$(curl -sf --max-time 5 "$API/_node/stats/pipelines" 2>/dev/null)" || return 0
  printf '%s' "$body" | grep -o '"events_count" *: *[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }'
}

lifecycle() {
  local action="$1"
  shift
  aws autoscaling "$action" --region "$ELK_REGION" --auto-scaling-group-name "$GROUP" \
    --lifecycle-hook-name "$HOOK" --instance-id "$ELK_INSTANCE_ID" "$@" >/dev/null
}

# 1. Wait until Auto Scaling terminates this instance.
while :; do
  # shellcheck disable=SC2034 # read by elk_imds
  ELK_IMDS_TOKEN="$(elk_imds_token 2>/dev/null || true)"
  state="$(elk_imds autoscaling/target-lifecycle-state 2>/dev/null || true)"
  [ "$state" = "Terminated" ] && break
  sleep "$POLL"
done
ELK_INSTANCE_ID="${ELK_INSTANCE_ID:-$(elk_imds instance-id)}"
GROUP="${ELK_LS_GROUP:-}"
while [ -z "$GROUP" ]; do
  GROUP="$(aws cloudformation describe-stack-resource --region "$ELK_REGION" --stack-name "$ELK_STACK_NAME" \
    --logical-resource-id "$ELK_SIGNAL_RESOURCE" --query StackResourceDetail.PhysicalResourceId --output text \
    2>/dev/null || true)"
  [ -n "$GROUP" ] || sleep "$POLL"
done
start="$(now)"
last_beat="$start"
say "terminating: holding $ELK_INSTANCE_ID in $GROUP until the persistent queue has drained (at most $TIMEOUT s)"

# 2. Hold the termination while events are left, bounded.
left=""
while :; do
  n="$(events_left)"
  [ -n "$n" ] && left="$n"
  t="$(now)"
  if [ "$n" = "0" ]; then
    say "queue drained after $((t - start)) s: completing the lifecycle action"
    break
  fi
  if [ $((t - start)) -ge "$TIMEOUT" ]; then
    say "drain timeout after $((t - start)) s: ${left:-an unknown number of} events left in the queue; completing the lifecycle action"
    break
  fi
  if [ $((t - last_beat)) -ge "$EVERY" ]; then
    if lifecycle record-lifecycle-action-heartbeat; then
      say "heartbeat: ${n:-unknown (Logstash did not answer)} events left after $((t - start)) s"
      last_beat="$t"
    else
      say "heartbeat failed: trying again at the next check"
    fi
  fi
  sleep "$POLL"
done
until lifecycle complete-lifecycle-action --lifecycle-action-result CONTINUE; do
  say "complete-lifecycle-action failed: trying again"
  sleep "$POLL"
  # After the hook's own timeout Auto Scaling continues by itself: nothing left to complete.
  [ $(($(now) - start)) -ge $((TIMEOUT + 2 * EVERY)) ] && break
done
say "done"
