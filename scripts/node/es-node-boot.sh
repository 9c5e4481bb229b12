#!/usr/bin/env bash
# First-boot sequence of an Elasticsearch node (master or data). Run by the user data; reads /etc/elk-cdk/node.env
# (written by the user data) and the helper scripts next to it.
#   1. instance identity from IMDSv2 (node.name = instance id)
#   2. the dedicated data volume
#   3. Elasticsearch <pinned version> + the discovery-ec2 plugin
#   4. node certificate + bootstrap password (scripts/security, when the stack wires ClusterSecurity)
#   5. master only: first formation or join (es-bootstrap-decision.sh)
#   6. elasticsearch.yml + heap, start
#   7. master only: formation marker (es-mark-formed.sh)
set -euo pipefail

BIN="$(cd "$(dirname "$0")" && pwd)"
ENV_FILE="${ELK_ENV_FILE:-/etc/elk-cdk/node.env}"
# shellcheck source=/dev/null
. "$ENV_FILE"

IMDS="http://169.254.169.254"
TOKEN="$(curl -sf --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/latest/api/token")"
imds() { curl -sf --max-time 5 -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/latest/meta-data/$1"; }
ELK_INSTANCE_ID="$(imds instance-id)"
ELK_PRIVATE_IP="$(imds local-ipv4)"
ELK_AVAILABILITY_ZONE="$(imds placement/availability-zone)"
export ELK_INSTANCE_ID ELK_PRIVATE_IP ELK_AVAILABILITY_ZONE

"$BIN/es-data-volume.sh" "$ELK_DATA_DEVICE" "$ELK_DATA_PATH"
"$BIN/elastic-install.sh" elasticsearch "$ELK_ES_VERSION"
if ! /usr/share/elasticsearch/bin/elasticsearch-plugin list | grep -qx discovery-ec2; then
  /usr/share/elasticsearch/bin/elasticsearch-plugin install --batch discovery-ec2
fi
chown -R elasticsearch:elasticsearch "$ELK_DATA_PATH"

# Node certificate step (ClusterSecurity): TLS for 9200/9300 and the elastic bootstrap password.
# The certificate comes from the environment's issuer; the keystore gets the one-time bootstrap password, not
# elastic's real one.
if [ -n "${ELK_CERT_ISSUER_URL:-}" ]; then
  "$BIN/node-certs.sh" --issuer-url "$ELK_CERT_ISSUER_URL" --service-name "$ELK_SERVICE_NAME" --region "$ELK_REGION"
  "$BIN/node-certs.sh" --print-settings >/etc/elk-cdk/security.yml
  export ELK_EXTRA_SETTINGS_FILE=/etc/elk-cdk/security.yml
  "$BIN/es-bootstrap-password.sh" --secret-id "$ELK_BOOTSTRAP_SECRET_ID" --region "$ELK_REGION"
fi

config_args=()
if [ "$ELK_ROLE" = master ]; then
  decision="$("$BIN/es-bootstrap-decision.sh")"
  case "$decision" in
    "bootstrap "*) config_args=(--bootstrap "${decision#bootstrap }") ;;
    join) ;;
    *) echo "es-node-boot: unexpected decision '$decision'" >&2; exit 1 ;;
  esac
fi
"$BIN/es-config.sh" "${config_args[@]}"

systemctl daemon-reload
systemctl enable --now elasticsearch

if [ "$ELK_ROLE" = master ]; then
  "$BIN/es-mark-formed.sh"
fi
echo "es-node-boot: $ELK_ROLE node $ELK_INSTANCE_ID is up"
