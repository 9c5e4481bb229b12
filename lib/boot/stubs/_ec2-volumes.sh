#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2016 # test doubles: guard-or-fail lines, literal JMESPath
# EC2 volumes of the fake AWS, sourced by the aws stub (after _common.sh) for ec2 describe-volumes, create-volume,
# attach-volume and create-tags. A volume is a folder $WORLD/volumes/<id>/ with az, size, type, kms, state
# (available | in-use), instance, device, tags ("Key=Value" lines), disk (the block device: the blkid/mkfs stub keeps
# the filesystem record beside it, in fs) and files/ (what a mount shows). AttachVolume is atomic (under the fleet
# lock): a volume that is not available fails with VolumeInUse, as EC2 answers the second of two racing nodes.
# Attached, the volume appears in the instance's sandbox as a link <device> -> disk.
VOLS="$WORLD/volumes"
[ -d "$VOLS" ] || mkdir -p "$VOLS"
v_op="$2"
shift 2
v_region="" v_query="" v_output="" v_filters=() v_ids=() v_tags="" v_spec="" v_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --region) v_region="$2"; shift 2 ;;
    --query) v_query="$2"; shift 2 ;;
    --output) v_output="$2"; shift 2 ;;
    --filters) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do v_filters+=("$1"); shift; done ;;
    --volume-ids | --resources) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do v_ids+=("$1"); shift; done ;;
    --tags) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do v_tags+="$1 "; shift; done ;;
    --tag-specifications) v_spec="$2"; shift 2 ;;
    --encrypted) v_args+=(encrypted true); shift ;;
    --availability-zone | --size | --volume-type | --kms-key-id | --volume-id | --instance-id | --device)
      v_args+=("${1#--}" "$2"); shift 2 ;;
    *) stub_fail "ec2 $v_op: option $1 not supported" 2 ;;
  esac
done
v_expected_region="$(<"$WORLD/region")"
[ "$v_region" = "$v_expected_region" ] || stub_fail "aws ec2 $v_op: --region is '$v_region', expected '$v_expected_region'" 253
v_arg() {
  local i
  for ((i = 0; i < ${#v_args[@]}; i += 2)); do [ "${v_args[$i]}" = "$1" ] && { printf '%s' "${v_args[$((i + 1))]}"; return 0; }; done
  return 1
}
# Builtins only (no sed, cat or subshell): every call runs under the fleet's lock, so its cost is paid by every
# node that waits for it. v_val holds the answer of v_tag_of and v_get_of.
v_val=""
v_tag_of() { # volume key: the last value of the tag
  local line
  v_val=""
  while IFS= read -r line || [ -n "$line" ]; do [[ "$line" != "$2="* ]] || v_val="${line#"$2="}"; done <"$VOLS/$1/tags"
}
v_get_of() { # volume field
  v_val=""
  [ ! -f "$VOLS/$1/$2" ] || IFS= read -r v_val <"$VOLS/$1/$2" || true
}
v_tag() { v_tag_of "$@"; printf '%s' "$v_val"; }
v_get() { v_get_of "$@"; printf '%s' "$v_val"; }
v_none() { local x="$1"; printf '%s' "${x:-None}"; }
# Whether volume $1 passes every --filters entry.
v_match() {
  local f name values
  for f in "${v_filters[@]}"; do
    name="${f#Name=}" name="${name%%,Values=*}" values=",${f#*,Values=},"
    case "$name" in
      tag:*) v_tag_of "$1" "${name#tag:}" ;;
      availability-zone) v_get_of "$1" az ;;
      status) v_get_of "$1" state ;;
      attachment.instance-id) v_get_of "$1" instance ;;
      *) stub_fail "ec2 describe-volumes: filter '$f' not supported" ;;
    esac
    [[ "$values" == *",$v_val,"* ]] || return 1
  done
}
[ -z "$v_output" ] || [ "$v_output" = text ] || stub_fail "ec2 $v_op: --output $v_output not supported"

