#!/usr/bin/env bash
# Issues this Elasticsearch node its own TLS certificate, signed by the cluster CA, at every boot before
# Elasticsearch starts. Used for both transport (9300) and HTTP (9200).
#
#   node-certs.sh --ca-secret-id <arn|name> --service-name elasticsearch.<env>.elk.internal \
#                 [--cert-dir /etc/elasticsearch/certs] [--owner-group elasticsearch] [--days 730] [--region r]
#   node-certs.sh --print-settings [--cert-dir DIR]   # the elasticsearch.yml TLS settings for these files
#
# Reads the CA (certificate PEM followed by the private key PEM) from Secrets Manager with the AWS CLI, reads the
# private IP, private DNS name and instance id from IMDSv2, makes a fresh EC P-256 key and CSR with
# SANs = service name, private DNS, instance id, localhost, private IP and 127.0.0.1, signs it with openssl,
# verifies it, installs node.key / node.crt / ca.crt (every CA certificate in the secret: the trust bundle) and
# deletes the CA key from disk (also on failure).
# Nothing secret is echoed: no `set -x`, and the AWS CLI output goes straight to a 0600 file.
set -euo pipefail

CA_SECRET_ID="${CA_SECRET_ID:-}"
SERVICE_NAME="${SERVICE_NAME:-}"
CERT_DIR="${CERT_DIR:-/etc/elasticsearch/certs}"
OWNER_GROUP="${OWNER_GROUP:-elasticsearch}"
DAYS="${NODE_CERT_DAYS:-730}"
REGION="${AWS_REGION:-}"
IMDS="${IMDS_ENDPOINT:-http://169.254.169.254}"
PRINT_SETTINGS=0

die() {
  echo "node-certs: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --ca-secret-id) CA_SECRET_ID="${2:?--ca-secret-id needs a value}"; shift 2 ;;
    --service-name) SERVICE_NAME="${2:?--service-name needs a value}"; shift 2 ;;
    --cert-dir) CERT_DIR="${2:?--cert-dir needs a value}"; shift 2 ;;
    --owner-group) OWNER_GROUP="${2:?--owner-group needs a value}"; shift 2 ;;
    --days) DAYS="${2:?--days needs a value}"; shift 2 ;;
    --region) REGION="${2:?--region needs a value}"; shift 2 ;;
    --print-settings) PRINT_SETTINGS=1; shift ;;
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

[ -n "$CA_SECRET_ID" ] || die "--ca-secret-id (or CA_SECRET_ID) is required: the ARN of the cluster CA secret"
[ -n "$SERVICE_NAME" ] || die "--service-name (or SERVICE_NAME) is required, e.g. elasticsearch.dev.elk.internal"
case "$DAYS" in '' | *[!0-9]*) die "--days must be a whole number of days, got '$DAYS'" ;; esac
command -v openssl >/dev/null || die "openssl is not installed"
command -v aws >/dev/null || die "the AWS CLI (aws) is not installed"

imds() {
  curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/$1"
}
TOKEN="$(curl -sf --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/latest/api/token")" ||
  die "cannot get an IMDSv2 token from $IMDS"
PRIVATE_IP="$(imds local-ipv4)" || die "IMDS: no local-ipv4"
PRIVATE_DNS="$(imds local-hostname)" || die "IMDS: no local-hostname"
INSTANCE_ID="$(imds instance-id)" || die "IMDS: no instance-id"
if [ -z "$REGION" ]; then
  REGION="$(imds placement/region)" || die "IMDS: no placement/region"
fi

umask 077
mkdir -p "$CERT_DIR"
WORK="$(mktemp -d "$CERT_DIR/.issue.XXXXXX")"
cleanup() {
  # The CA key must never stay on a node.
  if [ -f "$WORK/ca-bundle.pem" ] && command -v shred >/dev/null; then shred -u "$WORK/ca-bundle.pem" || true; fi
  if [ -f "$WORK/ca.key" ] && command -v shred >/dev/null; then shred -u "$WORK/ca.key" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

aws secretsmanager get-secret-value --region "$REGION" --secret-id "$CA_SECRET_ID" \
  --query SecretString --output text >"$WORK/ca-bundle.pem" ||
  die "cannot read the CA secret $CA_SECRET_ID (does the instance role have secretsmanager:GetSecretValue on it?)"
# The first certificate signs; every certificate in the secret is trusted (more than one during a CA rotation).
openssl x509 -in "$WORK/ca-bundle.pem" -out "$WORK/ca.crt" 2>/dev/null ||
  die "the CA secret $CA_SECRET_ID holds no certificate (has the cluster-CA custom resource run?)"
awk '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/' "$WORK/ca-bundle.pem" >"$WORK/trust.crt"
openssl pkey -in "$WORK/ca-bundle.pem" -out "$WORK/ca.key" 2>/dev/null ||
  die "the CA secret $CA_SECRET_ID holds no private key"
rm -f "$WORK/ca-bundle.pem"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/node.key" 2>/dev/null
openssl req -new -key "$WORK/node.key" -subj "/O=elk-cdk/CN=${INSTANCE_ID}" -out "$WORK/node.csr"
cat >"$WORK/node.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment, keyAgreement
extendedKeyUsage = serverAuth, clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:${SERVICE_NAME}, DNS:${PRIVATE_DNS}, DNS:${INSTANCE_ID}, DNS:localhost, IP:${PRIVATE_IP}, IP:127.0.0.1
EOF
openssl x509 -req -in "$WORK/node.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
  -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 -extfile "$WORK/node.ext" \
  -out "$WORK/node.crt" 2>/dev/null || die "signing the node certificate failed"
rm -f "$WORK/ca.key"
openssl verify -CAfile "$WORK/ca.crt" "$WORK/node.crt" >/dev/null || die "the new node certificate does not verify"

install_file() {
  # $1 source, $2 target name, $3 mode
  cp "$1" "$CERT_DIR/$2.tmp"
  chmod "$3" "$CERT_DIR/$2.tmp"
  if getent group "$OWNER_GROUP" >/dev/null 2>&1; then chgrp "$OWNER_GROUP" "$CERT_DIR/$2.tmp"; fi
  mv -f "$CERT_DIR/$2.tmp" "$CERT_DIR/$2"
}
install_file "$WORK/node.key" node.key 0640
install_file "$WORK/node.crt" node.crt 0644
install_file "$WORK/trust.crt" ca.crt 0644
chmod 0750 "$CERT_DIR"
if getent group "$OWNER_GROUP" >/dev/null 2>&1; then chgrp "$OWNER_GROUP" "$CERT_DIR"; fi

echo "node-certs: issued a certificate for ${INSTANCE_ID} (${PRIVATE_IP}, ${PRIVATE_DNS}, ${SERVICE_NAME}) in ${CERT_DIR}"
