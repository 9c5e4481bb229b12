#!/usr/bin/env bash
# Sourced by every boot script of a node (es-node-boot.sh, kibana-boot.sh, logstash-boot.sh); not run on its own.
#
#   ELK_ROOT   root prefix of every file a boot script reads or writes (default: empty, i.e. /). Only the boot
#              rehearsal (elkctl boot rehearse) sets it, to a per-node sandbox folder; paths written INTO
#              configuration files never carry it (they are the paths on the instance).
#
# elk_load_env   reads /etc/elk-cdk/node.env with every variable exported (the child scripts need them)
# elk_step NAME  names the step that runs now; a failure prints "<script>: FAILED at step NAME (exit N)" as the
#                last line of the boot log, and calls elk_on_failure when the script defines it
# elk_signal S   sends the CloudFormation resource signal S (SUCCESS|FAILURE) of the instance's Auto Scaling group
#                when node.env names one (ELK_SIGNAL_RESOURCE); never fails the boot
# elk_secret_password ID   prints the "password" of a user secret {"username","password"} (never echo it elsewhere)
# elk_json_string KEY  prints the string value of KEY in the JSON object on stdin, read by bash (no process): only a
#                value without any escape is read (the generated secrets are letters and digits, docs/security.md);
#                one with an escape, or no KEY, fails rather than being misread
# elk_install_password ROLE  reads the password on stdin and installs it for Kibana (keystore) or Logstash (root-only
#                environment file), and records its SHA-256 (etc/elk-cdk/credentials.sha256) for elk-credentials-reload.sh
# elk_wait_healthy ROLE   the bounded wait (ELK_HEALTH_ATTEMPTS x ELK_HEALTH_SLEEP) for Kibana's /api/status
#                "available" or Logstash's pipeline running with 5044 listening; fails with what it saw
# elk_wait_membership  waits, bounded, until EC2 says this instance belongs to an Auto Scaling group (below)
# elk_cert_renewal [VAR=value ...]  writes and enables elk-cdk-cert-renew.{service,timer} (node-cert-renew.sh every
#                6 hours), the arguments as the service's environment (CERT_DIR, OWNER_USER, ELK_CERT_RELOAD, ...)
ELK_ROOT="${ELK_ROOT:-}"
ELK_STEP="start"
ELK_SCRIPT="$(basename "$0" .sh)"

elk_load_env() {
  local file="${ELK_ENV_FILE:-$ELK_ROOT/etc/elk-cdk/node.env}"
  [ -r "$file" ] || { echo "$ELK_SCRIPT: $file is missing (written by the user data)" >&2; return 1; }
  # node.env holds KEY='value' lines without `export`: set -a exports them to the child scripts.
  set -a
  # shellcheck source=/dev/null
  . "$file"
  set +a
}

elk_step() {
  ELK_STEP="$1"
  echo "$ELK_SCRIPT: step $ELK_STEP"
}

elk_signal() {
  local status="$1"
  [ -n "${ELK_SIGNAL_RESOURCE:-}" ] && [ -n "${ELK_STACK_NAME:-}" ] && [ -n "${ELK_INSTANCE_ID:-}" ] || return 0
  if aws cloudformation signal-resource --region "$ELK_REGION" --stack-name "$ELK_STACK_NAME" \
    --logical-resource-id "$ELK_SIGNAL_RESOURCE" --unique-id "$ELK_INSTANCE_ID" --status "$status" >/dev/null 2>&1; then
    echo "$ELK_SCRIPT: signalled $status to $ELK_SIGNAL_RESOURCE"
  else
    # No update is waiting (first creation, or a health replacement): nothing to tell CloudFormation.
    echo "$ELK_SCRIPT: no $status signal accepted by $ELK_SIGNAL_RESOURCE (no update waiting)"
  fi
}

elk_exit_trap() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "$ELK_SCRIPT: FAILED at step $ELK_STEP (exit $rc)"
    elk_signal FAILURE || true
  fi
  return "$rc"
}
trap elk_exit_trap EXIT

# IMDSv2: one token, bounded calls.
elk_imds_token() {
  curl -sf --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "http://169.254.169.254/latest/api/token"
}
elk_imds() {
  curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $ELK_IMDS_TOKEN" "http://169.254.169.254/latest/meta-data/$1"
}

