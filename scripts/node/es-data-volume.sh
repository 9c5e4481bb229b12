#!/usr/bin/env bash
# Formats (first use only) and mounts the dedicated encrypted EBS data volume of an Elasticsearch node.
#
#   es-data-volume.sh <device name, e.g. /dev/sdf> <mount point> [--volume-id <id>] [--format if-empty|never]
#
# On Nitro instances the volume appears as /dev/nvme<N>n1; Amazon Linux 2023's udev rules (amazon-ec2-utils)
# add the device name it was attached with as a symlink, which is what this script waits for (or, given the
# volume id, /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol<id>). Never formats a volume that already has a
# filesystem; with `--format never` (a data volume tagged formatted: it held a node's files) a volume without one
# fails the boot instead of being formatted. Files are under ELK_ROOT (the boot rehearsal's root prefix; empty on an
# instance).
set -euo pipefail

DEVICE="${1:?usage: es-data-volume.sh <device> <mount point> [--volume-id <id>] [--format if-empty|never]}"
MOUNT="${2:?usage: es-data-volume.sh <device> <mount point> [--volume-id <id>] [--format if-empty|never]}"
shift 2
VOLUME_ID="" FORMAT=if-empty
while [ $# -gt 0 ]; do
  case "$1" in
    --volume-id) VOLUME_ID="$2"; shift 2 ;;
    --format) FORMAT="$2"; shift 2 ;;
    *) echo "es-data-volume: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$FORMAT" in if-empty | never) ;; *) echo "es-data-volume: --format $FORMAT (if-empty or never)" >&2; exit 2 ;; esac
WAIT="${ELK_VOLUME_WAIT_SECONDS:-300}"
R="${ELK_ROOT:-}"

candidates=("$R$DEVICE")
[ -z "$VOLUME_ID" ] || candidates+=("$R/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${VOLUME_ID//-/}")
waited=0
found=""
while [ -z "$found" ]; do
  for c in "${candidates[@]}"; do [ -e "$c" ] && { found="$c"; break; }; done
  [ -z "$found" ] || break
  if [ "$waited" -ge "$WAIT" ]; then
    echo "es-data-volume: $DEVICE${VOLUME_ID:+ ($VOLUME_ID)} did not appear within ${WAIT} s" >&2
    exit 1
  fi
  sleep 2
  waited=$((waited + 2))
done
real="$(readlink -f "$found")"
if ! blkid "$real" >/dev/null 2>&1; then
  if [ "$FORMAT" = never ]; then
    echo "es-data-volume: ${VOLUME_ID:-$DEVICE} held a node's files (tagged formatted) but shows no filesystem: not formatting it" >&2
    exit 1
  fi
  mkfs.xfs -q -L esdata "$real"
fi
uuid="$(blkid -s UUID -o value "$real")"
mkdir -p "$R$MOUNT"
if ! grep -q "UUID=$uuid" "$R/etc/fstab"; then
  echo "UUID=$uuid $MOUNT xfs defaults,noatime,nofail 0 2" >>"$R/etc/fstab"
fi
mountpoint -q "$MOUNT" || mount "$MOUNT"
echo "es-data-volume: $DEVICE ($real${VOLUME_ID:+, $VOLUME_ID}) mounted at $MOUNT"
