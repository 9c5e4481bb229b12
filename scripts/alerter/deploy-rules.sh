#!/usr/bin/env bash
# Deploys an ElastAlert rule bundle on the alerter instance, with proof that the rules run, and rolls back on any
# failure. Run by the rule-deploy custom resource (SSM Run Command) and by boot.sh on a new instance.
#
#   deploy-rules.sh --bundle s3://BUCKET/KEY --sha256 HASH [--es-host HOST] [--credentials-secret ARN]
#                   [--ca-parameter NAME] [--region REGION] [--boot]
#
# Steps: download the bundle and verify it (sha256 of SHA256SUMS = HASH, every file against SHA256SUMS, no extra
# file); resolve secrets (SSM SecureString parameters listed in secrets.txt, the elastalert user's password, the
# cluster CA) into the release folder, readable by root only; run `elastalert-test-rule --schema-only` for every
# rule in the pinned image (one container); let a rule run in progress finish (at most run_every); switch the
# `current` symlink atomically; recreate the container;
# verify: running with a fresh start time, the elastalert process inside, the log says "N rules loaded", every
# expected rule has a new elastalert_status document, and the container is still the same one (same start time, no
# restart) one run_every later. On a failure after the switch (or a TERM): switch back, recreate the previous
# container. The last line is always `STATE: …` (what runs now); a failure also prints `DEPLOY FAILED: reason`.
#
# The same bundle with the same resolved secrets is only verified (a retry, or CloudFormation rolling back to it);
# changed secrets (a rotated password or webhook) recreate the container from the installed release.
#
# --boot (a new instance, boot.sh): a first deployment that fails verification keeps its container on its restart
# policy and exits 3 (boot.sh retries the verification); nothing is removed.
#
# Exit codes: 0 deployed and verified; 1 failed (see STATE); 3 (--boot only) running but not verified yet.
#
# Waits are bounded and configurable (tests set them short):
#   ELK_ALERTER_ROOT (${ELK_ROOT}/opt/elk-alerter; ELK_ROOT is set only by the boot rehearsal), ELK_CONTAINER (elastalert), ELK_POLL_SECONDS (5),
#   ELK_WAIT_START_SECONDS (90), ELK_WAIT_RULES_SECONDS (180), ELK_WAIT_STATUS_SECONDS (run_every + 120),
#   ELK_HOLD_SECONDS (run_every), ELK_WAIT_RUN_SECONDS (run_every: a rule run in progress before the switch),
#   ELK_KEEP_RELEASES (5), ELK_LOCK_WAIT_SECONDS (900),
#   ELK_DEADLINE_SECONDS (1380: the SSM command's 1500 s less a margin; the whole run, lock wait included)
set -euo pipefail
umask 027

ROOT="${ELK_ALERTER_ROOT:-${ELK_ROOT:-}/opt/elk-alerter}"
CONTAINER="${ELK_CONTAINER:-elastalert}"
POLL="${ELK_POLL_SECONDS:-5}"
WAIT_START="${ELK_WAIT_START_SECONDS:-90}"
WAIT_RULES="${ELK_WAIT_RULES_SECONDS:-180}"
KEEP="${ELK_KEEP_RELEASES:-5}"
LOCK_WAIT="${ELK_LOCK_WAIT_SECONDS:-900}"
DEADLINE=$(($(date +%s) + ${ELK_DEADLINE_SECONDS:-1380}))
IN_CONTAINER=/opt/elastalert
# ElastAlert holds every alert secret: its container gets no Linux capability, cannot gain privileges (setuid), and
# has a read-only root file system with a small /tmp (the image runs as its own user and writes nothing else).
HARDENING=(--cap-drop ALL --security-opt no-new-privileges --read-only --tmpfs '/tmp:rw,noexec,nosuid,size=64m')

BUNDLE="" HASH="" ES_HOST_ARG="" CRED_SECRET="" CA_PARAM="" REGION_ARGS=() BOOT=0
# What runs now, printed last as `STATE: …`; PHASE says what a failure must undo.
STATE="unchanged: nothing was changed on the instance"
PHASE=before
STAGE="" RELEASE="" PREVIOUS="" FAILED_PRINTED=0