# Reads the instance identity into ELK_INSTANCE_ID, ELK_PRIVATE_IP, ELK_AVAILABILITY_ZONE (exported).
elk_identity() {
  ELK_IMDS_TOKEN="$(elk_imds_token)"
  ELK_INSTANCE_ID="$(elk_imds instance-id)"
  ELK_PRIVATE_IP="$(elk_imds local-ipv4)"
  ELK_AVAILABILITY_ZONE="$(elk_imds placement/availability-zone)"
  export ELK_INSTANCE_ID ELK_PRIVATE_IP ELK_AVAILABILITY_ZONE
}

# Waits until EC2 reports this instance's `aws:autoscaling:groupName` tag, polling every ELK_MEMBERSHIP_POLL_SECONDS
# (default 5) through `sleep` for at most ELK_MEMBERSHIP_WAIT_SECONDS (default 900; node.env may set either). Auto
# Scaling writes that reserved tag when it launches an instance (present from the first look: no wait) or when it
# attaches one (AttachInstances; the orchestrator's surge instances are launched by EC2 RunInstances and attached once
# running, seconds to a minute later). The certificate issuer refuses an instance without it, and the boot asks once.
# Read with `aws ec2 describe-instances` of this instance, not IMDS instance tags: the Elasticsearch roles hold
# ec2:DescribeInstances already (discovery-ec2, the bootstrap decision), it is the very call and view the issuer
# decides from (lambda/cert-issuer/index.ts), and IMDS tags would need `InstanceMetadataTags: enabled` in every launch
# template, which makes EC2 refuse to launch an instance carrying any tag key with a space or a `/` (EC2 user guide,
# "View tags for your EC2 instances using instance metadata"): config.tags would have to forbid them. A failed call
# (throttling, an instance id EC2 does not list yet: its API is eventually consistent) is a "not yet"; the failure at
# the bound names the last look's error (a missing permission among them).
elk_wait_membership() {
  local bound="${ELK_MEMBERSHIP_WAIT_SECONDS:-900}" every="${ELK_MEMBERSHIP_POLL_SECONDS:-5}" waited=0 out group last
  case "$bound$every" in *[!0-9]*) echo "$ELK_SCRIPT: ELK_MEMBERSHIP_WAIT_SECONDS and _POLL_SECONDS must be whole seconds" >&2; return 1 ;; esac
  [ "$every" -gt 0 ] || every=5
  while :; do
    if out="$(aws ec2 describe-instances --region "$ELK_REGION" --instance-ids "$ELK_INSTANCE_ID" \
      --query "Reservations[0].Instances[0].Tags[?Key=='aws:autoscaling:groupName'] | [0].Value" --output text 2>&1)"; then
      # The value is the last line (a warning on stderr would come first). A missing tag is null, printed as None.
      group="${out##*$'\n'}"
      if [ -n "$group" ] && [ "$group" != None ]; then
        echo "$ELK_SCRIPT: member of Auto Scaling group $group (after ${waited} s)"
        return 0
      fi
      last="no aws:autoscaling:groupName tag"
    else
      last="${out//$'\n'/ }"
    fi
    if [ "$waited" -ge "$bound" ]; then
      echo "$ELK_SCRIPT: instance $ELK_INSTANCE_ID was never attached to an Auto Scaling group of environment" \
        "${ELK_ENVIRONMENT:-?} within ${bound} s (ELK_MEMBERSHIP_WAIT_SECONDS); last look: $last" >&2
      return 1
    fi
    sleep "$every"
    waited=$((waited + every))
  done
}

