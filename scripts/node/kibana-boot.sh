#!/usr/bin/env bash
# First boot of a Kibana node: pinned Kibana (same version as Elasticsearch), connected to the cluster through its
# internal DNS name over TLS (cluster CA from SSM) as kibana_system (password from Secrets Manager, into the
# Kibana keystore, never on a command line). Reads /etc/elk-cdk/node.env.
set -euo pipefail

BIN="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=/dev/null
. "${ELK_ENV_FILE:-/etc/elk-cdk/node.env}"

"$BIN/elastic-install.sh" kibana "$ELK_ES_VERSION"

ssl_lines=""
if [ -n "${ELK_CA_PARAMETER:-}" ]; then
  aws ssm get-parameter --region "$ELK_REGION" --name "$ELK_CA_PARAMETER" --query Parameter.Value --output text \
    >/etc/kibana/elasticsearch-ca.crt
  chgrp kibana /etc/kibana/elasticsearch-ca.crt
  chmod 0640 /etc/kibana/elasticsearch-ca.crt
  ssl_lines='elasticsearch.ssl.certificateAuthorities: [ "/etc/kibana/elasticsearch-ca.crt" ]
elasticsearch.ssl.verificationMode: full
elasticsearch.username: "kibana_system"'
fi

cat >/etc/kibana/kibana.yml <<YML
# Written by elk-cdk kibana-boot.sh at first boot.
server.host: "0.0.0.0"
server.port: 5601
server.name: "${ELK_ENVIRONMENT}-kibana"
elasticsearch.hosts: [ "${ELK_ES_URL}" ]
status.allowAnonymous: true
${ssl_lines}
YML

if [ -n "${ELK_KIBANA_SECRET_ID:-}" ]; then
  ks=/usr/share/kibana/bin/kibana-keystore
  [ -f /etc/kibana/kibana.keystore ] || "$ks" create
  aws secretsmanager get-secret-value --region "$ELK_REGION" --secret-id "$ELK_KIBANA_SECRET_ID" \
    --query SecretString --output text |
    python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin)["password"])' |
    "$ks" add --stdin --force elasticsearch.password
fi

systemctl daemon-reload
systemctl enable --now kibana
echo "kibana-boot: Kibana $ELK_ES_VERSION started"
