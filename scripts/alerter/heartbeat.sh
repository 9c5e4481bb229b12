#!/usr/bin/env bash
# Evaluation heartbeat of the alerter (a systemd timer runs it every minute): proves that ElastAlert really
# evaluates rules, not only that the instance runs. Reads ElastAlert's own writeback status documents
# (<writeback>_status: one per rule run) and publishes the age of the newest one as the CloudWatch metric
# elk-cdk/Alerter SecondsSinceLastRuleRun (dimension Environment). The stack alarms on it (and on missing data:
# a dead instance publishes nothing). When no rule has run for --stale-seconds while Elasticsearch answers, and the
# container is older than --grace-seconds, it marks the instance Unhealthy: Auto Scaling replaces it and the new
# instance deploys the last verified rules at boot.
#
#   heartbeat.sh --environment ENV --region REGION --stale-seconds N [--grace-seconds N (600)] [--instance-id ID]
#
# ELK_ALERTER_ROOT (${ELK_ROOT}/opt/elk-alerter; ELK_ROOT is set only by the boot rehearsal), ELK_CONTAINER (elastalert). Prints one line: what it saw and did.
set -euo pipefail

ROOT="${ELK_ALERTER_ROOT:-${ELK_ROOT:-}/opt/elk-alerter}"
CONTAINER="${ELK_CONTAINER:-elastalert}"
ENVIRONMENT="" REGION_ARGS=() STALE="" GRACE=600 INSTANCE_ID=""
while [ $# -gt 0 ]; do
  case "$1" in
    --environment) ENVIRONMENT="$2"; shift 2 ;;
    --region) REGION_ARGS=(--region "$2"); shift 2 ;;
    --stale-seconds) STALE="$2"; shift 2 ;;
    --grace-seconds) GRACE="$2"; shift 2 ;;
    --instance-id) INSTANCE_ID="$2"; shift 2 ;;
    *) echo "heartbeat.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$ENVIRONMENT" ] || ! [[ "$STALE" =~ ^[0-9]+$ ]]; then
  echo "heartbeat.sh: --environment and --stale-seconds are required" >&2
  exit 2
fi

say() { printf 'heartbeat: %s\n' "$*"; }

rel="$(readlink "$ROOT/current" 2>/dev/null || true)"
if [ -z "$rel" ] || [ ! -f "$rel/bundle.env" ]; then
  say "no rules deployed yet: nothing to measure"
  exit 0
fi
get() { sed -n "s/^$2=//p" "$1" | head -n 1; }
host="$(get "$rel/secrets.env" ES_HOST)"
[ -n "$host" ] || host="$(get "$rel/bundle.env" ES_HOST)"
port="$(get "$rel/bundle.env" ES_PORT)"
index="$(get "$rel/bundle.env" WRITEBACK_INDEX)_status"

rc=0
resp="$(curl -sS --max-time 20 --cacert "$rel/certs/ca.pem" -K "$rel/curl.cfg" -w '\n%{http_code}' \
  -H 'Content-Type: application/json' -X POST "https://$host:$port/$index/_search" \
  -d '{"size":0,"aggs":{"last":{"max":{"field":"@timestamp"}}}}' 2>&1)" || rc=$?
code="${resp##*$'\n'}"
if [ "$rc" -ne 0 ] || [ "$code" != 200 ]; then
  # Elasticsearch unreachable: a new instance would not help; publish nothing (the alarm's missing data notifies)
  say "status query failed (curl exit $rc, HTTP $code): nothing published, instance left as it is"
  exit 0
fi
last_ms="$(jq -r '.aggregations.last.value // empty | floor' <<<"${resp%$'\n'*}")"
now_ms="$(date +%s%3N)"
if [ -z "$last_ms" ]; then
  age=$(((now_ms / 1000) - $(date -u -d "$(docker inspect --format '{{.State.StartedAt}}' "$CONTAINER" 2>/dev/null || date -u +%FT%TZ)" +%s)))
  say "no status document at all yet"
else
  age=$(((now_ms - last_ms) / 1000))
fi
[ "$age" -ge 0 ] || age=0

aws "${REGION_ARGS[@]}" cloudwatch put-metric-data --namespace elk-cdk/Alerter \
  --metric-name SecondsSinceLastRuleRun --unit Seconds --value "$age" \
  --dimensions "Environment=$ENVIRONMENT"

if [ "$age" -lt "$STALE" ]; then
  say "last rule run ${age}s ago: evaluating"
  exit 0
fi
started="$(docker inspect --format '{{.State.StartedAt}}' "$CONTAINER" 2>/dev/null || true)"
if [ -n "$started" ] && [ $(((now_ms / 1000) - $(date -u -d "$started" +%s))) -lt "$GRACE" ]; then
  say "last rule run ${age}s ago, but the container started less than ${GRACE}s ago: waiting"
  exit 0
fi
if [ -z "$INSTANCE_ID" ]; then
  token="$(curl -sS --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token || true)"
  INSTANCE_ID="$(curl -sS --max-time 5 -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id || true)"
fi
say "no rule has run for ${age}s (limit ${STALE}s) while Elasticsearch answers: marking $INSTANCE_ID Unhealthy"
aws "${REGION_ARGS[@]}" autoscaling set-instance-health --instance-id "$INSTANCE_ID" --health-status Unhealthy \
  --no-should-respect-grace-period