v_describe() {
  local ids=() id
  if [ ${#v_ids[@]} -gt 0 ]; then
    for id in "${v_ids[@]}"; do
      [ -d "$VOLS/$id" ] || { echo "An error occurred (InvalidVolume.NotFound) when calling the DescribeVolumes operation: The volume '$id' does not exist." >&2; exit 254; }
      ids+=("$id")
    done
  else
    for id in "$VOLS"/*/; do
      id="${id%/}" id="${id##*/}"
      [ "$id" != '*' ] || continue
      if v_match "$id"; then ids+=("$id"); fi
    done
  fi
  local first="${ids[0]:-}"
  case "$v_query" in
    'Volumes[].VolumeId') (IFS=$'\t' && printf '%s\n' "${ids[*]}") ;;
    'Volumes[].[VolumeId,Tags[?Key==`elk-cdk:formatted`]|[0].Value]')
      for id in "${ids[@]}"; do printf '%s\t%s\n' "$id" "$(v_none "$(v_tag "$id" elk-cdk:formatted)")"; done ;;
    'Volumes[0].State') v_none "$(v_get "$first" state)"; echo ;;
    'Volumes[0].Tags[?Key==`elk-cdk:formatted`]|[0].Value') v_none "$(v_tag "$first" elk-cdk:formatted)"; echo ;;
    'Volumes[0].Attachments[0].[InstanceId,State]')
      if [ -n "$(v_get "$first" instance)" ]; then printf '%s\tattached\n' "$(v_get "$first" instance)"; else echo None; fi ;;
    *) stub_fail "ec2 describe-volumes: --query '$v_query' not supported" ;;
  esac
}

