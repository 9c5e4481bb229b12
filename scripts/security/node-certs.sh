#!/usr/bin/env bash
# Gets this node its own TLS certificate from the environment's certificate issuer (a Lambda function URL with
# AWS_IAM auth), at every boot before the service starts, and again from the renewal timer. The node never sees the
# CA key: it makes its own key, sends a certificate request signed (SigV4) with its instance role credentials, and
# the issuer checks who asks (instance id = role session name, its Auto Scaling group, its own IP and DNS name).
#
#   node-certs.sh --issuer-url https://<id>.lambda-url.<region>.on.aws/ --service-name elasticsearch.<env>.elk.internal \
#                 [--cert-dir /etc/elasticsearch/certs] [--owner-group elasticsearch] [--region r]
#   node-certs.sh --issuer-url URL --client [--cert-dir DIR] [--owner-group G]   # a Beats producer's client
#                 certificate: its own names only, no service name (docs/security.md, "Beats producers")
#   node-certs.sh --print-settings [--cert-dir DIR]   # the elasticsearch.yml TLS settings for these files
#
# Reads the private IP, private DNS name, instance id, region and role credentials from IMDSv2, makes a fresh EC
# P-256 key and a CSR with SANs = service name, private DNS, instance id, localhost, private IP and 127.0.0.1, POSTs
# {"csr": ...} to the issuer, verifies the answer (chains to the returned CA bundle, matches the key, carries the
# private IP) and installs node.key / node.crt / ca.crt. Renewal is the same command: Elasticsearch reloads changed
# PEM files by itself. The issuer decides the validity (days); the answer's notAfter is printed.
# The key is mode 0600, owned by the service user (Elasticsearch reads it as that user). Files are written under
# ELK_ROOT (the boot rehearsal's root prefix; empty on an instance); the printed settings name the instance paths.
# Nothing secret is echoed or put on a command line: the credentials reach curl through a 0600 config file.
# Few processes (a boot and every renewal run this): the JSON of IMDS and of the issuer is read by bash (json_string),
# and the issued certificate is inspected by one `openssl x509`.
set -euo pipefail

ISSUER_URL="${CERT_ISSUER_URL:-}"
SERVICE_NAME="${SERVICE_NAME:-}"
CERT_DIR="${CERT_DIR:-/etc/elasticsearch/certs}"
OWNER_GROUP="${OWNER_GROUP:-elasticsearch}"
OWNER_USER="${OWNER_USER:-elasticsearch}"
R="${ELK_ROOT:-}"
REGION="${AWS_REGION:-}"
IMDS="${IMDS_ENDPOINT:-http://169.254.169.254}"
PRINT_SETTINGS=0
CLIENT=0

die() {
  echo "node-certs: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --issuer-url) ISSUER_URL="${2:?--issuer-url needs a value}"; shift 2 ;;
    --service-name) SERVICE_NAME="${2:?--service-name needs a value}"; shift 2 ;;
    --cert-dir) CERT_DIR="${2:?--cert-dir needs a value}"; shift 2 ;;
    --owner-group) OWNER_GROUP="${2:?--owner-group needs a value}"; shift 2 ;;
    --region) REGION="${2:?--region needs a value}"; shift 2 ;;
    --print-settings) PRINT_SETTINGS=1; shift ;;
    --client) CLIENT=1; shift ;;
    *) die "unknown argument '$1' (see the header of this script)" ;;
  esac
done

if [ "$PRINT_SETTINGS" -eq 1 ]; then
  cat <<EOF
xpack.security.enabled: true
xpack.security.transport.ssl.enabled: true
xpack.security.transport.ssl.verification_mode: full
xpack.security.transport.ssl.key: ${CERT_DIR}/node.key
xpack.security.transport.ssl.certificate: ${CERT_DIR}/node.crt
xpack.security.transport.ssl.certificate_authorities: [ "${CERT_DIR}/ca.crt" ]
xpack.security.http.ssl.enabled: true
xpack.security.http.ssl.key: ${CERT_DIR}/node.key
xpack.security.http.ssl.certificate: ${CERT_DIR}/node.crt
xpack.security.http.ssl.certificate_authorities: [ "${CERT_DIR}/ca.crt" ]
EOF
  exit 0
fi

[ -n "$ISSUER_URL" ] || die "--issuer-url (or CERT_ISSUER_URL) is required: the environment's certificate issuer URL"
case "$ISSUER_URL" in https://* | http://127.0.0.1:*) ;; *) die "--issuer-url must be https://, got '$ISSUER_URL'" ;; esac
if [ "$CLIENT" = 1 ]; then
  [ -z "$SERVICE_NAME" ] || die "--client certificates carry no service name: drop --service-name"
else
  [ -n "$SERVICE_NAME" ] || die "--service-name (or SERVICE_NAME) is required, e.g. elasticsearch.dev.elk.internal"
fi
command -v openssl >/dev/null || die "openssl is not installed"

# Prints the string value of KEY in the JSON object of FILE (IMDS credentials, the issuer's answer: string values
# whose only escapes are \n and \/, which are decoded). A value with any other escape (a quote, a backslash, \u...) is
# not read: fails rather than misreads.
json_string() {
  local doc re v
  doc="$(<"$1")"
  re="\"$2\"[[:space:]]*:[[:space:]]*\"(([^\"\\\\]|\\\\[n/])*)\""
  [[ "$doc" =~ $re ]] || return 1
  v="${BASH_REMATCH[1]//\\n/$'\n'}"
  printf '%s' "${v//\\\//\/}"
}

