#!/usr/bin/env bash
# Writes elasticsearch.yml and the heap options of this node. Pure rendering: no AWS call, no network.
#
#   es-config.sh [--bootstrap <id>,<id>,...]
#
# cluster.initial_master_nodes is written only with --bootstrap, which es-node-boot.sh passes only when
# es-bootstrap-decision.sh printed "bootstrap ..." (the first formation). Without it the file never names it.
#
# Inputs (environment):
#   ELK_ROLE (master|data), ELK_CLUSTER_NAME, ELK_INSTANCE_ID, ELK_PRIVATE_IP, ELK_AVAILABILITY_ZONE,
#   ELK_REGION, ELK_DISCOVERY_TAG, ELK_ES_SECURITY_GROUP, ELK_DATA_PATH, ELK_HEAP_MIB
#   (indices.recovery.max_bytes_per_sec is a dynamic cluster setting, applied through the API: not here)
#   ELK_EXTRA_SETTINGS_FILE  optional file appended verbatim (the TLS settings of the node certificate step)
#   ELK_AUDIT_LOGGING        "true": security audit logging on (xpack.security.audit.enabled; elasticsearch.auditLogging)
#   ELK_ES_CONF_DIR          default /etc/elasticsearch (under ELK_ROOT, the boot rehearsal's root prefix)
set -euo pipefail

die() {
  echo "es-config: $*" >&2
  exit 1
}

BOOTSTRAP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap) BOOTSTRAP="${2:?--bootstrap needs a comma-separated list of instance ids}"; shift 2 ;;
    *) die "unknown argument '$1'" ;;
  esac
done

for v in ELK_ROLE ELK_CLUSTER_NAME ELK_INSTANCE_ID ELK_PRIVATE_IP ELK_AVAILABILITY_ZONE ELK_REGION \
  ELK_DISCOVERY_TAG ELK_ES_SECURITY_GROUP ELK_DATA_PATH ELK_HEAP_MIB; do
  [ -n "${!v:-}" ] || die "$v is required"
done
case "$ELK_ROLE" in
  master) ROLES='[ master ]' ;;
  data) ROLES='[ data, ingest ]' ;;
  *) die "ELK_ROLE must be master or data, got '$ELK_ROLE'" ;;
esac
case "$ELK_HEAP_MIB" in *[!0-9]*) die "ELK_HEAP_MIB must be a number of MiB" ;; esac
if [ -n "$BOOTSTRAP" ] && [ "$ELK_ROLE" != master ]; then
  die "--bootstrap is only for master-eligible nodes"
fi
CONF_DIR="${ELK_ES_CONF_DIR:-${ELK_ROOT:-}/etc/elasticsearch}"
mkdir -p "$CONF_DIR/jvm.options.d"

tmp="$(mktemp "$CONF_DIR/.elasticsearch.yml.XXXXXX")"
{
  cat <<YML
# Written by elk-cdk es-config.sh at first boot. Do not edit by hand: a replacement node renders its own.
cluster.name: "${ELK_CLUSTER_NAME}"
node.name: "${ELK_INSTANCE_ID}"
node.roles: ${ROLES}
node.attr.aws_availability_zone: "${ELK_AVAILABILITY_ZONE}"
cluster.routing.allocation.awareness.attributes: aws_availability_zone
path.data: "${ELK_DATA_PATH}"
path.logs: /var/log/elasticsearch
network.host: [ "_local_", "${ELK_PRIVATE_IP}" ]
network.publish_host: "${ELK_PRIVATE_IP}"
discovery.seed_providers: ec2
discovery.ec2.endpoint: "ec2.${ELK_REGION}.amazonaws.com"
discovery.ec2.host_type: private_ip
discovery.ec2.groups: "${ELK_ES_SECURITY_GROUP}"
"discovery.ec2.tag.elk-cdk:cluster": "${ELK_DISCOVERY_TAG}"
"discovery.ec2.tag.elk-cdk:role": master
action.destructive_requires_name: true
YML
  if [ -n "${ELK_EXTRA_SETTINGS_FILE:-}" ]; then
    [ -r "$ELK_EXTRA_SETTINGS_FILE" ] || die "ELK_EXTRA_SETTINGS_FILE $ELK_EXTRA_SETTINGS_FILE is not readable"
    cat "$ELK_EXTRA_SETTINGS_FILE"
  fi
  case "${ELK_AUDIT_LOGGING:-}" in
    true) echo "xpack.security.audit.enabled: true" ;;
    '' | false) ;;
    *) die "ELK_AUDIT_LOGGING must be true or false, got '$ELK_AUDIT_LOGGING'" ;;
  esac
  if [ -n "$BOOTSTRAP" ]; then
    list=""
    IFS=',' read -r -a ids <<<"$BOOTSTRAP"
    for id in "${ids[@]}"; do
      case "$id" in i-[0-9a-f]*) ;; *) die "--bootstrap: '$id' is not an instance id" ;; esac
      list="${list:+$list, }\"$id\""
    done
    echo "# First formation only; es-mark-formed.sh removes this line once the cluster has formed."
    echo "cluster.initial_master_nodes: [ $list ]"
  fi
} >"$tmp"
chmod 0660 "$tmp"
if getent group elasticsearch >/dev/null 2>&1; then chgrp elasticsearch "$tmp"; fi
mv -f "$tmp" "$CONF_DIR/elasticsearch.yml"

printf -- '-Xms%sm\n-Xmx%sm\n' "$ELK_HEAP_MIB" "$ELK_HEAP_MIB" >"$CONF_DIR/jvm.options.d/heap.options"
echo "es-config: wrote $CONF_DIR/elasticsearch.yml (role $ELK_ROLE${BOOTSTRAP:+, first formation}) and heap ${ELK_HEAP_MIB} MiB"