# Everything printed goes to the SSM command history and CloudFormation events: every secret value this deployment
# knows (the secrets.env of every release and staging folder: rule secrets, the elastalert password) is replaced by
# [redacted] first, wherever it appears (container logs, elastalert-test-rule output, REASON). The values are read
# from the files inside awk, never passed on a command line. ES_HOST and ES_USERNAME are not secret.
redact() {
  local sources=() f
  for f in "$ROOT"/releases/*/secrets.env "$ROOT"/releases/.staging-*/secrets.env \
    "$ROOT"/releases/.staging-*/bundle/secrets.env; do
    [ ! -r "$f" ] || sources+=("$f")
  done
  [ "${#sources[@]}" -gt 0 ] || { cat; return 0; }
  awk -v list="$(printf '%s\n' "${sources[@]}")" '
    BEGIN {
      n = split(list, fs, "\n")
      for (i = 1; i <= n; i++) {
        if (fs[i] == "") continue
        while ((getline line < fs[i]) > 0) {
          eq = index(line, "=")
          k = substr(line, 1, eq - 1); v = substr(line, eq + 1)
          if (eq > 0 && k != "ES_HOST" && k != "ES_USERNAME" && length(v) >= 4) secret[++count] = v
        }
        close(fs[i])
      }
    }
    {
      for (i = 1; i <= count; i++) {
        out = ""; rest = $0
        while ((p = index(rest, secret[i])) > 0) {
          out = out substr(rest, 1, p - 1) "[redacted]"; rest = substr(rest, p + length(secret[i]))
        }
        $0 = out rest
      }
      print
    }'
}

log() { printf '[deploy-rules %s] %s\n' "$(date -u +%H:%M:%S)" "$*" | redact; }

finish() {
  local rc=$?
  trap - EXIT TERM INT
  [ -z "$STAGE" ] || rm -rf "$STAGE"
  if [ "$rc" -ne 0 ] && [ "$FAILED_PRINTED" = 0 ]; then
    # set -e stopped the script on an unexpected error (disk full, a tool missing): say so, and undo a switch
    FAILED_PRINTED=1
    if [ "$PHASE" = switched ]; then rollback_quiet "unexpected error (exit $rc)"; fi
    log "DEPLOY FAILED: unexpected error (exit $rc) in the step above (disk full? see the output)"
  fi
  printf 'STATE: %s\n' "$STATE" | redact
  exit "$rc"
}
trap finish EXIT

die() {
  FAILED_PRINTED=1
  log "DEPLOY FAILED: $*"
  exit 1
}

on_term() {
  if [ "$PHASE" = switched ]; then
    rollback "interrupted (TERM) after the switch"
  fi
  die "interrupted (TERM) before the switch"
}
trap on_term TERM INT

while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) BUNDLE="$2"; shift 2 ;;
    --sha256) HASH="$2"; shift 2 ;;
    --es-host) ES_HOST_ARG="$2"; shift 2 ;;
    --credentials-secret) CRED_SECRET="$2"; shift 2 ;;
    --ca-parameter) CA_PARAM="$2"; shift 2 ;;
    --region) REGION_ARGS=(--region "$2"); shift 2 ;;
    --boot) BOOT=1; shift ;;
    *) die "unknown argument $1 (see the usage at the top of $0)" ;;
  esac
done
[ -n "$BUNDLE" ] || die "--bundle s3://BUCKET/KEY is required"
[[ "$HASH" =~ ^[0-9a-f]{64}$ ]] || die "--sha256 must be the bundle's 64-hex-digit sha256"

remaining() { echo $((DEADLINE - $(date +%s))); }

mkdir -p "$ROOT/releases" || die "cannot create $ROOT/releases"
exec 9>"$ROOT/deploy.lock"
lock_wait="$LOCK_WAIT"
[ "$(remaining)" -gt "$lock_wait" ] || lock_wait="$(remaining)"
[ "$lock_wait" -gt 0 ] || lock_wait=0
flock -w "$lock_wait" 9 || die "another deployment holds $ROOT/deploy.lock for more than ${lock_wait}s"
# left-overs of a deployment that was killed while staging (we hold the lock: nobody else uses them)
rm -rf "$ROOT"/releases/.staging-*

# --- helpers -------------------------------------------------------------------------------------------------------

