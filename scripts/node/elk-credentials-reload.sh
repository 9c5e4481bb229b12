#!/usr/bin/env bash
# The client side of a password rotation (docs/security.md, "Rotation") on a Kibana or Logstash node: re-reads the
# service user's password from Secrets Manager and, when it is not the one installed (its SHA-256 is recorded in
# /etc/elk-cdk/credentials.sha256 by the boot and by this script), installs it (Kibana keystore, Logstash's root-only
# environment file), restarts the service and waits for its health check. Run by the environment's reload-credentials
# SSM command, one instance at a time, after the security bootstrap has set the new passwords in Elasticsearch.
#   elk-credentials-reload.sh      exit 0: unchanged, or reloaded and healthy; non-zero: failed (the step is named)
# The password never reaches a command line, a log line or a file other than the service's own.
set -euo pipefail

BIN="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=/dev/null
. "$BIN/elk-boot-lib.sh"
R="$ELK_ROOT"

elk_step env
elk_load_env
case "$ELK_ROLE" in
  kibana) secret="${ELK_KIBANA_SECRET_ID:-}" ;;
  logstash) secret="${ELK_LOGSTASH_SECRET_ID:-}" ;;
  *) echo "$ELK_SCRIPT: a $ELK_ROLE node has no service password to reload" >&2; exit 2 ;;
esac
if [ -z "$secret" ]; then
  echo "$ELK_SCRIPT: $ELK_ROLE runs without a service user (no security): nothing to reload"
  exit 0
fi

elk_step read
password="$(elk_secret_password "$secret")"
installed="$(cat "$R/etc/elk-cdk/credentials.sha256" 2>/dev/null || true)"
if [ "$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)" = "$installed" ]; then
  echo "$ELK_SCRIPT: the $ELK_ROLE password is the installed one: nothing to do"
  exit 0
fi

elk_step install
printf '%s' "$password" | elk_install_password "$ELK_ROLE"
unset password

elk_step restart
systemctl restart "$ELK_ROLE"

elk_step health
elk_wait_healthy "$ELK_ROLE"
echo "$ELK_SCRIPT: $ELK_ROLE runs with the rotated password"
