#!/usr/bin/env bash
# Formats (first use only) and mounts the dedicated encrypted EBS data volume of an Elasticsearch node.
#
#   es-data-volume.sh <device name in the launch template, e.g. /dev/sdf> <mount point>
#
# On Nitro instances the volume appears as /dev/nvme<N>n1; Amazon Linux 2023's udev rules (amazon-ec2-utils)
# add the launch template's name as a symlink, which is what this script waits for. Never formats a volume that
# already has a filesystem. Files are under ELK_ROOT (the boot rehearsal's root prefix; empty on an instance).
set -euo pipefail

DEVICE="${1:?usage: es-data-volume.sh <device> <mount point>}"
MOUNT="${2:?usage: es-data-volume.sh <device> <mount point>}"
WAIT="${ELK_VOLUME_WAIT_SECONDS:-300}"
R="${ELK_ROOT:-}"

waited=0
until [ -e "$R$DEVICE" ]; do
  if [ "$waited" -ge "$WAIT" ]; then
    echo "es-data-volume: $DEVICE did not appear within ${WAIT} s" >&2
    exit 1
  fi
  sleep 2
  waited=$((waited + 2))
done
real="$(readlink -f "$R$DEVICE")"
if ! blkid "$real" >/dev/null 2>&1; then
  mkfs.xfs -q -L esdata "$real"
fi
uuid="$(blkid -s UUID -o value "$real")"
mkdir -p "$R$MOUNT"
if ! grep -q "UUID=$uuid" "$R/etc/fstab"; then
  echo "UUID=$uuid $MOUNT xfs defaults,noatime,nofail 0 2" >>"$R/etc/fstab"
fi
mountpoint -q "$MOUNT" || mount "$MOUNT"
echo "es-data-volume: $DEVICE ($real) mounted at $MOUNT"