# Value of KEY in a KEY=VALUE file (never sourced).
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

# Epoch milliseconds of a docker timestamp (nanosecond precision in, milliseconds out).
epoch_ms() { date -u -d "$1" +%s%3N; }
epoch_of() { date -u -d "$1" +%s; }

check_value() {
  case "$2" in
    *$'\n'* | *'"'* | *\\*) die "the value of $1 contains a line break, a double quote or a backslash, which cannot be passed safely" ;;
  esac
}

# Resolves the secrets of the release folder $1 into $1/secrets.env, $1/curl.cfg and $1/certs/ca.pem.
resolve_secrets() {
  local rel="$1" var param value es_host password
  : >"$rel/secrets.env"
  chmod 600 "$rel/secrets.env"
  while read -r var param; do
    [ -n "${var:-}" ] || continue
    value="$(ssm_value "$param")" || die "cannot read SSM parameter $param (for $var): create it as a SecureString with --key-id alias/elk/<env>/alerter"
    check_value "$param" "$value"
    printf '%s=%s\n' "$var" "$value" >>"$rel/secrets.env"
  done <"$rel/secrets.txt"
  es_host="${ES_HOST_ARG:-$(bundle_get "$rel/bundle.env" ES_HOST || true)}"
  [ -n "$es_host" ] || die "no Elasticsearch host: pass --es-host or render the bundle with one"
  printf 'ES_HOST=%s\n' "$es_host" >>"$rel/secrets.env"
  printf 'user = "elastalert:"\n' >"$rel/curl.cfg"
  if [ -n "$CRED_SECRET" ]; then
    password="$(aws "${REGION_ARGS[@]}" secretsmanager get-secret-value --secret-id "$CRED_SECRET" \
      --query SecretString --output text | jq -r '.password // empty')" || die "cannot read the elastalert user secret"
    [ -n "$password" ] || die "the elastalert user secret has no password field"
    check_value "the elastalert password" "$password"
    # username and password together (ElastAlert reads ES_PASSWORD only when ES_USERNAME is set)
    printf 'ES_USERNAME=elastalert\nES_PASSWORD=%s\n' "$password" >>"$rel/secrets.env"
    printf 'user = "elastalert:%s"\n' "$password" >"$rel/curl.cfg"
  fi
  chmod 600 "$rel/curl.cfg"
  mkdir -p "$rel/certs"
  [ -n "$CA_PARAM" ] || die "no --ca-parameter: verify_certs is on, so ElastAlert needs the cluster CA"
  ssm_value "$CA_PARAM" >"$rel/certs/ca.pem" || die "cannot read the CA certificate parameter $CA_PARAM"
  grep -q 'BEGIN CERTIFICATE' "$rel/certs/ca.pem" || die "$CA_PARAM does not hold a PEM certificate"
}

# sha256 of what the container receives besides the bundle: secret values, password, CA.
secrets_hash() { cat "$1/secrets.env" "$1/curl.cfg" "$1/certs/ca.pem" | sha256sum | cut -d' ' -f1; }

