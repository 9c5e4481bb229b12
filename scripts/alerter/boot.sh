#!/usr/bin/env bash
# Boot of an alerter instance (user data): installs the deploy script and deploys the current rule bundle, so an
# instance that the Auto Scaling group starts (healing, or a new launch template) runs the rules without anyone
# deploying, and tells CloudFormation when the rules are verified.
#
#   boot.sh --parameter NAME [--region REGION] [--credentials-secret ARN] [--ca-parameter NAME]
#           [--signal-stack STACK --signal-resource LOGICAL_ID]
#
# NAME is the SSM parameter the rule-deploy custom resource writes after every successful deployment:
#   {"bundle":"s3://…","sha256":"…","script":"s3://…","scriptSha256":"…","esHost":"…"}
# Only ParameterNotFound means "no bundle yet" (the stack's first deployment is still running: its SSM command
# deploys the bundle a moment later); any other error (throttling, network not ready) is retried.
# It never gives up: a failed verification (Elasticsearch still recovering, a pull rate limit) leaves the container
# on its restart policy and is retried with backoff until the rules are verified. Then, with --signal-stack, it sends
# SUCCESS for the group's creation/update policy (ignored when no stack operation waits for it).
#
# ELK_BOOT_MAX_ATTEMPTS (0 = never stop; tests set a bound), ELK_BOOT_BACKOFF_SECONDS (5, doubled up to 300),
# ELK_INSTANCE_ID (default: from the instance metadata).
set -euo pipefail

ROOT="${ELK_ALERTER_ROOT:-${ELK_ROOT:-}/opt/elk-alerter}"
MAX_ATTEMPTS="${ELK_BOOT_MAX_ATTEMPTS:-0}"
BACKOFF="${ELK_BOOT_BACKOFF_SECONDS:-5}"
PARAM="" REGION_ARGS=() PASS=() SIGNAL_STACK="" SIGNAL_RESOURCE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --parameter) PARAM="$2"; shift 2 ;;
    --region) REGION_ARGS=(--region "$2"); PASS+=(--region "$2"); shift 2 ;;
    --credentials-secret | --ca-parameter) PASS+=("$1" "$2"); shift 2 ;;
    --signal-stack) SIGNAL_STACK="$2"; shift 2 ;;
    --signal-resource) SIGNAL_RESOURCE="$2"; shift 2 ;;
    *) echo "boot.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$PARAM" ] || { echo "boot.sh: --parameter is required" >&2; exit 2; }

log() { printf '[boot %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
# Named steps, as the node boot scripts have: a failure (attempts bounded by ELK_BOOT_MAX_ATTEMPTS, or an unexpected
# error) ends the log with the step it happened in.
STEP=arguments
step() {
  STEP="$1"
  echo "alerter-boot: step $STEP"
}
trap 'rc=$?; [ "$rc" = 0 ] || echo "alerter-boot: FAILED at step $STEP (exit $rc)"' EXIT

attempt=0
# Sleeps before the next attempt (doubling, at most 300 s); returns 1 when the attempts are used up.
backoff() {
  attempt=$((attempt + 1))
  if [ "$MAX_ATTEMPTS" -gt 0 ] && [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then return 1; fi
  local wait=$((BACKOFF * (1 << (attempt < 6 ? attempt : 6))))
  [ "$wait" -le 300 ] || wait=300
  log "retrying in ${wait}s (attempt $((attempt + 1)))"
  sleep "$wait"
}

signal() {
  [ -n "$SIGNAL_STACK" ] || return 0
  local id="${ELK_INSTANCE_ID:-}" token
  if [ -z "$id" ]; then
    token="$(curl -sS --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token || true)"
    id="$(curl -sS --max-time 5 -H "X-aws-ec2-metadata-token: $token" http://169.254.169.254/latest/meta-data/instance-id || true)"
  fi
  if aws "${REGION_ARGS[@]}" cloudformation signal-resource --stack-name "$SIGNAL_STACK" \
    --logical-resource-id "$SIGNAL_RESOURCE" --unique-id "${id:-unknown}" --status SUCCESS; then
    log "signalled SUCCESS to $SIGNAL_STACK/$SIGNAL_RESOURCE"
  else
    log "no stack operation waits for a signal (healing outside a deployment): nothing to signal"
  fi
}

mkdir -p "$ROOT/bin"

# 1. the recorded bundle: only ParameterNotFound means there is none
step parameter
while :; do
  if value="$(aws "${REGION_ARGS[@]}" ssm get-parameter --name "$PARAM" --query Parameter.Value --output text 2>"$ROOT/boot.err")"; then
    break
  fi
  if grep -c ParameterNotFound "$ROOT/boot.err" >/dev/null; then
    log "no deployed bundle recorded in $PARAM yet; the running deployment will install it"
    signal
    exit 0
  fi
  log "cannot read $PARAM: $(tr '\n' ' ' <"$ROOT/boot.err")"
  backoff || { log "BOOT FAILED: $PARAM unreadable"; exit 1; }
done
# Every field from one jq (each start of jq costs tens of milliseconds), one a line.
fields="$(jq -r '.bundle, .sha256, .script, .scriptSha256 // "", .esHost // ""' <<<"$value")"
{ read -r bundle; read -r sha; read -r script; read -r script_sha; read -r es_host; } <<<"$fields"

# 2. the recorded deploy script
step deploy-script
attempt=0
# The script runs as root: only a download that matches the sha256 the deployment recorded (a value recorded by a
# version before the pin has none: the next deployment records it).
verified() {
  [ -z "$script_sha" ] && { log "no scriptSha256 recorded in $PARAM (deployed by an older version): not verified"; return 0; }
  echo "$script_sha  $ROOT/bin/deploy-rules.sh.new" | sha256sum --check --strict --quiet 2>/dev/null ||
    { log "$script does not match its pinned sha256 $script_sha"; return 1; }
}
until aws "${REGION_ARGS[@]}" s3 cp --only-show-errors "$script" "$ROOT/bin/deploy-rules.sh.new" && verified; do
  backoff || { log "BOOT FAILED: cannot download $script (or it does not match its pinned sha256)"; exit 1; }
done
chmod 755 "$ROOT/bin/deploy-rules.sh.new"
mv -f "$ROOT/bin/deploy-rules.sh.new" "$ROOT/bin/deploy-rules.sh"

# 3. deploy, then verify until it holds (exit 3: running but not verified yet; 1: failed, nothing changed)
step rules
args=(--bundle "$bundle" --sha256 "$sha" --boot "${PASS[@]}")
[ -z "$es_host" ] || args+=(--es-host "$es_host")
attempt=0
while :; do
  rc=0
  "$ROOT/bin/deploy-rules.sh" "${args[@]}" || rc=$?
  if [ "$rc" = 0 ]; then
    log "rules deployed and verified"
    signal
    exit 0
  fi
  log "deployment not verified yet (exit $rc)"
  backoff || { log "BOOT FAILED: the rules are not verified after $attempt attempt(s)"; exit 1; }
done
