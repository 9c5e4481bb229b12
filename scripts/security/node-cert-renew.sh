#!/usr/bin/env bash
# Keeps this node's TLS certificate valid: run by elk-cdk-cert-renew.timer (installed by es-node-boot.sh) every few
# hours. User data runs once per instance, so without this a node that lives longer than its certificate's validity
# (days, set by the issuer) would drop out of the cluster.
#
#   node-cert-renew.sh [--force]
#
# 1. Renews when less than half of the installed certificate's validity remains (or with --force), with the same
#    request as at boot (node-certs.sh: a fresh key, the issuer checks who asks). Elasticsearch watches its PEM files
#    and reloads changed ones by itself (no restart, no dropped connection). A service that does not (Logstash's
#    Beats input; Kibana, which reloads on SIGHUP through its unit's ExecReload) is named in ELK_CERT_RELOAD and
#    gets `systemctl try-reload-or-restart` after a renewal. With ELK_CERT_STAMP=<file>, the line
#    `# elk-cdk certificate sha256: ...` of that file first gets the new certificate's SHA-256: Logstash reloads on
#    SIGHUP only the pipelines whose text changed, so the stamp makes its Beats pipeline restart with the new
#    certificate, in the running process.
# 2. Publishes the days left on the installed certificate, renewed or not, as the CloudWatch metric
#    elk-cdk/Nodes CertificateDaysToExpiry {Environment, Role}: a node whose renewals keep failing shows its days
#    falling, and the environment's alarm fires well before the certificate expires. And CertificateRenewalFailed
#    {Environment, Role}: 1 when this run's renewal, stamp or reload failed, else 0 (renewed or not due).
# Exits non-zero when the renewal or the metric failed (systemd shows the unit failed; the next run tries again).
#
# The service unit's environment may set CERT_DIR, OWNER_USER, OWNER_GROUP (passed on to node-certs.sh) and
# ELK_CERT_RELOAD (default: Elasticsearch's layout, no reload).
# Reads /etc/elk-cdk/node.env (ELK_CERT_ISSUER_URL, ELK_SERVICE_NAME, ELK_REGION, ELK_ENVIRONMENT, ELK_ROLE) under
# ELK_ROOT (the boot rehearsal's root prefix; empty on an instance). ELK_NOW_EPOCH, when set, is the time the "is a
# renewal due" decision is made at (the rehearsal travels to a day before expiry); the metric always uses the clock.
set -euo pipefail

BIN="$(cd "$(dirname "$0")" && pwd)"
R="${ELK_ROOT:-}"
ENV_FILE="${ELK_ENV_FILE:-$R/etc/elk-cdk/node.env}"
CERT_DIR="${CERT_DIR:-/etc/elasticsearch/certs}"
NAMESPACE="elk-cdk/Nodes"
FORCE=0

log() { echo "node-cert-renew: $*"; }
die() {
  echo "node-cert-renew: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1; shift ;;
    *) die "unknown argument '$1' (usage: node-cert-renew.sh [--force])" ;;
  esac
done

[ -r "$ENV_FILE" ] || die "$ENV_FILE is missing (written by the user data)"
set -a
# shellcheck source=/dev/null
. "$ENV_FILE"
set +a
for v in ELK_CERT_ISSUER_URL ELK_SERVICE_NAME ELK_REGION ELK_ENVIRONMENT ELK_ROLE; do
  [ -n "${!v:-}" ] || die "$v is not set in $ENV_FILE"
done

CRT="$R$CERT_DIR/node.crt"
[ -f "$CRT" ] || die "no certificate at $CERT_DIR/node.crt (the boot's certificates step did not run)"
# The installed certificate's notBefore and notAfter as epoch seconds, one a line: one openssl and one date. (No
# trust store is needed to read a certificate: SSL_CERT_FILE=/dev/null spares openssl x509 the parse of the system's
# at every start.)
cert_dates() {
  local dates
  dates="$(SSL_CERT_FILE=/dev/null openssl x509 -in "$CRT" -noout -startdate -enddate)" || return 1
  dates="${dates//notBefore=/}"
  date -u -f - +%s <<<"${dates//notAfter=/}"
}

# Writes the installed certificate's SHA-256 into the stamp line of $1 (a new file renamed over it, as sed -i does).
stamp_certificate() {
  local sum
  grep -q '^# elk-cdk certificate sha256: ' "$1" 2>/dev/null || return 1
  sum="$(sha256sum <"$CRT")"
  sed -i "s/^# elk-cdk certificate sha256: .*/# elk-cdk certificate sha256: ${sum%% *}/" "$1"
}

rc=0
{ read -r not_before && read -r not_after; } < <(cert_dates) || die "cannot read the dates of $CERT_DIR/node.crt"
decide_at="${ELK_NOW_EPOCH:-$EPOCHSECONDS}"
left=$((not_after - decide_at))
half=$(((not_after - not_before) / 2))
if [ "$FORCE" = 1 ] || [ "$left" -lt "$half" ]; then
  log "renewing: $((left / 3600)) h left of $(((not_after - not_before) / 3600)) h (renewal is due below half)"
  if "$BIN/node-certs.sh" --issuer-url "$ELK_CERT_ISSUER_URL" --service-name "$ELK_SERVICE_NAME" \
    --region "$ELK_REGION" --cert-dir "$CERT_DIR"; then
    if [ -n "${ELK_CERT_STAMP:-}" ] && ! stamp_certificate "$R$ELK_CERT_STAMP"; then
      rc=1
      log "renewed, but $ELK_CERT_STAMP has no '# elk-cdk certificate sha256:' line to stamp: no reload"
    elif [ -z "${ELK_CERT_RELOAD:-}" ]; then
      log "renewed; Elasticsearch reloads the PEM files by itself"
    elif systemctl try-reload-or-restart "$ELK_CERT_RELOAD"; then
      log "renewed; $ELK_CERT_RELOAD reloaded (or restarted) to load the new certificate"
    else
      rc=1
      log "renewed, but $ELK_CERT_RELOAD did not restart: it serves the old certificate until it does"
    fi
  else
    rc=1
    log "RENEWAL FAILED: the installed certificate stays; the next run tries again"
  fi
else
  log "not due: $((left / 3600)) h left of $(((not_after - not_before) / 3600)) h"
fi

failed="$rc" # 1 when this run's renewal, stamp or reload failed
{ read -r _ && read -r not_after; } < <(cert_dates) || die "cannot read the dates of $CERT_DIR/node.crt"
days="$(awk -v s="$((not_after - EPOCHSECONDS))" 'BEGIN { printf "%.2f", s / 86400 }')"
publish() {
  if aws cloudwatch put-metric-data --region "$ELK_REGION" --namespace "$NAMESPACE" --metric-name "$1" \
    --dimensions "Environment=$ELK_ENVIRONMENT,Role=$ELK_ROLE" --value "$2" --unit None; then
    log "published $1=$2"
  else
    rc=1
    log "could not publish $1 ($2)"
  fi
}
publish CertificateDaysToExpiry "$days"
publish CertificateRenewalFailed "$failed"
exit "$rc"