# Pulls an image. From a private ECR registry (<account>.dkr.ecr.<region>.amazonaws.com, as lib/config/ecr.ts
# validates it), docker is logged in first with a token the instance role gets (the password goes through a pipe,
# never on a command line) and logged out after the pull, so the 12-hour token does not stay in root's docker config.
ECR_HOST_RE='^[0-9]{12}\.dkr\.ecr\.([a-z]{2}(-gov)?-[a-z]+-[0-9])\.amazonaws\.com(\.cn)?$'
pull_image() {
  local image="$1" registry="${1%%/*}" rc=0
  if [[ "$image" == */* && "$registry" =~ $ECR_HOST_RE ]]; then
    aws --region "${BASH_REMATCH[1]}" ecr get-login-password |
      docker login --username AWS --password-stdin "$registry" >/dev/null ||
      die "cannot log docker in to $registry (aws ecr get-login-password | docker login): the instance role needs ecr:GetAuthorizationToken, and the registry must be reachable over HTTPS"
    log "docker logged in to $registry"
    docker pull --quiet "$image" >/dev/null || rc=$?
    docker logout "$registry" >/dev/null 2>&1 || log "docker logout $registry failed (the token expires after 12 hours)"
    [ "$rc" = 0 ] || die "cannot pull $image from $registry (exit $rc): the instance role needs ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on that repository"
    return 0
  fi
  docker pull --quiet "$image" >/dev/null || die "cannot pull $image (and it is not present on the instance)"
}

label() { docker inspect --format "{{index .Config.Labels \"$1\"}}" "$CONTAINER" 2>/dev/null || true; }

# Starts the container of a release folder.
start_container() {
  local rel="$1" image
  image="$(bundle_get "$rel/bundle.env" IMAGE)"
  docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
  docker run -d --name "$CONTAINER" --restart unless-stopped "${HARDENING[@]}" \
    --log-opt max-size=20m --log-opt max-file=3 \
    --label "elk-cdk.bundle=$(cat "$rel/bundle.sha256")" \
    --label "elk-cdk.secrets=$(secrets_hash "$rel")" \
    --env-file "$rel/secrets.env" \
    -v "$rel/config.yaml:$IN_CONTAINER/config.yaml:ro" \
    -v "$rel/rules:$IN_CONTAINER/rules:ro" \
    -v "$rel/certs:$IN_CONTAINER/certs:ro" \
    "$image" --verbose >/dev/null
}

container_logs() { docker logs --since "$1" "$CONTAINER" 2>&1 || true; }

# Rules with a run in progress in the running container: ElastAlert logs "Queried rule NAME from …" after each query
# of a run and "Ran NAME from …" when the run ends, so a rule queried after its last "Ran" line is mid-run. (A run
# still in its first query has logged nothing yet: not seen.) One name a line.
runs_in_progress() {
  container_logs "$1" | awk '
    /Queried rule / { n = $0; sub(/.*Queried rule /, "", n); sub(/ from .*/, "", n); q[n] = NR }
    /INFO:elastalert:Ran / { n = $0; sub(/.*INFO:elastalert:Ran /, "", n); sub(/ from .*/, "", n); r[n] = NR }
    END { for (k in q) if (!(k in r) || q[k] > r[k]) print k }' | sort
}

# Recreating the container kills ElastAlert; a rule run in progress (its queries done, its alerts not yet sent or
# its status not written) would be cut in the middle. Waits until none is in progress, at most run_every seconds
# (ELK_WAIT_RUN_SECONDS), then goes on and says so. Nothing to wait for when no container runs.
wait_for_runs() {
  local bound="${ELK_WAIT_RUN_SECONDS:-$1}" started busy deadline
  [ "$(docker inspect --format '{{.State.Running}}' "$CONTAINER" 2>/dev/null || true)" = true ] || return 0
  started="$(docker inspect --format '{{.State.StartedAt}}' "$CONTAINER" 2>/dev/null || true)"
  [ -n "$started" ] || return 0
  deadline=$(($(date +%s) + ${bound%.*}))
  busy="$(runs_in_progress "$started" | paste -sd, -)"
  [ -n "$busy" ] || return 0
  log "rule run(s) in progress: $busy; waiting for them to finish (at most ${bound}s, run_every)"
  while [ -n "$busy" ]; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "rule run(s) of $busy still in progress after ${bound}s: replacing the container anyway (the next run repeats the window)"
      return 0
    fi
    sleep "$POLL"
    busy="$(runs_in_progress "$started" | paste -sd, -)"
  done
  log "the rule run(s) in progress finished"
}

# Waits until the container runs with a start time at or after $1 (epoch seconds) and the elastalert process is up.
verify_started() {
  local since="$1" deadline state running started restarts
  deadline=$(($(date +%s) + WAIT_START))
  while :; do
    state="$(docker inspect --format '{{.State.Running}} {{.State.StartedAt}} {{.RestartCount}}' "$CONTAINER" 2>/dev/null || true)"
    read -r running started restarts <<<"$state"
    if [ "${running:-}" = "true" ] && [ "$(epoch_of "$started")" -ge "$since" ]; then
      [ "${restarts:-0}" = "0" ] || { REASON="container restarted $restarts time(s): $(container_logs "$started" | tail -n 20 | tr '\n' ' ')"; return 1; }
      if docker top "$CONTAINER" 2>/dev/null | grep -c 'elastalert --config' >/dev/null; then return 0; fi
    elif [ "${running:-}" = "false" ] && [ -n "${started:-}" ] && [ "$(epoch_of "$started")" -ge "$since" ]; then
      REASON="container exited right after start: $(container_logs "$started" | tail -n 20 | tr '\n' ' ')"
      return 1
    fi
    [ "$(date +%s)" -lt "$deadline" ] || { REASON="container not running with the elastalert process after ${WAIT_START}s"; return 1; }
    sleep "$POLL"
  done
}

