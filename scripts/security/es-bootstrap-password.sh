#!/usr/bin/env bash
# Puts the `elastic` user's generated password into this node's Elasticsearch keystore as `bootstrap.password`,
# before Elasticsearch starts. Until the security bootstrap (custom resource) has stored the password in the
# .security index, `elastic` authenticates with this value; afterwards the keystore entry is ignored.
#
#   es-bootstrap-password.sh --secret-id <arn|name of the elastic user secret> [--region r]
#                            [--keystore-tool /usr/share/elasticsearch/bin/elasticsearch-keystore]
#
# The secret is JSON {"username": "elastic", "password": "..."}; the password is piped to the keystore tool,
# never placed on a command line or echoed.
set -euo pipefail

SECRET_ID="${ELASTIC_SECRET_ID:-}"
REGION="${AWS_REGION:-}"
R="${ELK_ROOT:-}" # root prefix: empty on an instance, a sandbox in the boot rehearsal
KEYSTORE_TOOL="${KEYSTORE_TOOL:-$R/usr/share/elasticsearch/bin/elasticsearch-keystore}"
IMDS="${IMDS_ENDPOINT:-http://169.254.169.254}"

die() {
  echo "es-bootstrap-password: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --secret-id) SECRET_ID="${2:?--secret-id needs a value}"; shift 2 ;;
    --region) REGION="${2:?--region needs a value}"; shift 2 ;;
    --keystore-tool) KEYSTORE_TOOL="${2:?--keystore-tool needs a value}"; shift 2 ;;
    *) die "unknown argument '$1'" ;;
  esac
done

[ -n "$SECRET_ID" ] || die "--secret-id (or ELASTIC_SECRET_ID) is required: the ARN of the elastic user secret"
[ -x "$KEYSTORE_TOOL" ] || die "keystore tool not found at $KEYSTORE_TOOL (install Elasticsearch first)"

if [ -z "$REGION" ]; then
  TOKEN="$(curl -sf --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$IMDS/latest/api/token")" ||
    die "cannot get an IMDSv2 token"
  REGION="$(curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/placement/region")" ||
    die "IMDS: no placement/region"
fi

if [ ! -f "$(dirname "$KEYSTORE_TOOL")/../config/elasticsearch.keystore" ] &&
  [ ! -f "$R/etc/elasticsearch/elasticsearch.keystore" ]; then
  "$KEYSTORE_TOOL" create >/dev/null
fi

# The RPM's security auto-configuration stores passwords of its own PKCS#12 keystores; with our PEM files
# (node-certs.sh) those entries point at nothing and Elasticsearch refuses to start. Remove them if present.
existing="$("$KEYSTORE_TOOL" list)"
for entry in xpack.security.http.ssl.keystore.secure_password \
  xpack.security.transport.ssl.keystore.secure_password \
  xpack.security.transport.ssl.truststore.secure_password; do
  # A here-string, not a pipe: grep -q exits at its match, and under pipefail the writer's SIGPIPE made the test
  # false at random, leaving the entry (the boot rehearsal caught it now and then).
  if grep -qx "$entry" <<<"$existing"; then
    "$KEYSTORE_TOOL" remove "$entry" >/dev/null
  fi
done

secret="$(aws secretsmanager get-secret-value --region "$REGION" --secret-id "$SECRET_ID" --query SecretString \
  --output text)" || die "could not read $SECRET_ID (role allowed to read it?)"
# {"username": "elastic", "password": "<letters and digits>"}, read by bash (no process): a value with any escape is
# not read (docs/security.md: generated passwords are letters and digits), rather than misread.
re='"password"[[:space:]]*:[[:space:]]*"([^"\\]*)"'
[[ "$secret" =~ $re ]] || die "the secret $SECRET_ID holds no \"password\" of letters and digits"
unset secret
printf '%s' "${BASH_REMATCH[1]}" | "$KEYSTORE_TOOL" add --force --stdin bootstrap.password >/dev/null ||
  die "could not store bootstrap.password (Elasticsearch installed?)"
echo "es-bootstrap-password: bootstrap.password set"
