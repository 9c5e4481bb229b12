#!/usr/bin/env bash
# First-boot sequence of an Elasticsearch node (master or data). Run by the user data; reads /etc/elk-cdk/node.env
# (written by the user data, exported by elk_load_env) and the helper scripts next to it. Each step is named in the
# boot log; a failure ends the log with "es-node-boot: FAILED at step <name>".
#   identity        instance identity from IMDSv2 (node.name = instance id)
#   membership      wait, bounded (900 s), until the instance carries aws:autoscaling:groupName (elk_wait_membership):
#                   an instance the orchestrator launches itself boots before it is attached to its group, and the
#                   certificate issuer refuses a non-member. Before any step that claims something (a data volume,
#                   a certificate); the steps before it read only node.env and IMDS.
#   attach-volume   data nodes: attach a free data volume of the zone (a node's files) or create one
#                   (es-data-volume-attach.sh; the volume outlives the instance)
#   data-volume     the dedicated data volume: wait for the device, format only a new empty one, mount
#   install         Elasticsearch <pinned version> + the discovery-ec2 plugin
#   certificates    node certificate, renewal timer and bootstrap password (scripts/security, with ClusterSecurity)
#   bootstrap-decision  master only: first formation or join (es-bootstrap-decision.sh)
#   config          elasticsearch.yml + heap
#   start           systemd unit enabled and started
#   mark-formed     master only: formation marker (es-mark-formed.sh)
set -euo pipefail

BIN="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=/dev/null
. "$BIN/elk-boot-lib.sh"
R="$ELK_ROOT"

elk_step env
elk_load_env

elk_step identity
elk_identity

elk_step membership
elk_wait_membership

if [ "${ELK_DATA_VOLUME:-}" = persistent ]; then
  elk_step attach-volume
  attached="$("$BIN/es-data-volume-attach.sh")"
  volume_id="${attached%% *}"
  format=if-empty
  [ "${attached#* }" != formatted ] || format=never
  elk_step data-volume
  "$BIN/es-data-volume.sh" "$ELK_DATA_DEVICE" "$ELK_DATA_PATH" --volume-id "$volume_id" --format "$format"
  [ "$format" = never ] || "$BIN/es-data-volume-attach.sh" --mark-formatted "$volume_id"
else
  elk_step data-volume
  "$BIN/es-data-volume.sh" "$ELK_DATA_DEVICE" "$ELK_DATA_PATH"
fi

elk_step install
"$BIN/elastic-install.sh" elasticsearch "$ELK_ES_VERSION"
plugin="$R/usr/share/elasticsearch/bin/elasticsearch-plugin"
if ! "$plugin" list | grep -qx discovery-ec2; then
  "$plugin" install --batch discovery-ec2
fi
chown -R elasticsearch:elasticsearch "$R$ELK_DATA_PATH"

# Node certificate step (ClusterSecurity): TLS for 9200/9300 and the elastic bootstrap password.
# The certificate comes from the environment's issuer; the keystore gets the one-time bootstrap password, not
# elastic's real one.
if [ -n "${ELK_CERT_ISSUER_URL:-}" ]; then
  elk_step certificates
  "$BIN/node-certs.sh" --issuer-url "$ELK_CERT_ISSUER_URL" --service-name "$ELK_SERVICE_NAME" --region "$ELK_REGION"
  "$BIN/node-certs.sh" --print-settings >"$R/etc/elk-cdk/security.yml"
  export ELK_EXTRA_SETTINGS_FILE="$R/etc/elk-cdk/security.yml"
  "$BIN/es-bootstrap-password.sh" --secret-id "$ELK_BOOTSTRAP_SECRET_ID" --region "$ELK_REGION"
  elk_cert_renewal
fi

config_args=()
if [ "$ELK_ROLE" = master ]; then
  elk_step bootstrap-decision
  decision="$("$BIN/es-bootstrap-decision.sh")"
  case "$decision" in
    "bootstrap "*) config_args=(--bootstrap "${decision#bootstrap }") ;;
    join) ;;
    *) echo "es-node-boot: unexpected decision '$decision'" >&2; exit 1 ;;
  esac
fi
elk_step config
"$BIN/es-config.sh" "${config_args[@]}"

elk_step start
systemctl daemon-reload
systemctl enable --now elasticsearch

if [ "$ELK_ROLE" = master ]; then
  elk_step mark-formed
  "$BIN/es-mark-formed.sh"
fi
elk_step up
echo "es-node-boot: $ELK_ROLE node $ELK_INSTANCE_ID is up"