# The log of this start says "N rules loaded" (read whole, never `| grep -q`: with pipefail an early exit of grep
# makes docker logs die of SIGPIPE and a present line look missing).
verify_rules_loaded() {
  local expected="$1" started="$2" deadline logs
  deadline=$(($(date +%s) + WAIT_RULES))
  while :; do
    logs="$(container_logs "$started")"
    if grep -Ec "(^|[^0-9])${expected} rules loaded" <<<"$logs" >/dev/null; then return 0; fi
    if [ "$(docker inspect --format '{{.State.Running}}' "$CONTAINER" 2>/dev/null || true)" != "true" ]; then
      REASON="container stopped before loading its rules: $(tail -n 20 <<<"$logs" | tr '\n' ' ')"
      return 1
    fi
    [ "$(date +%s)" -lt "$deadline" ] || {
      REASON="the log does not say \"$expected rules loaded\" after ${WAIT_RULES}s: $(tail -n 10 <<<"$logs" | tr '\n' ' ')"
      return 1
    }
    sleep "$POLL"
  done
}

# Every expected rule wrote an elastalert_status document after the container started (ES API, TLS with the CA).
# An error of the query itself (HTTP 401, TLS, DNS) is reported as such, never as rules that do not run.
verify_status() {
  local rel="$1" started_ms="$2" wait="$3" host port index deadline body seen missing name resp code rc query_error
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
    rc=0
    resp="$(curl -sS --max-time 10 --cacert "$rel/certs/ca.pem" -K "$rel/curl.cfg" -w '\n%{http_code}' \
      -H 'Content-Type: application/json' -X POST "https://$host:$port/$index/_search" -d "$body" 2>&1)" || rc=$?
    code="${resp##*$'\n'}"
    seen="" query_error=""
    if [ "$rc" -ne 0 ]; then
      query_error="curl exit $rc: $(head -c 300 <<<"$resp" | tr '\n' ' ')"
    elif [ "$code" != 200 ]; then
      query_error="HTTP $code: $(head -c 300 <<<"${resp%$'\n'*}" | tr '\n' ' ')"
    else
      seen="$(jq -r '.aggregations.rules.buckets[].key' <<<"${resp%$'\n'*}" 2>/dev/null || true)"
    fi
    missing=""
    while IFS= read -r name; do
      [ -n "$name" ] || continue
      grep -Fxc -- "$name" <<<"$seen" >/dev/null || missing="$missing \"$name\""
    done <"$rel/expected-rules.txt"
    [ -n "$missing" ] || return 0
    [ "$(date +%s)" -lt "$deadline" ] || {
      if [ -n "$query_error" ]; then
        REASON="the status query itself fails ($query_error): cannot tell whether the rules run; check the elastalert user, its password, the CA and the host"
      else
        REASON="no new $index document within ${wait}s for:$missing"
      fi
      return 1
    }
    sleep "$POLL"
  done
}

# The container is still the one verified: running, same start time, no restart, $2 seconds later.
verify_stable() {
  local started="$1" hold="$2" state running now_started restarts
  sleep "$hold"
  state="$(docker inspect --format '{{.State.Running}} {{.State.StartedAt}} {{.RestartCount}}' "$CONTAINER" 2>/dev/null || true)"
  read -r running now_started restarts <<<"$state"
  if [ "${running:-}" != true ] || [ "${now_started:-}" != "$started" ] || [ "${restarts:-0}" != 0 ]; then
    REASON="the container did not stay up for ${hold}s after verification (running=${running:-?}, restarts=${restarts:-?}, started $started then ${now_started:-?}): a crash loop"
    return 1
  fi
}

