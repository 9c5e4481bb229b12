#!/usr/bin/env bash
# Deploys an ElastAlert rule bundle on the alerter instance, with proof that the rules run, and rolls back on any
# failure. Run by the rule-deploy custom resource (SSM Run Command) and by user data at boot.
#
#   deploy-rules.sh --bundle s3://BUCKET/KEY --sha256 HASH [--es-host HOST] [--credentials-secret ARN]
#                   [--ca-parameter NAME] [--region REGION]
#
# Steps: download the bundle and verify it (sha256 of SHA256SUMS = HASH, every file against SHA256SUMS, no extra
# file); resolve secrets (SSM SecureString parameters listed in secrets.txt, the elastalert user's password, the
# cluster CA) into the release folder, readable by root only; stage a new release folder; run
# `elastalert-test-rule --schema-only` for every rule in the pinned image; switch the `current` symlink atomically;
# recreate the container; verify: running with a fresh start time, the elastalert process inside, the log says
# "N rules loaded", and every expected rule has a new elastalert_status document within one run_every. On a failure
# after the switch: switch back, recreate the previous container, exit 1 with the reason on the last line.
#
# Waits are bounded and configurable (tests set them short):
#   ELK_ALERTER_ROOT (/opt/elk-alerter), ELK_CONTAINER (elastalert), ELK_POLL_SECONDS (5),
#   ELK_WAIT_START_SECONDS (90), ELK_WAIT_RULES_SECONDS (180), ELK_WAIT_STATUS_SECONDS (run_every + 120),
#   ELK_KEEP_RELEASES (5), ELK_LOCK_WAIT_SECONDS (900)
set -euo pipefail
umask 027

ROOT="${ELK_ALERTER_ROOT:-/opt/elk-alerter}"
CONTAINER="${ELK_CONTAINER:-elastalert}"
POLL="${ELK_POLL_SECONDS:-5}"
WAIT_START="${ELK_WAIT_START_SECONDS:-90}"
WAIT_RULES="${ELK_WAIT_RULES_SECONDS:-180}"
KEEP="${ELK_KEEP_RELEASES:-5}"
LOCK_WAIT="${ELK_LOCK_WAIT_SECONDS:-900}"
IN_CONTAINER=/opt/elastalert

BUNDLE="" HASH="" ES_HOST_ARG="" CRED_SECRET="" CA_PARAM="" REGION_ARGS=()

log() { printf '[deploy-rules %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() {
  log "DEPLOY FAILED: $*"
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) BUNDLE="$2"; shift 2 ;;
    --sha256) HASH="$2"; shift 2 ;;
    --es-host) ES_HOST_ARG="$2"; shift 2 ;;
    --credentials-secret) CRED_SECRET="$2"; shift 2 ;;
    --ca-parameter) CA_PARAM="$2"; shift 2 ;;
    --region) REGION_ARGS=(--region "$2"); shift 2 ;;
    *) die "unknown argument $1 (see the usage at the top of $0)" ;;
  esac
done
[ -n "$BUNDLE" ] || die "--bundle s3://BUCKET/KEY is required"
[[ "$HASH" =~ ^[0-9a-f]{64}$ ]] || die "--sha256 must be the bundle's 64-hex-digit sha256"

mkdir -p "$ROOT/releases"
exec 9>"$ROOT/deploy.lock"
flock -w "$LOCK_WAIT" 9 || die "another deployment holds $ROOT/deploy.lock for more than ${LOCK_WAIT}s"

# --- helpers -------------------------------------------------------------------------------------------------------

# Value of KEY in a bundle.env file (KEY=VALUE lines; never sourced).
bundle_get() {
  local file="$1" key="$2" line
  while IFS= read -r line || [ -n "$line" ]; do
    if [ "${line%%=*}" = "$key" ]; then
      printf '%s' "${line#*=}"
      return 0
    fi
  done <"$file"
  return 1
}

ssm_value() {
  aws "${REGION_ARGS[@]}" ssm get-parameter --with-decryption --name "$1" --query Parameter.Value --output text
}

epoch_of() { date -u -d "$1" +%s; }

# Starts the container of a release folder.
start_container() {
  local rel="$1" image
  image="$(bundle_get "$rel/bundle.env" IMAGE)"
  docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
  docker run -d --name "$CONTAINER" --restart unless-stopped \
    --log-opt max-size=20m --log-opt max-file=3 \
    --label "elk-cdk.bundle=$(cat "$rel/bundle.sha256")" \
    --env-file "$rel/secrets.env" \
    -v "$rel/config.yaml:$IN_CONTAINER/config.yaml:ro" \
    -v "$rel/rules:$IN_CONTAINER/rules:ro" \
    -v "$rel/certs:$IN_CONTAINER/certs:ro" \
    "$image" --verbose >/dev/null
}

