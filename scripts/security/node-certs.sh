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
command -v python3 >/dev/null || die "python3 is required to read the issuer's JSON answer"

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
ROLE_NAME="$(imds meta-data/iam/security-credentials/ | head -n 1)" || die "IMDS: the instance has no role"

umask 077
mkdir -p "$R$CERT_DIR"
WORK="$(mktemp -d "$R$CERT_DIR/.issue.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# Instance role credentials -> a curl config file (user = key id:secret, the session token header). 0600, removed
# with $WORK; never an argument, so never in the process list.
imds "meta-data/iam/security-credentials/$ROLE_NAME" >"$WORK/creds.json" || die "IMDS: no credentials for $ROLE_NAME"
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
print("user = \"%s:%s\"" % (c["AccessKeyId"], c["SecretAccessKey"]))
print("header = \"x-amz-security-token: %s\"" % c["Token"])
' "$WORK/creds.json" >"$WORK/curl.cfg" || die "IMDS: unreadable credentials for $ROLE_NAME"
rm -f "$WORK/creds.json"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/node.key" 2>/dev/null
openssl req -new -key "$WORK/node.key" -subj "/O=elk-cdk/CN=${INSTANCE_ID}" \
  -addext "subjectAltName = ${SERVICE_NAME:+DNS:${SERVICE_NAME}, }DNS:${PRIVATE_DNS}, DNS:${INSTANCE_ID}, DNS:localhost, IP:${PRIVATE_IP}, IP:127.0.0.1" \
  -out "$WORK/node.csr"
python3 -c 'import json, sys; json.dump({"csr": open(sys.argv[1]).read()}, sys.stdout)' "$WORK/node.csr" >"$WORK/request.json"

status="$(curl -sS --max-time 30 --aws-sigv4 "aws:amz:${REGION}:lambda" -K "$WORK/curl.cfg" \
  -H 'content-type: application/json' --data-binary "@$WORK/request.json" \
  -o "$WORK/response.json" -w '%{http_code}' "$ISSUER_URL")" || die "the issuer $ISSUER_URL is not reachable"
if [ "$status" != 200 ]; then
  reason="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("error", "no reason"))' "$WORK/response.json" 2>/dev/null || echo 'no reason')"
  die "the issuer refused (HTTP $status): $reason"
fi
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
open(sys.argv[2], "w").write(r["certificatePem"])
open(sys.argv[3], "w").write(r["caPem"])
print(r["notAfter"])
' "$WORK/response.json" "$WORK/node.crt" "$WORK/trust.crt" >"$WORK/not-after" || die "the issuer's answer is not a certificate"

openssl verify -CAfile "$WORK/trust.crt" "$WORK/node.crt" >/dev/null || die "the issued certificate does not verify against the CA"
[ "$(openssl x509 -in "$WORK/node.crt" -noout -pubkey)" = "$(openssl pkey -in "$WORK/node.key" -pubout)" ] ||
  die "the issued certificate is not for this node's key"
openssl x509 -in "$WORK/node.crt" -noout -checkip "$PRIVATE_IP" | grep -q 'does match' ||
  die "the issued certificate does not carry this node's IP $PRIVATE_IP"

install_file() {
  # $1 source, $2 target name, $3 mode
  cp "$1" "$R$CERT_DIR/$2.tmp"
  chmod "$3" "$R$CERT_DIR/$2.tmp"
  if getent group "$OWNER_GROUP" >/dev/null 2>&1; then chgrp "$OWNER_GROUP" "$R$CERT_DIR/$2.tmp"; fi
  if [ -n "${4:-}" ] && getent passwd "$4" >/dev/null 2>&1; then chown "$4" "$R$CERT_DIR/$2.tmp"; fi
  mv -f "$R$CERT_DIR/$2.tmp" "$R$CERT_DIR/$2"
}
install_file "$WORK/trust.crt" ca.crt 0644
install_file "$WORK/node.key" node.key 0600 "$OWNER_USER"
install_file "$WORK/node.crt" node.crt 0644
chmod 0750 "$R$CERT_DIR"
if getent group "$OWNER_GROUP" >/dev/null 2>&1; then chgrp "$OWNER_GROUP" "$R$CERT_DIR"; fi

echo "node-certs: certificate for ${INSTANCE_ID} (${PRIVATE_IP}, ${PRIVATE_DNS}${SERVICE_NAME:+, ${SERVICE_NAME}}) valid until $(cat "$WORK/not-after"), in ${CERT_DIR}"