# Full verification of the running container against a release; sets REASON on failure.
verify_release() {
  local rel="$1" since="$2" count run_every wait hold started
  count="$(bundle_get "$rel/bundle.env" RULE_COUNT)"
  run_every="$(bundle_get "$rel/bundle.env" RUN_EVERY_SECONDS)"
  wait="${ELK_WAIT_STATUS_SECONDS:-$((run_every + 120))}"
  hold="${ELK_HOLD_SECONDS:-$run_every}"
  verify_started "$since" || return 1
  started="$(docker inspect --format '{{.State.StartedAt}}' "$CONTAINER")"
  log "container running with the elastalert process (started $started)"
  verify_rules_loaded "$count" "$started" || return 1
  log "log says $count rules loaded"
  verify_status "$rel" "$(epoch_ms "$started")" "$wait" || return 1
  log "every expected rule wrote a new status document"
  verify_stable "$started" "$hold" || return 1
  log "still the same container ${hold}s later (no restart)"
}

# Seconds a switch needs to be verified and, if that fails, undone.
switch_needs() {
  local run_every hold
  run_every="$(bundle_get "$1/bundle.env" RUN_EVERY_SECONDS)"
  hold="${ELK_HOLD_SECONDS:-$run_every}"
  hold="${hold%%.*}"
  echo $((WAIT_START + WAIT_RULES + ${ELK_WAIT_STATUS_SECONDS:-$((run_every + 120))} + ${hold:-0} + 1 + WAIT_START + 10))
}

rollback_quiet() {
  local reason="$1" t
  PHASE=rolling-back
  log "verification failed: $reason"
  if [ -n "$PREVIOUS" ] && [ -d "$PREVIOUS" ]; then
    ln -sfn "$PREVIOUS" "$ROOT/current.next"
    mv -T "$ROOT/current.next" "$ROOT/current"
    t="$(date +%s)"
    if start_container "$PREVIOUS" && REASON="" && verify_started "$t"; then
      log "rolled back to $PREVIOUS (running)"
      STATE="rolled back: the previous release $PREVIOUS runs (bundle $(cat "$PREVIOUS/bundle.sha256"))"
    else
      log "rolled back to $PREVIOUS but it does not run either: ${REASON:-docker run failed}"
      STATE="ALERTER DOWN: rolled back to $PREVIOUS but it does not run: ${REASON:-docker run failed}"
    fi
    mv "$RELEASE" "$RELEASE.failed"
  elif [ "$BOOT" = 1 ]; then
    log "first deployment on this instance: keeping the container on its restart policy; boot.sh retries the verification"
    STATE="UNVERIFIED: bundle $HASH runs on its restart policy but is not verified yet ($reason)"
  else
    rm -f "$ROOT/current"
    docker rm -f "$CONTAINER" >/dev/null 2>&1 || true
    log "no previous release: the alerter is stopped"
    STATE="ALERTER STOPPED: first deployment failed, no previous release to go back to"
    mv "$RELEASE" "$RELEASE.failed"
  fi
}

rollback() {
  rollback_quiet "$1"
  if [ "$BOOT" = 1 ] && [ -z "$PREVIOUS" ]; then
    FAILED_PRINTED=1
    log "NOT VERIFIED YET: $1"
    exit 3
  fi
  die "$1"
}

# --- 0. the same bundle already active: verify only, unless the resolved secrets changed --------------------------
FROM_CURRENT=""
if [ -f "$ROOT/current/bundle.sha256" ] && [ "$(cat "$ROOT/current/bundle.sha256")" = "$HASH" ] &&
  [ "$(label elk-cdk.bundle)" = "$HASH" ]; then
  CURRENT="$(readlink "$ROOT/current")"
  STAGE="$ROOT/releases/.staging-check-$$"
  mkdir -p "$STAGE"
  cp "$CURRENT/secrets.txt" "$CURRENT/bundle.env" "$STAGE/"
  resolve_secrets "$STAGE"
  if [ "$(secrets_hash "$STAGE")" = "$(label elk-cdk.secrets)" ]; then
    rm -rf "$STAGE"
    STAGE=""
    STATE="bundle $HASH runs (release $CURRENT), not verified"
    REASON=""
    if verify_release "$CURRENT" 0; then
      STATE="DEPLOYED: bundle $HASH runs and is verified (release $CURRENT)"
      log "DEPLOYED bundle $HASH was already active and is verified"
      exit 0
    fi
    if [ "$BOOT" = 1 ]; then
      FAILED_PRINTED=1
      STATE="UNVERIFIED: bundle $HASH runs on its restart policy but is not verified yet ($REASON)"
      log "NOT VERIFIED YET: $REASON"
      exit 3
    fi
    log "bundle $HASH is active but does not verify ($REASON): deploying it again"
  else
    log "bundle $HASH is active but its secrets changed (rotated): recreating the container with the new values"
  fi
  rm -rf "$STAGE"
  FROM_CURRENT="$CURRENT"
