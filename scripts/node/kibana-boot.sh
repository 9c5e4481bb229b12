#!/usr/bin/env bash
# First boot of a Kibana node: pinned Kibana (same version as Elasticsearch), connected to the cluster through its
# internal DNS name over TLS (cluster CA from SSM) as kibana_system (password from Secrets Manager, into the
# Kibana keystore, never on a command line). Reads /etc/elk-cdk/node.env. Steps are named in the boot log; once
# /api/status says "available" the boot signals SUCCESS to the group's rolling update, a failure signals FAILURE.
#   ELK_HEALTH_ATTEMPTS (default 60), ELK_HEALTH_SLEEP (default 10): the bounded wait for /api/status
set -euo pipefail

BIN="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=/dev/null
. "$BIN/elk-boot-lib.sh"
R="$ELK_ROOT"

elk_step env
elk_load_env

elk_step identity
elk_identity

elk_step install
"$BIN/elastic-install.sh" kibana "$ELK_ES_VERSION"

ssl_lines=""
if [ -n "${ELK_CA_PARAMETER:-}" ]; then
  elk_step ca
  aws ssm get-parameter --region "$ELK_REGION" --name "$ELK_CA_PARAMETER" --query Parameter.Value --output text \
    >"$R/etc/kibana/elasticsearch-ca.crt"
  chgrp kibana "$R/etc/kibana/elasticsearch-ca.crt"
  chmod 0640 "$R/etc/kibana/elasticsearch-ca.crt"
  ssl_lines='elasticsearch.ssl.certificateAuthorities: [ "/etc/kibana/elasticsearch-ca.crt" ]
elasticsearch.ssl.verificationMode: full
elasticsearch.username: "kibana_system"'
fi

tls_lines=""
if [ -n "${ELK_CERT_ISSUER_URL:-}" ]; then
  # TLS from the load balancer (docs/security.md): Kibana serves a certificate of the environment's issuer, like a
  # node's (its IP, DNS name, instance id and kibana.<env>.elk.internal); the key is PKCS#8, owned by kibana.
  elk_step certificates
  certs=/etc/kibana/certs
  OWNER_USER=kibana "$BIN/node-certs.sh" --issuer-url "$ELK_CERT_ISSUER_URL" --service-name "$ELK_SERVICE_NAME" \
    --region "$ELK_REGION" --cert-dir "$certs" --owner-group kibana
  tls_lines="server.ssl.enabled: true
server.ssl.certificate: $certs/node.crt
server.ssl.key: $certs/node.key"
  # Kibana 8.11.2+ reloads server.ssl on SIGHUP, so a renewal reloads it instead of restarting Kibana.
  mkdir -p "$R/etc/systemd/system/kibana.service.d"
  # shellcheck disable=SC2016 # $MAINPID is systemd's, not this shell's
  printf '[Service]\nExecReload=/bin/kill -HUP $MAINPID\n' >"$R/etc/systemd/system/kibana.service.d/elk-cdk-reload.conf"
  elk_cert_renewal "CERT_DIR=$certs" OWNER_USER=kibana OWNER_GROUP=kibana ELK_CERT_RELOAD=kibana
fi

elk_step config
cat >"$R/etc/kibana/kibana.yml" <<YML
# Written by elk-cdk kibana-boot.sh at first boot.
server.host: "0.0.0.0"
server.port: 5601
server.name: "${ELK_ENVIRONMENT}-kibana"
elasticsearch.hosts: [ "${ELK_ES_URL}" ]
# Unauthenticated /api/status gets only {"status":{"overall":{"level"}}} with 200/503 (Kibana 8.9+): enough for the
# load balancer and the boot health check, without the version, plugins and metrics the full status shows.
status.allowAnonymous: false
${ssl_lines}
${tls_lines}
YML

if [ -n "${ELK_KIBANA_SECRET_ID:-}" ]; then
  elk_step keystore
  elk_secret_password "$ELK_KIBANA_SECRET_ID" | elk_install_password kibana
fi

if [ -n "${ELK_KIBANA_KEYS_SECRET_ID:-}" ]; then
  # Every Kibana behind the ALB needs the same keys (sessions survive a switch of instance; encrypted saved objects
  # such as alerting connectors stay readable). One generated secret {"keys": 96 letters and digits}, cut in three
  # keys of 32 (lib/security/kibana-keys.ts); each reaches the keystore on stdin, never a file or a command line.
  elk_step encryption-keys
  ks="$R/usr/share/kibana/bin/kibana-keystore"
  [ -f "$R/etc/kibana/kibana.keystore" ] || "$ks" create
  keys="$(aws secretsmanager get-secret-value --region "$ELK_REGION" --secret-id "$ELK_KIBANA_KEYS_SECRET_ID" \
    --query SecretString --output text)"
  keys="$(elk_json_string keys <<<"$keys" || true)"
  if ! [[ "$keys" =~ ^[A-Za-z0-9]{96,}$ ]]; then
    echo "kibana-boot: the encryption keys secret must hold 96 letters and digits under \"keys\" (has ${#keys})" >&2
    exit 1
  fi
  key=("${keys:0:32}" "${keys:32:32}" "${keys:64:32}")
  unset keys
  i=0
  for setting in xpack.security.encryptionKey xpack.encryptedSavedObjects.encryptionKey xpack.reporting.encryptionKey; do
    printf '%s' "${key[$i]}" | "$ks" add --stdin --force "$setting"
    i=$((i + 1))
  done
  unset key
fi

elk_step start
systemctl daemon-reload
systemctl enable --now kibana

elk_step health
elk_wait_healthy kibana

elk_step signal
elk_signal SUCCESS
elk_step up
echo "kibana-boot: Kibana $ELK_ES_VERSION on $ELK_INSTANCE_ID is up"