# Waits until the container runs with a start time at or after $1 (epoch seconds) and the elastalert process is up.
verify_started() {
  local since="$1" deadline state running started restarts
  deadline=$(($(date +%s) + WAIT_START))
  while :; do
    state="$(docker inspect --format '{{.State.Running}} {{.State.StartedAt}} {{.RestartCount}}' "$CONTAINER" 2>/dev/null || true)"
    read -r running started restarts <<<"$state"
    if [ "${running:-}" = "true" ] && [ "$(epoch_of "$started")" -ge "$since" ]; then
      [ "${restarts:-0}" = "0" ] || { REASON="container restarted $restarts time(s): $(docker logs --tail 20 "$CONTAINER" 2>&1 | tr '\n' ' ')"; return 1; }
      if docker top "$CONTAINER" 2>/dev/null | grep -q 'elastalert --config'; then return 0; fi
    elif [ "${running:-}" = "false" ] && [ -n "${started:-}" ] && [ "$(epoch_of "$started")" -ge "$since" ]; then
      REASON="container exited right after start: $(docker logs --tail 20 "$CONTAINER" 2>&1 | tr '\n' ' ')"
      return 1
    fi
    [ "$(date +%s)" -lt "$deadline" ] || { REASON="container not running with the elastalert process after ${WAIT_START}s"; return 1; }
    sleep "$POLL"
  done
}

verify_rules_loaded() {
  local expected="$1" deadline
  deadline=$(($(date +%s) + WAIT_RULES))
  while :; do
    if docker logs "$CONTAINER" 2>&1 | grep -Eq "(^|[^0-9])${expected} rules loaded"; then return 0; fi
    if [ "$(docker inspect --format '{{.State.Running}}' "$CONTAINER" 2>/dev/null || true)" != "true" ]; then
      REASON="container stopped before loading its rules: $(docker logs --tail 20 "$CONTAINER" 2>&1 | tr '\n' ' ')"
      return 1
    fi
    [ "$(date +%s)" -lt "$deadline" ] || {
      REASON="the log does not say \"$expected rules loaded\" after ${WAIT_RULES}s: $(docker logs --tail 10 "$CONTAINER" 2>&1 | tr '\n' ' ')"
      return 1
    }
    sleep "$POLL"
  done
}

# Every expected rule wrote an elastalert_status document after the container started (ES API, TLS with the CA).
verify_status() {
  local rel="$1" started_ms="$2" wait="$3" host port index deadline body seen missing name
  host="$(bundle_get "$rel/secrets.env" ES_HOST || true)"
  [ -n "$host" ] || host="$(bundle_get "$rel/bundle.env" ES_HOST)"
  port="$(bundle_get "$rel/bundle.env" ES_PORT)"
  index="$(bundle_get "$rel/bundle.env" WRITEBACK_INDEX)_status"
  [ -s "$rel/expected-rules.txt" ] || return 0
  body="$(jq -cn --argjson since "$started_ms" '{size: 0,
    query: {range: {"@timestamp": {gte: $since, format: "epoch_millis"}}},
    aggs: {rules: {terms: {field: "rule_name", size: 10000}}}}')"
  deadline=$(($(date +%s) + wait))
  while :; do
    seen="$(curl -sS --fail --max-time 10 --cacert "$rel/certs/ca.pem" -K "$rel/curl.cfg" \
      -H 'Content-Type: application/json' -X POST "https://$host:$port/$index/_search" -d "$body" 2>/dev/null |
      jq -r '.aggregations.rules.buckets[].key' 2>/dev/null || true)"
    missing=""
    while IFS= read -r name; do
      [ -n "$name" ] || continue
      grep -Fxq -- "$name" <<<"$seen" || missing="$missing \"$name\""
    done <"$rel/expected-rules.txt"
    [ -n "$missing" ] || return 0
    [ "$(date +%s)" -lt "$deadline" ] || {
      REASON="no new $index document within ${wait}s for:$missing"
      return 1
    }
    sleep "$POLL"
  done
}