v_create() {
  local az id n spec tags
  az="$(v_arg availability-zone)" || stub_fail "ec2 create-volume without --availability-zone"
  v_arg encrypted >/dev/null || stub_fail "ec2 create-volume without --encrypted: the data volume would be unencrypted"
  [ "$v_query" = VolumeId ] || stub_fail "ec2 create-volume: --query '$v_query' not supported"
  spec="${v_spec#ResourceType=volume,Tags=\[}"
  [ "$spec" != "$v_spec" ] || stub_fail "ec2 create-volume: --tag-specifications '$v_spec' not supported"
  # {Key=k,Value=v},{...} -> "k=v" lines (builtins: this runs under the fleet's lock)
  local t rest="${spec%\]}" vols=()
  rest="${rest//\},\{/$'\n'}" tags=""
  while IFS= read -r t; do
    t="${t//[\{\}]/}"
    if [[ "$t" =~ ^Key=([^,]*),Value=(.*)$ ]]; then tags+="${tags:+$'\n'}${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"; fi
  done <<<"$rest"
  vols=("$VOLS"/*)
  n="${#vols[@]}"
  [ -e "${vols[0]}" ] || n=0
  id="$(printf '%s-%s' "$WORLD" "$n" | sha256sum)"
  id="vol-0${id:0:16}"
  mkdir -p "$VOLS/$id/files"
  printf '%s' "$az" >"$VOLS/$id/az"
  printf '%s' "$(v_arg size)" >"$VOLS/$id/size"
  printf '%s' "$(v_arg volume-type || echo gp2)" >"$VOLS/$id/type"
  printf '%s' "$(v_arg kms-key-id || echo aws/ebs)" >"$VOLS/$id/kms"
  printf 'available' >"$VOLS/$id/state"
  : >"$VOLS/$id/disk"
  printf '%s\n' "$tags" >"$VOLS/$id/tags"
  echo "$(identity instance-id) create $id $az" >>"$WORLD/volume-events"
  echo "$id"
}

v_attach() {
  local id inst dev az
  id="$(v_arg volume-id)" inst="$(v_arg instance-id)" dev="$(v_arg device)"
  [ -d "$VOLS/$id" ] || { echo "An error occurred (InvalidVolume.NotFound) when calling the AttachVolume operation: The volume '$id' does not exist." >&2; exit 254; }
  if [ "$(v_get "$id" state)" != available ]; then
    echo "An error occurred (VolumeInUse) when calling the AttachVolume operation: $id is already attached to an instance" >&2
    echo "$(identity instance-id) lost $id" >>"$WORLD/volume-events"
    exit 254
  fi
  local i_id i_az
  az=""
  while read -r i_id _ _ _ _ _ i_az || [ -n "$i_id" ]; do [ "$i_id" != "$inst" ] || az="$i_az"; done <"$WORLD/instances"
  [ "$az" = "$(v_get "$id" az)" ] || { echo "An error occurred (InvalidVolume.ZoneMismatch) when calling the AttachVolume operation: $id is in $(v_get "$id" az), $inst in ${az:-?}" >&2; exit 254; }
  [ ! -e "$WORLD/nodes/$inst$dev" ] || { echo "An error occurred (InvalidParameterValue) when calling the AttachVolume operation: $dev is already in use" >&2; exit 254; }
  printf 'in-use' >"$VOLS/$id/state"
  printf '%s' "$inst" >"$VOLS/$id/instance"
  printf '%s' "$dev" >"$VOLS/$id/device"
  mkdir -p "${WORLD}/nodes/$inst${dev%/*}"
  ln -s "$VOLS/$id/disk" "$WORLD/nodes/$inst$dev"
  echo "$(identity instance-id) attach $id $inst" >>"$WORLD/volume-events"
  echo "{\"VolumeId\": \"$id\", \"InstanceId\": \"$inst\", \"Device\": \"$dev\", \"State\": \"attaching\"}"
}

v_create_tags() {
  local id kv
  for id in "${v_ids[@]}"; do
    [ -d "$VOLS/$id" ] || stub_fail "ec2 create-tags: $id is not a volume of this fleet"
    for kv in $v_tags; do
      [[ "$kv" == Key=*,Value=* ]] || stub_fail "ec2 create-tags: --tags '$kv' not supported"
      kv="${kv#Key=}"
      printf '%s=%s\n' "${kv%%,Value=*}" "${kv#*,Value=}" >>"$VOLS/$id/tags"
    done
  done
}

# A race made certain (the data-handoff scenario): with ELK_REHEARSAL_VOLUME_BARRIER=N, the listing of free
# volumes returns only once N nodes have listed them, so all N see the same free volume and then attach it at once.
v_barrier() {
  [ -n "${ELK_REHEARSAL_VOLUME_BARRIER:-}" ] && [[ "$v_query" == 'Volumes[].[VolumeId,'* ]] || return 0
  local waited=0
  while [ "$(wc -l <"$WORLD/volume-barrier")" -lt "$ELK_REHEARSAL_VOLUME_BARRIER" ]; do
    [ "$waited" -lt 400 ] || stub_fail "volume barrier: fewer than $ELK_REHEARSAL_VOLUME_BARRIER nodes listed free volumes"
    /bin/sleep 0.05
    waited=$((waited + 1))
  done
}

# The whole call holds the fleet's lock: one consistent state, and an attach is atomic.
exec 9>>"$WORLD/lock"
flock 9
case "$v_op" in
  describe-volumes)
    listed="$(v_describe)"
    if [ -n "${ELK_REHEARSAL_VOLUME_BARRIER:-}" ] && [[ "$v_query" == 'Volumes[].[VolumeId,'* ]]; then
      printf "%s\n" "$(identity instance-id)" >>"$WORLD/volume-barrier"
    fi
    exec 9>&-
    v_barrier
    printf '%s\n' "$listed" ;;
  create-volume) v_create ;;
  attach-volume) v_attach ;;
  create-tags) v_create_tags ;;
esac
