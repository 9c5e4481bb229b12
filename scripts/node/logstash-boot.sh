#!/usr/bin/env bash
# First boot of a Logstash node: pinned Logstash (same version as Elasticsearch), a Beats input on 5044 and an
# Elasticsearch output to the cluster's internal DNS name over TLS as logstash_writer (into logs-* data streams).
# The password goes into a root-only environment file read by systemd, never into the pipeline file. Steps are named
# in the boot log; once the pipeline runs and 5044 listens the boot signals SUCCESS to the group's rolling update,
# a failure signals FAILURE. The pipeline's queue is persistent (on the root volume, ELK_LS_QUEUE_MAX_BYTES) and
# drained before Logstash stops; with ELK_LS_HOOK set, elk-logstash-drain.service (logstash-drain.sh) holds a
# terminating instance until that queue is empty.
#   ELK_HEALTH_ATTEMPTS (default 60), ELK_HEALTH_SLEEP (default 10): the bounded wait for the pipeline
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
"$BIN/elastic-install.sh" logstash "$ELK_ES_VERSION"

auth=""
if [ -n "${ELK_CA_PARAMETER:-}" ]; then
  elk_step ca
  aws ssm get-parameter --region "$ELK_REGION" --name "$ELK_CA_PARAMETER" --query Parameter.Value --output text \
    >"$R/etc/logstash/elasticsearch-ca.crt"
  chmod 0644 "$R/etc/logstash/elasticsearch-ca.crt"
  # The literal ${ELK_ES_PASSWORD} is resolved by Logstash from its environment, not by this shell.
  # shellcheck disable=SC2016
  auth='    ssl_certificate_authorities => ["/etc/logstash/elasticsearch-ca.crt"]
    user => "logstash_writer"
    password => "${ELK_ES_PASSWORD}"'
fi
if [ -n "${ELK_LOGSTASH_SECRET_ID:-}" ]; then
  elk_step credentials
  # A root-only environment file read by systemd, never the pipeline file.
  elk_secret_password "$ELK_LOGSTASH_SECRET_ID" | elk_install_password logstash
fi

beats_tls=""
if [ -n "${ELK_CERT_ISSUER_URL:-}" ]; then
  # Beats over TLS (docs/security.md): the server certificate comes from the environment's issuer like a node's
  # (its IP, DNS name and logstash.<env>.elk.internal), and a producer must present a certificate of the same CA.
  # Option names of the Beats input 6.6+ (Logstash 8.x) that 7.x (Logstash 9.x) keeps; the key is PKCS#8 as it needs.
  elk_step certificates
  certs=/etc/logstash/certs
  OWNER_USER=logstash "$BIN/node-certs.sh" --issuer-url "$ELK_CERT_ISSUER_URL" --service-name "$ELK_SERVICE_NAME" \
    --region "$ELK_REGION" --cert-dir "$certs" --owner-group logstash
  beats_tls="    ssl_enabled => true
    ssl_certificate => \"$certs/node.crt\"
    ssl_key => \"$certs/node.key\"
    ssl_certificate_authorities => [\"$certs/ca.crt\"]
    ssl_client_authentication => \"${ELK_BEATS_TLS:-required}\""
  # The Beats input reads its certificate only when its pipeline starts. A renewal writes the new certificate's
  # SHA-256 into the pipeline file's stamp line and reloads Logstash: SIGHUP (the drop-in's ExecReload) makes
  # Logstash read its pipeline files again and restart the pipelines whose text changed, in the running process.
  # The JVM keeps running and the persistent queue keeps what was accepted; Beats reconnect.
  crt_sum="$(sha256sum <"$R$certs/node.crt")"
  stamp="# elk-cdk certificate sha256: ${crt_sum%% *}"
  mkdir -p "$R/etc/systemd/system/logstash.service.d"
  # shellcheck disable=SC2016 # $MAINPID is systemd's, not this shell's
  printf '[Service]\nExecReload=/bin/kill -HUP $MAINPID\n' >"$R/etc/systemd/system/logstash.service.d/elk-cdk-reload.conf"
  elk_cert_renewal "CERT_DIR=$certs" OWNER_USER=logstash OWNER_GROUP=logstash ELK_CERT_RELOAD=logstash \
    ELK_CERT_STAMP=/etc/logstash/conf.d/beats.conf
fi

elk_step config
cat >"$R/etc/logstash/conf.d/beats.conf" <<PIPELINE
# Written by elk-cdk logstash-boot.sh at first boot.
${stamp:-}
input {
  beats {
    port => 5044
${beats_tls}
  }
}
output {
  elasticsearch {
    hosts => ["${ELK_ES_URL}"]
    data_stream => "true"
${auth}
  }
}
PIPELINE

elk_step queue
# Events wait on disk, not in memory: a stopped or replaced node keeps what it accepted (issue #23).
cat >>"$R/etc/logstash/logstash.yml" <<YML
# Written by elk-cdk logstash-boot.sh at first boot: persistent queue, drained before Logstash stops.
queue.type: persisted
queue.max_bytes: ${ELK_LS_QUEUE_MAX_BYTES:-1gb}
queue.drain: true
YML
mkdir -p "$R/etc/systemd/system/logstash.service.d"
# Draining at shutdown may take long: systemd must not kill Logstash half way.
printf '[Service]\nTimeoutStopSec=%s\n' "${ELK_LS_DRAIN_TIMEOUT:-1800}" >"$R/etc/systemd/system/logstash.service.d/drain.conf"
if [ -n "${ELK_LS_HOOK:-}" ]; then
  elk_step drain-watcher
  cat >"$R/etc/systemd/system/elk-logstash-drain.service" <<UNIT
[Unit]
Description=elk-cdk: hold a terminating Logstash instance until its persistent queue has drained
After=logstash.service

[Service]
ExecStart=${BIN#"$R"}/logstash-drain.sh
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
UNIT
fi

elk_step start
systemctl daemon-reload
systemctl enable --now logstash

elk_step health
elk_wait_healthy logstash

if [ -n "${ELK_LS_HOOK:-}" ]; then
  elk_step drain-watcher-start
  systemctl enable --now elk-logstash-drain.service
fi

elk_step signal
elk_signal SUCCESS
elk_step up
echo "logstash-boot: Logstash $ELK_ES_VERSION on $ELK_INSTANCE_ID is up"