# Full verification of the running container against a release; sets REASON on failure.
verify_release() {
  local rel="$1" since="$2" count run_every wait started started_ms
  count="$(bundle_get "$rel/bundle.env" RULE_COUNT)"
  run_every="$(bundle_get "$rel/bundle.env" RUN_EVERY_SECONDS)"
  wait="${ELK_WAIT_STATUS_SECONDS:-$((run_every + 120))}"
  verify_started "$since" || return 1
  log "container running with the elastalert process"
  verify_rules_loaded "$count" || return 1
  log "log says $count rules loaded"
  started="$(docker inspect --format '{{.State.StartedAt}}' "$CONTAINER")"
  started_ms="$(($(epoch_of "$started") * 1000))"
  verify_status "$rel" "$started_ms" "$wait" || return 1
  log "every expected rule wrote a new status document"
}

# --- 0. the same bundle already active (a retry, or CloudFormation rolling back to it): verify only -------------
if [ -f "$ROOT/current/bundle.sha256" ] && [ "$(cat "$ROOT/current/bundle.sha256")" = "$HASH" ] &&
  [ "$(docker inspect --format '{{index .Config.Labels "elk-cdk.bundle"}}' "$CONTAINER" 2>/dev/null || true)" = "$HASH" ]; then
  CURRENT="$(readlink "$ROOT/current")"
  REASON=""
  if verify_release "$CURRENT" 0; then
    log "DEPLOYED bundle $HASH was already active and is verified"
    exit 0
  fi
  log "bundle $HASH is active but does not verify ($REASON): deploying it again"
fi

# --- 1. download and verify ---------------------------------------------------------------------------------------
DEPLOY_ID="${HASH:0:16}-$(date -u +%Y%m%dT%H%M%S)-$$"
STAGE="$ROOT/releases/.staging-$DEPLOY_ID"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/bundle"
log "downloading $BUNDLE"
aws "${REGION_ARGS[@]}" s3 cp --only-show-errors "$BUNDLE" "$STAGE/bundle.tar" || die "cannot download $BUNDLE"
tar -xf "$STAGE/bundle.tar" -C "$STAGE/bundle" --no-same-owner || die "the bundle is not a tar archive"
REL_TMP="$STAGE/bundle"
[ -f "$REL_TMP/SHA256SUMS" ] || die "the bundle has no SHA256SUMS"
actual="$(sha256sum "$REL_TMP/SHA256SUMS" | cut -d' ' -f1)"
[ "$actual" = "$HASH" ] || die "bundle hash mismatch: expected $HASH, got $actual (a different or altered bundle)"
(cd "$REL_TMP" && sha256sum --check --strict --quiet SHA256SUMS) || die "a bundle file does not match SHA256SUMS"
extra="$(cd "$REL_TMP" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort | comm -23 - <(sed 's/^[0-9a-f]*  //' SHA256SUMS | sort))"
[ -z "$extra" ] || die "the bundle holds files not listed in SHA256SUMS: $extra"
printf '%s\n' "$HASH" >"$REL_TMP/bundle.sha256"
log "bundle $HASH verified"

# --- 2. resolve secrets -------------------------------------------------------------------------------------------
SECRETS="$REL_TMP/secrets.env"
: >"$SECRETS"
chmod 600 "$SECRETS"
check_value() {
  case "$2" in
    *$'\n'* | *'"'* | *\\*) die "the value of $1 contains a line break, a double quote or a backslash, which cannot be passed safely" ;;
  esac
}
while read -r var param; do
  [ -n "${var:-}" ] || continue
  value="$(ssm_value "$param")" || die "cannot read SSM parameter $param (for $var): create it as a SecureString"
  check_value "$param" "$value"
  printf '%s=%s\n' "$var" "$value" >>"$SECRETS"
done <"$REL_TMP/secrets.txt"
ES_HOST="${ES_HOST_ARG:-$(bundle_get "$REL_TMP/bundle.env" ES_HOST || true)}"
[ -n "$ES_HOST" ] || die "no Elasticsearch host: pass --es-host or render the bundle with one"
printf 'ES_HOST=%s\n' "$ES_HOST" >>"$SECRETS"
printf 'user = "elastalert:"\n' >"$REL_TMP/curl.cfg"
if [ -n "$CRED_SECRET" ]; then
  password="$(aws "${REGION_ARGS[@]}" secretsmanager get-secret-value --secret-id "$CRED_SECRET" \
    --query SecretString --output text | jq -r '.password // empty')" || die "cannot read the elastalert user secret"
  [ -n "$password" ] || die "the elastalert user secret has no password field"
  check_value "the elastalert password" "$password"
  # username and password together (ElastAlert reads ES_PASSWORD only when ES_USERNAME is set)
  printf 'ES_USERNAME=elastalert\nES_PASSWORD=%s\n' "$password" >>"$SECRETS"
  printf 'user = "elastalert:%s"\n' "$password" >"$REL_TMP/curl.cfg"
