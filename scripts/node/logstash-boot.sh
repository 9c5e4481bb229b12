#!/usr/bin/env bash
# First boot of a Logstash node: pinned Logstash (same version as Elasticsearch), a Beats input on 5044 and an
# Elasticsearch output to the cluster's internal DNS name over TLS as logstash_writer (into logs-* data streams).
# The password goes into a root-only environment file read by systemd, never into the pipeline file.
set -euo pipefail

BIN="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=/dev/null
. "${ELK_ENV_FILE:-/etc/elk-cdk/node.env}"

"$BIN/elastic-install.sh" logstash "$ELK_ES_VERSION"

auth=""
if [ -n "${ELK_CA_PARAMETER:-}" ]; then
  aws ssm get-parameter --region "$ELK_REGION" --name "$ELK_CA_PARAMETER" --query Parameter.Value --output text \
    >/etc/logstash/elasticsearch-ca.crt
  chmod 0644 /etc/logstash/elasticsearch-ca.crt
  # The literal ${ELK_ES_PASSWORD} is resolved by Logstash from its environment, not by this shell.
  # shellcheck disable=SC2016
  auth='    ssl_certificate_authorities => ["/etc/logstash/elasticsearch-ca.crt"]
    user => "logstash_writer"
    password => "${ELK_ES_PASSWORD}"'
fi
if [ -n "${ELK_LOGSTASH_SECRET_ID:-}" ]; then
  umask 077
  mkdir -p /etc/systemd/system/logstash.service.d
  {
    printf 'ELK_ES_PASSWORD='
    aws secretsmanager get-secret-value --region "$ELK_REGION" --secret-id "$ELK_LOGSTASH_SECRET_ID" \
      --query SecretString --output text |
      python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin)["password"])'
    printf '\n'
  } >/etc/elk-cdk/logstash.env
  printf '[Service]\nEnvironmentFile=/etc/elk-cdk/logstash.env\n' >/etc/systemd/system/logstash.service.d/elk-cdk.conf
  umask 022
fi

cat >/etc/logstash/conf.d/beats.conf <<PIPELINE
# Written by elk-cdk logstash-boot.sh at first boot.
input {
  beats { port => 5044 }
}
output {
  elasticsearch {
    hosts => ["${ELK_ES_URL}"]
    data_stream => "true"
${auth}
  }
}
PIPELINE

systemctl daemon-reload
systemctl enable --now logstash
echo "logstash-boot: Logstash $ELK_ES_VERSION started"