# The certificate lives days, the instance may live years (node-cert-renew.sh says how).
elk_cert_renewal() {
  local bin env_line=""
  bin="$(cd "$(dirname "$0")" && pwd)"
  [ $# -eq 0 ] || env_line="Environment=$*"
  cat >"$ELK_ROOT/etc/systemd/system/elk-cdk-cert-renew.service" <<EOF
[Unit]
Description=elk-cdk: renew this node's TLS certificate and publish its days to expiry
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
${env_line}
ExecStart=${bin#"$ELK_ROOT"}/node-cert-renew.sh
EOF
  cat >"$ELK_ROOT/etc/systemd/system/elk-cdk-cert-renew.timer" <<'EOF'
[Unit]
Description=elk-cdk: check this node's TLS certificate every 6 hours

[Timer]
OnBootSec=15min
OnUnitActiveSec=6h
RandomizedDelaySec=20min
Persistent=true

[Install]
WantedBy=timers.target
EOF
  systemctl daemon-reload
  systemctl enable --now elk-cdk-cert-renew.timer
}

elk_json_string() {
  local doc="" re="\"$1\"[[:space:]]*:[[:space:]]*\"([^\"\\\\]*)\""
  IFS= read -r -d '' doc || true
  [[ "$doc" =~ $re ]] || return 1
  printf '%s' "${BASH_REMATCH[1]}"
}

elk_secret_password() {
  local secret
  secret="$(aws secretsmanager get-secret-value --region "$ELK_REGION" --secret-id "$1" --query SecretString \
    --output text)" || return 1
  elk_json_string password <<<"$secret" ||
    { echo "$ELK_SCRIPT: the secret $1 holds no \"password\" of letters and digits" >&2; return 1; }
}

elk_install_password() {
  local role="$1" password
  # Read first, then write: a failure inside a redirected block would send the failure line into the file.
  IFS= read -r -d '' password || true
  [ -n "$password" ] || { echo "$ELK_SCRIPT: empty password for $role" >&2; return 1; }
  case "$role" in
    kibana)
      [ -f "$ELK_ROOT/etc/kibana/kibana.keystore" ] || "$ELK_ROOT/usr/share/kibana/bin/kibana-keystore" create
      printf '%s' "$password" | "$ELK_ROOT/usr/share/kibana/bin/kibana-keystore" add --stdin --force elasticsearch.password
      ;;
    logstash)
      (
        umask 077
        mkdir -p "$ELK_ROOT/etc/systemd/system/logstash.service.d"
        printf 'ELK_ES_PASSWORD=%s\n' "$password" >"$ELK_ROOT/etc/elk-cdk/logstash.env"
        printf '[Service]\nEnvironmentFile=/etc/elk-cdk/logstash.env\n' \
          >"$ELK_ROOT/etc/systemd/system/logstash.service.d/elk-cdk.conf"
      )
      ;;
    *) echo "$ELK_SCRIPT: no service password for role $role" >&2; return 1 ;;
  esac
  (umask 077 && printf '%s' "$password" | sha256sum | cut -d' ' -f1 >"$ELK_ROOT/etc/elk-cdk/credentials.sha256")
}

elk_wait_healthy() {
  local role="$1" attempts="${ELK_HEALTH_ATTEMPTS:-60}" i level="" body
  for ((i = 1; i <= attempts; i++)); do
    case "$role" in
      kibana)
        # TLS when the boot installed the issuer's certificate (localhost is one of its names).
        local tls=() scheme=http
        if [ -n "${ELK_CERT_ISSUER_URL:-}" ]; then tls=(--cacert "$ELK_ROOT/etc/kibana/certs/ca.crt") scheme=https; fi
        # status.overall.level: the members of "overall" before any nested object (the unauthenticated answer is
        # {"status":{"overall":{"level":...}}}); anything else reads as no level.
        level=""
        body="$(curl -s --max-time 5 "${tls[@]}" "$scheme://localhost:5601/api/status" 2>/dev/null || true)"
        if [[ "$body" =~ \"overall\"[[:space:]]*:[[:space:]]*\{[^{}]*\"level\"[[:space:]]*:[[:space:]]*\"([a-z_]*)\" ]]; then
          level="${BASH_REMATCH[1]}"
        fi
        [ "$level" = available ] && return 0
        ;;
      logstash)
        if curl -sf --max-time 5 http://localhost:9600/_node/pipelines/main >/dev/null 2>&1 &&
          [ -n "$(ss -Hltn 'sport = :5044' 2>/dev/null)" ]; then
          return 0
        fi
        ;;
    esac
    sleep "${ELK_HEALTH_SLEEP:-10}"
  done
  case "$role" in
    kibana) echo "$ELK_SCRIPT: /api/status not available after $attempts checks (last: '${level}')" >&2 ;;
    *) echo "$ELK_SCRIPT: pipeline main not running or 5044 not listening after $attempts checks" >&2 ;;
  esac
  return 1
}