fi
chmod 600 "$REL_TMP/curl.cfg"
mkdir -p "$REL_TMP/certs"
[ -n "$CA_PARAM" ] || die "no --ca-parameter: verify_certs is on, so ElastAlert needs the cluster CA"
ssm_value "$CA_PARAM" >"$REL_TMP/certs/ca.pem" || die "cannot read the CA certificate parameter $CA_PARAM"
grep -q 'BEGIN CERTIFICATE' "$REL_TMP/certs/ca.pem" || die "$CA_PARAM does not hold a PEM certificate"
chmod 755 "$REL_TMP/certs" "$REL_TMP/rules"
chmod 644 "$REL_TMP/certs/ca.pem" "$REL_TMP/config.yaml" "$REL_TMP"/rules/*
log "secrets resolved ($(wc -l <"$REL_TMP/secrets.txt") rule secret(s))"

# --- 3. pre-flight every rule in the pinned image -----------------------------------------------------------------
IMAGE="$(bundle_get "$REL_TMP/bundle.env" IMAGE)"
docker pull --quiet "$IMAGE" >/dev/null || die "cannot pull $IMAGE"
for rule in "$REL_TMP"/rules/*.yaml; do
  [ -e "$rule" ] || continue
  name="$(basename "$rule")"
  if ! out="$(docker run --rm --entrypoint elastalert-test-rule --env-file "$SECRETS" \
    -v "$REL_TMP/config.yaml:$IN_CONTAINER/config.yaml:ro" -v "$REL_TMP/rules:$IN_CONTAINER/rules:ro" \
    -v "$REL_TMP/certs:$IN_CONTAINER/certs:ro" \
    "$IMAGE" --schema-only --config "$IN_CONTAINER/config.yaml" "$IN_CONTAINER/rules/$name" 2>&1)"; then
    printf '%s\n' "$out" | tail -n 15
    die "rule $name fails elastalert-test-rule --schema-only in $IMAGE; nothing was changed"
  fi
done
log "every rule passes elastalert-test-rule --schema-only"

# --- 4. stage and switch atomically -------------------------------------------------------------------------------
RELEASE="$ROOT/releases/$DEPLOY_ID"
mv "$REL_TMP" "$RELEASE"
PREVIOUS="$(readlink "$ROOT/current" 2>/dev/null || true)"
ln -sfn "$RELEASE" "$ROOT/current.next"
mv -T "$ROOT/current.next" "$ROOT/current"
log "switched current -> $RELEASE (previous: ${PREVIOUS:-none})"

rollback() {
  local reason="$1"
  log "verification failed: $reason"
  if [ -n "$PREVIOUS" ] && [ -d "$PREVIOUS" ]; then
    ln -sfn "$PREVIOUS" "$ROOT/current.next"
    mv -T "$ROOT/current.next" "$ROOT/current"
    local t
    t="$(date +%s)"
    if start_container "$PREVIOUS" && REASON="" && verify_started "$t"; then
      log "rolled back to $PREVIOUS (running)"
    else
      log "rolled back to $PREVIOUS but it does not run either: ${REASON:-docker run failed}"
    fi
  else
    rm -f "$ROOT/current"
    docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
    log "no previous release: the alerter is stopped"
  fi
  mv "$RELEASE" "$RELEASE.failed"
  die "$reason"
}

# --- 5. recreate the container and verify -------------------------------------------------------------------------
T0="$(date +%s)"
REASON=""
start_container "$RELEASE" || rollback "docker run failed for $IMAGE"
verify_release "$RELEASE" "$T0" || rollback "$REASON"

# --- 6. keep the last releases ------------------------------------------------------------------------------------
find "$ROOT/releases" -mindepth 1 -maxdepth 1 -type d ! -name '.staging-*' -printf '%T@ %p\n' | sort -rn |
  tail -n +"$((KEEP + 1))" | cut -d' ' -f2- | while IFS= read -r old; do
  [ "$old" = "$RELEASE" ] || [ "$old" = "$PREVIOUS" ] || rm -rf "$old"
done
log "DEPLOYED bundle $HASH: $(bundle_get "$RELEASE/bundle.env" RULE_COUNT) rule(s) running and evaluating"