fi

# --- 1. download (or copy the active release) and verify -----------------------------------------------------------
DEPLOY_ID="${HASH:0:16}-$(date -u +%Y%m%dT%H%M%S)-$$"
STAGE="$ROOT/releases/.staging-$DEPLOY_ID"
mkdir -p "$STAGE/bundle" || die "cannot create the staging folder $STAGE (disk full?); nothing was changed"
REL_TMP="$STAGE/bundle"
if [ -n "$FROM_CURRENT" ]; then
  (cd "$FROM_CURRENT" && sed 's/^[0-9a-f]*  //' SHA256SUMS | while IFS= read -r f; do
    mkdir -p "$REL_TMP/$(dirname "$f")" && cp "$f" "$REL_TMP/$f"
  done && cp SHA256SUMS "$REL_TMP/") || die "cannot copy the active release (disk full?); nothing was changed"
else
  log "downloading $BUNDLE"
  aws "${REGION_ARGS[@]}" s3 cp --only-show-errors "$BUNDLE" "$STAGE/bundle.tar" || die "cannot download $BUNDLE"
  # Check the archive before anything is written from it: its SHA256SUMS (read from the archive) must have the pinned
  # hash, every entry must be a regular file or a folder with a relative name, and the files must be exactly those
  # SHA256SUMS lists. Extraction then goes into a new empty folder, so nothing is ever written through a link.
  tar -xOf "$STAGE/bundle.tar" SHA256SUMS >"$STAGE/SHA256SUMS" ||
    die "the bundle is not a tar archive (or the disk is full)"
  actual="$(sha256sum "$STAGE/SHA256SUMS" | cut -d' ' -f1)"
  [ "$actual" = "$HASH" ] || die "bundle hash mismatch: expected $HASH, got $actual (a different or altered bundle)"
  bad="$(tar -tvf "$STAGE/bundle.tar" | grep -v '^[-d]' | head -n 3 | tr '\n' ';')" || true
  [ -z "$bad" ] || die "the bundle holds entries that are not regular files or folders (links, devices): $bad"
  bad="$(tar -tf "$STAGE/bundle.tar" | grep -E '^/|(^|/)\.\.(/|$)' | head -n 3 | tr '\n' ' ')" || true
  [ -z "$bad" ] || die "the bundle holds absolute or '..' paths: $bad"
  listed="$( (sed 's/^[0-9a-f]*  //' "$STAGE/SHA256SUMS"; echo SHA256SUMS) | sort)"
  files="$(tar -tvf "$STAGE/bundle.tar" | grep '^-' | sed -E 's/^([^ ]+ +){5}//' | sort)"
  [ "$files" = "$listed" ] || die "the bundle's files are not exactly those of its SHA256SUMS"
  tar -xf "$STAGE/bundle.tar" -C "$REL_TMP" --no-same-owner --no-same-permissions ||
    die "cannot extract the bundle (disk full?)"
fi
[ -f "$REL_TMP/SHA256SUMS" ] || die "the bundle has no SHA256SUMS"
actual="$(sha256sum "$REL_TMP/SHA256SUMS" | cut -d' ' -f1)"
[ "$actual" = "$HASH" ] || die "bundle hash mismatch: expected $HASH, got $actual (a different or altered bundle)"
(cd "$REL_TMP" && sha256sum --check --strict --quiet SHA256SUMS) || die "a bundle file does not match SHA256SUMS"
extra="$(cd "$REL_TMP" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort | comm -23 - <(sed 's/^[0-9a-f]*  //' SHA256SUMS | sort))"
[ -z "$extra" ] || die "the bundle holds files not listed in SHA256SUMS: $extra"
printf '%s\n' "$HASH" >"$REL_TMP/bundle.sha256" || die "cannot write into $REL_TMP (disk full?)"
log "bundle $HASH verified"

