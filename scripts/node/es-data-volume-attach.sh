#!/usr/bin/env bash
# The data volume of a data node, which outlives its instances (lib/cluster/data-volumes.ts): attaches a free volume
# of this environment, group, zone and spec, one that holds a node's files first (a volume handoff, a replaced node),
# or creates a new one, encrypted with the environment's key. Prints one line on stdout: "<volume id> formatted" or
# "<volume id> unformatted" (the volume has never had a filesystem: es-data-volume.sh may format it); the log goes to
# stderr.
#
#   es-data-volume-attach.sh                              attach at $ELK_DATA_DEVICE
#   es-data-volume-attach.sh --mark-formatted <volume id> once it has a filesystem: never formatted again
#
# Two booting nodes of one zone may race for the same free volume. AttachVolume is the claim: EC2 attaches a volume
# that is not Multi-Attach (gp3 never is) to one instance only, and the loser's call fails with VolumeInUse or
# IncorrectState; the loser tries the next free volume, and creates one when none is left. After a successful call
# the attachment is read back (it must name this instance and reach `attached`) before anything uses the volume.
# Tags: lambda/shared/data-volume.ts. Reads node.env (ELK_REGION, ELK_ENVIRONMENT, ELK_VOLUME_*) and the identity.
set -euo pipefail

: "${ELK_REGION:?ELK_REGION is required}" "${ELK_ENVIRONMENT:?ELK_ENVIRONMENT is required}"
: "${ELK_INSTANCE_ID:?ELK_INSTANCE_ID is required}" "${ELK_AVAILABILITY_ZONE:?ELK_AVAILABILITY_ZONE is required}"
: "${ELK_VOLUME_SPEC:?ELK_VOLUME_SPEC is required}"
ID="$ELK_INSTANCE_ID"
AZ="$ELK_AVAILABILITY_ZONE"
DEVICE="${ELK_DATA_DEVICE:-/dev/sdf}"
WAIT="${ELK_VOLUME_WAIT_SECONDS:-300}"
ATTEMPTS="${ELK_VOLUME_ATTACH_ATTEMPTS:-5}"
OURS=("Name=tag:elk-cdk:environment,Values=$ELK_ENVIRONMENT" "Name=tag:elk-cdk:volume-group,Values=data")

log() { echo "es-data-volume-attach: $*" >&2; }
ec2() { aws ec2 "$@" --region "$ELK_REGION"; }

if [ "${1:-}" = --mark-formatted ]; then
  ec2 create-tags --resources "${2:?usage: --mark-formatted <volume id>}" --tags Key=elk-cdk:formatted,Value=true >/dev/null
  log "${2} marked formatted"
  exit 0
fi

# Waits until the volume is attached to this instance; fails (1) when it is attached to another one.
attached_here() {
  local waited=0 line
  while :; do
    # (called inside `if`, where set -e does not apply: every failure is handled here)
    line="$(ec2 describe-volumes --volume-ids "$1" --query 'Volumes[0].Attachments[0].[InstanceId,State]' --output text)" ||
      { log "cannot read the attachment of $1"; exit 1; }
    case "$line" in
      "$ID"$'\t'attached) return 0 ;;
      "$ID"$'\t'*) ;;
      *) log "$1 is attached elsewhere ($line)"; return 1 ;;
    esac
    if [ "$waited" -ge "$WAIT" ]; then log "$1 did not reach attached within ${WAIT} s ($line)"; exit 1; fi
    sleep 2
    waited=$((waited + 2))
  done
}

# Attaches $1 here: 0 attached, 1 another node was faster; any other error ends the boot (never a new volume
# beside a free one we could not attach: that one may hold a node's files).
claim() {
  local out
  if out="$(ec2 attach-volume --volume-id "$1" --instance-id "$ID" --device "$DEVICE" 2>&1)"; then
    attached_here "$1"
    return
  fi
  case "$out" in
    *VolumeInUse* | *IncorrectState* | *InvalidVolume.NotFound*)
      log "$1 was taken by another node: ${out//$'\n'/ }"
      return 1 ;;
  esac
  log "attaching $1 failed: ${out//$'\n'/ }"
  exit 1
}

# Free volumes of this zone and spec, "id formatted-tag" per line, those holding files first.
# shellcheck disable=SC2016 # JMESPath literals in backquotes
free_volumes() {
  ec2 describe-volumes --filters "${OURS[@]}" "Name=availability-zone,Values=$AZ" \
    "Name=tag:elk-cdk:volume-spec,Values=$ELK_VOLUME_SPEC" Name=status,Values=available \
    --query 'Volumes[].[VolumeId,Tags[?Key==`elk-cdk:formatted`]|[0].Value]' --output text
}

create_volume() {
  local args=(--availability-zone "$AZ" --size "${ELK_VOLUME_SIZE_GB:?}" --volume-type "${ELK_VOLUME_TYPE:-gp3}" --encrypted)
  [ -z "${ELK_VOLUME_KMS_KEY:-}" ] || args+=(--kms-key-id "$ELK_VOLUME_KMS_KEY")
  local tags="{Key=elk-cdk:environment,Value=$ELK_ENVIRONMENT},{Key=elk-cdk:volume-group,Value=data}"
  tags+=",{Key=elk-cdk:zone,Value=$AZ},{Key=elk-cdk:volume-spec,Value=$ELK_VOLUME_SPEC}"
  tags+=",{Key=elk-cdk:attached-to,Value=$ID},{Key=Name,Value=elk-$ELK_ENVIRONMENT-data}"
  ec2 create-volume "${args[@]}" --tag-specifications "ResourceType=volume,Tags=[$tags]" --query VolumeId --output text
}

wait_available() {
  local waited=0 state
  while :; do
    state="$(ec2 describe-volumes --volume-ids "$1" --query 'Volumes[0].State' --output text)"
    [ "$state" != available ] || return 0
    if [ "$waited" -ge "$WAIT" ]; then log "$1 is still $state after ${WAIT} s"; exit 1; fi
    sleep 2
    waited=$((waited + 2))
  done
}

volume=""
# A boot run again on this instance keeps the volume it has.
mine="$(ec2 describe-volumes --filters "${OURS[@]}" "Name=attachment.instance-id,Values=$ID" --query 'Volumes[].VolumeId' --output text)"
if [ -n "$mine" ] && [ "$mine" != None ]; then
  volume="${mine%%[[:space:]]*}"
  attached_here "$volume" || exit 1
  log "$volume is already attached here"
fi
for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
  [ -z "$volume" ] || break
  list="$(free_volumes)"
  while read -r id _; do
    case "$id" in '' | None) continue ;; esac
    if claim "$id"; then volume="$id"; log "attached free volume $id"; break; fi
  done < <(sort -k2,2r -k1,1 <<<"$list")
  [ -z "$volume" ] || break
  id="$(create_volume)"
  log "created $id in $AZ ($ELK_VOLUME_SPEC)"
  wait_available "$id"
  if claim "$id"; then volume="$id"; log "attached new volume $id"; fi
done
[ -n "$volume" ] || { log "no data volume after $ATTEMPTS attempts"; exit 1; }

ec2 create-tags --resources "$volume" --tags "Key=elk-cdk:attached-to,Value=$ID" >/dev/null
# shellcheck disable=SC2016 # a JMESPath literal in backquotes
formatted="$(ec2 describe-volumes --volume-ids "$volume" --query 'Volumes[0].Tags[?Key==`elk-cdk:formatted`]|[0].Value' --output text)"
if [ "$formatted" = true ]; then echo "$volume formatted"; else echo "$volume unformatted"; fi
