#!/usr/bin/env bash
# Runs on a master-eligible node after Elasticsearch started. Waits until this node belongs to a formed cluster
# (GET / reports a cluster_uuid other than "_na_"), then
#   1. writes the formation marker "<stack id> <cluster uuid>" to the SSM parameter ELK_MARKER_PARAMETER,
#      unless this stack's marker is already there (every later master boot then joins, never bootstraps);
#   2. removes cluster.initial_master_nodes from elasticsearch.yml (Elastic: remove it once the cluster formed).
#
# Inputs (environment): ELK_REGION, ELK_MARKER_PARAMETER, ELK_STACK_ID,
#   ELK_MONITOR_SECRET_ID (optional: with it, HTTPS + the node_monitor user, which may only GET /; without it,
#   plain HTTP),
#   ELK_ES_URL (default https://localhost:9200 or http://localhost:9200), ELK_ES_CA (default /etc/elasticsearch/certs/ca.crt),
#   ELK_ES_CONF_DIR (default /etc/elasticsearch; both under ELK_ROOT, the boot rehearsal's root prefix), ELK_FORMED_ATTEMPTS (default 180), ELK_FORMED_SLEEP (default 10)
set -euo pipefail

say() { echo "es-mark-formed: $*" >&2; }
# The string value of KEY in the JSON object on stdin, read by bash (no process per poll): only a value without any
# escape (a cluster uuid, generated letters and digits); one with an escape, or no KEY, fails rather than misreads.
json_string() {
  local doc="" re="\"$1\"[[:space:]]*:[[:space:]]*\"([^\"\\\\]*)\""
  IFS= read -r -d '' doc || true
  [[ "$doc" =~ $re ]] || return 1
  printf '%s' "${BASH_REMATCH[1]}"
}
: "${ELK_REGION:?ELK_REGION is required}"
: "${ELK_MARKER_PARAMETER:?ELK_MARKER_PARAMETER is required}"
: "${ELK_STACK_ID:?ELK_STACK_ID is required}"
CONF_DIR="${ELK_ES_CONF_DIR:-${ELK_ROOT:-}/etc/elasticsearch}"
ATTEMPTS="${ELK_FORMED_ATTEMPTS:-180}"
SLEEP="${ELK_FORMED_SLEEP:-10}"

curl_args=(-s --max-time 10)
if [ -n "${ELK_MONITOR_SECRET_ID:-}" ]; then
  URL="${ELK_ES_URL:-https://localhost:9200}"
  curl_args+=(--cacert "${ELK_ES_CA:-${ELK_ROOT:-}/etc/elasticsearch/certs/ca.crt}")
  umask 077
  CURLRC="$(mktemp)"
  trap 'rm -f "$CURLRC"' EXIT
  secret="$(aws secretsmanager get-secret-value --region "$ELK_REGION" --secret-id "$ELK_MONITOR_SECRET_ID" \
    --query SecretString --output text)"
  if ! { user="$(json_string username <<<"$secret")" && password="$(json_string password <<<"$secret")"; }; then
    say "the secret $ELK_MONITOR_SECRET_ID holds no \"username\" and \"password\" of letters and digits"
    exit 1
  fi
  printf 'user = "%s:%s"\n' "$user" "$password" >"$CURLRC"
  unset secret user password
  curl_args+=(-K "$CURLRC")
else
  URL="${ELK_ES_URL:-http://localhost:9200}"
fi

uuid=""
for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
  body="$(curl "${curl_args[@]}" "$URL/" || true)"
  uuid="$(json_string cluster_uuid <<<"$body" || true)"
  if [ -n "$uuid" ] && [ "$uuid" != "_na_" ]; then break; fi
  uuid=""
  sleep "$SLEEP"
done
if [ -z "$uuid" ]; then
  say "the cluster did not form within $((ATTEMPTS * SLEEP)) s; marker not written (a later master boot retries)"
  exit 1
fi

current="$(aws ssm get-parameter --region "$ELK_REGION" --name "$ELK_MARKER_PARAMETER" \
  --query Parameter.Value --output text 2>/dev/null || true)"
if [ "${current%% *}" = "$ELK_STACK_ID" ]; then
  say "marker already present (${current#* })"
elif [ -n "$current" ]; then
  aws ssm put-parameter --region "$ELK_REGION" --name "$ELK_MARKER_PARAMETER" --type String --overwrite \
    --value "$ELK_STACK_ID $uuid" >/dev/null
  say "replaced a stale marker of another stack with cluster $uuid"
else
  # Only a concurrent write by another master is fine; any other error (no permission, SSM unreachable) would leave
  # no marker, and a later master boot would decide its formation from launch times alone: fail the boot instead.
  if ! err="$(aws ssm put-parameter --region "$ELK_REGION" --name "$ELK_MARKER_PARAMETER" --type String \
    --value "$ELK_STACK_ID $uuid" 2>&1 >/dev/null)"; then
    case "$err" in
      *ParameterAlreadyExists*) say "marker written concurrently by another master" ;;
      *) say "cannot write the formation marker $ELK_MARKER_PARAMETER: $err"; exit 1 ;;
    esac
  fi
  say "cluster $uuid formed; marker written"
fi

if [ -f "$CONF_DIR/elasticsearch.yml" ]; then
  sed -i -e '/^# First formation only/d' -e '/^cluster\.initial_master_nodes:/d' "$CONF_DIR/elasticsearch.yml"
fi