# --- 2. resolve secrets -------------------------------------------------------------------------------------------
resolve_secrets "$REL_TMP"
SECRETS="$REL_TMP/secrets.env"
chmod 755 "$REL_TMP/certs" "$REL_TMP/rules"
chmod 644 "$REL_TMP/certs/ca.pem" "$REL_TMP/config.yaml" "$REL_TMP"/rules/*
log "secrets resolved ($(wc -l <"$REL_TMP/secrets.txt") rule secret(s))"

# --- 3. pre-flight every rule in the pinned image (one container for all rules) ------------------------------------
IMAGE="$(bundle_get "$REL_TMP/bundle.env" IMAGE)"
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "image $IMAGE is present (not pulled)"
else
  pull_image "$IMAGE"
fi
# shellcheck disable=SC2016 # expanded by the container's shell
PREFLIGHT='for f in /opt/elastalert/rules/*.yaml; do [ -e "$f" ] || continue
  out="$(elastalert-test-rule --schema-only --config /opt/elastalert/config.yaml "$f" 2>&1)" ||
  { printf "%s\n" "$out" | tail -n 15; echo "PREFLIGHT FAILED: ${f##*/}"; exit 1; }; done'
if ! out="$(docker run --rm "${HARDENING[@]}" --entrypoint sh --env-file "$SECRETS" \
  -v "$REL_TMP/config.yaml:$IN_CONTAINER/config.yaml:ro" -v "$REL_TMP/rules:$IN_CONTAINER/rules:ro" \
  -v "$REL_TMP/certs:$IN_CONTAINER/certs:ro" "$IMAGE" -c "$PREFLIGHT" 2>&1)"; then
  printf '%s\n' "$out" | tail -n 16 | redact
  bad="$(sed -n 's/^PREFLIGHT FAILED: //p' <<<"$out" | tail -n 1)"
  die "rule ${bad:-?} fails elastalert-test-rule --schema-only in $IMAGE; nothing was changed"
fi
log "every rule passes elastalert-test-rule --schema-only"

# --- 4. let a rule run in progress finish (bounded by run_every), then, if enough time is left to verify and undo,
# switch atomically --------------------------------------------------------------------------------------------------
wait_for_runs "$(bundle_get "$REL_TMP/bundle.env" RUN_EVERY_SECONDS)"
need="$(switch_needs "$REL_TMP")"
[ "$(remaining)" -ge "$need" ] || die "not switching: $(remaining)s left before this command's deadline and a switch needs ${need}s to be verified or undone; nothing was changed, run the deployment again"
RELEASE="$ROOT/releases/$DEPLOY_ID"
mv "$REL_TMP" "$RELEASE"
PREVIOUS="$(readlink "$ROOT/current" 2>/dev/null || true)"
PHASE=switched
ln -sfn "$RELEASE" "$ROOT/current.next"
mv -T "$ROOT/current.next" "$ROOT/current"
STATE="switching to $RELEASE (bundle $HASH), not verified"
log "switched current -> $RELEASE (previous: ${PREVIOUS:-none})"

# --- 5. recreate the container and verify -------------------------------------------------------------------------
T0="$(date +%s)"
REASON=""
start_container "$RELEASE" || rollback "docker run failed for $IMAGE"
verify_release "$RELEASE" "$T0" || rollback "$REASON"
PHASE=deployed
STATE="DEPLOYED: bundle $HASH runs and is verified (release $RELEASE)"

# --- 6. keep the last releases ------------------------------------------------------------------------------------
find "$ROOT/releases" -mindepth 1 -maxdepth 1 -type d ! -name '.staging-*' -printf '%T@ %p\n' | sort -rn |
  tail -n +"$((KEEP + 1))" | cut -d' ' -f2- | while IFS= read -r old; do
  [ "$old" = "$RELEASE" ] || [ "$old" = "$PREVIOUS" ] || rm -rf "$old"
done
log "DEPLOYED bundle $HASH: $(bundle_get "$RELEASE/bundle.env" RULE_COUNT) rule(s) loaded, $(grep -c . "$RELEASE/expected-rules.txt" || true) running and evaluating"