imds() {
  curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/$1"
}
TOKEN="$(curl -sf --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/latest/api/token")" ||
  die "cannot get an IMDSv2 token from $IMDS"
PRIVATE_IP="$(imds meta-data/local-ipv4)" || die "IMDS: no local-ipv4"
PRIVATE_DNS="$(imds meta-data/local-hostname)" || die "IMDS: no local-hostname"
INSTANCE_ID="$(imds meta-data/instance-id)" || die "IMDS: no instance-id"
if [ -z "$REGION" ]; then
  REGION="$(imds meta-data/placement/region)" || die "IMDS: no placement/region"
fi
roles="$(imds meta-data/iam/security-credentials/)" || die "IMDS: the instance has no role"
ROLE_NAME="${roles%%$'\n'*}"

umask 077
mkdir -p "$R$CERT_DIR"
WORK="$(mktemp -d "$R$CERT_DIR/.issue.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# Instance role credentials -> a curl config file (user = key id:secret, the session token header). 0600, removed
# with $WORK; never an argument, so never in the process list.
imds "meta-data/iam/security-credentials/$ROLE_NAME" >"$WORK/creds.json" || die "IMDS: no credentials for $ROLE_NAME"
if ! { key_id="$(json_string "$WORK/creds.json" AccessKeyId)" &&
  secret="$(json_string "$WORK/creds.json" SecretAccessKey)" && session="$(json_string "$WORK/creds.json" Token)"; }; then
  die "IMDS: unreadable credentials for $ROLE_NAME"
fi
printf 'user = "%s:%s"\nheader = "x-amz-security-token: %s"\n' "$key_id" "$secret" "$session" >"$WORK/curl.cfg"
unset key_id secret session
rm -f "$WORK/creds.json"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/node.key" 2>/dev/null
openssl req -new -key "$WORK/node.key" -subj "/O=elk-cdk/CN=${INSTANCE_ID}" \
  -addext "subjectAltName = ${SERVICE_NAME:+DNS:${SERVICE_NAME}, }DNS:${PRIVATE_DNS}, DNS:${INSTANCE_ID}, DNS:localhost, IP:${PRIVATE_IP}, IP:127.0.0.1" \
  -out "$WORK/node.csr"
# {"csr": "<PEM>"}: a PEM holds no quote or backslash, only its line breaks need escaping.
csr="$(<"$WORK/node.csr")"
printf '{"csr": "%s\\n"}' "${csr//$'\n'/\\n}" >"$WORK/request.json"

status="$(curl -sS --max-time 30 --aws-sigv4 "aws:amz:${REGION}:lambda" -K "$WORK/curl.cfg" \
  -H 'content-type: application/json' --data-binary "@$WORK/request.json" \
  -o "$WORK/response.json" -w '%{http_code}' "$ISSUER_URL")" || die "the issuer $ISSUER_URL is not reachable"
if [ "$status" != 200 ]; then
  die "the issuer refused (HTTP $status): $(json_string "$WORK/response.json" error 2>/dev/null || echo 'no reason')"
fi
if ! { json_string "$WORK/response.json" certificatePem >"$WORK/node.crt" &&
  json_string "$WORK/response.json" caPem >"$WORK/ca.crt" && not_after="$(json_string "$WORK/response.json" notAfter)"; }; then
  die "the issuer's answer is not a certificate"
fi

openssl verify -CAfile "$WORK/ca.crt" "$WORK/node.crt" >/dev/null || die "the issued certificate does not verify against the CA"
# One x509 prints the certificate's public key, then whether it carries the IP (it needs no trust store:
# SSL_CERT_FILE=/dev/null spares it the parse of the system's at start).
inspected="$(SSL_CERT_FILE=/dev/null openssl x509 -in "$WORK/node.crt" -noout -pubkey -checkip "$PRIVATE_IP")" ||
  die "the issued certificate is unreadable"
[ "${inspected%%-----END PUBLIC KEY-----*}-----END PUBLIC KEY-----" = "$(openssl pkey -in "$WORK/node.key" -pubout)" ] ||
  die "the issued certificate is not for this node's key"
[[ "$inspected" == *"does match certificate"* ]] || die "the issued certificate does not carry this node's IP $PRIVATE_IP"

# The three files get their modes and owners in $WORK (a 0700 folder inside the certificate folder, so on its file
# system), then each is renamed into place: a reader sees the old file or the new one, never a partial one. One
# chmod per mode, one chgrp, one mv for all of them (a boot and every renewal run this).
chmod 0644 "$WORK/ca.crt" "$WORK/node.crt"
chmod 0600 "$WORK/node.key"
if getent group "$OWNER_GROUP" >/dev/null 2>&1; then
  chgrp "$OWNER_GROUP" "$WORK/ca.crt" "$WORK/node.key" "$WORK/node.crt" "$R$CERT_DIR"
fi
if getent passwd "$OWNER_USER" >/dev/null 2>&1; then chown "$OWNER_USER" "$WORK/node.key"; fi
mv -f "$WORK/ca.crt" "$WORK/node.key" "$WORK/node.crt" "$R$CERT_DIR/"
chmod 0750 "$R$CERT_DIR"

echo "node-certs: certificate for ${INSTANCE_ID} (${PRIVATE_IP}, ${PRIVATE_DNS}${SERVICE_NAME:+, ${SERVICE_NAME}}) valid until ${not_after}, in ${CERT_DIR}"
