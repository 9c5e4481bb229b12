#!/usr/bin/env bash
# shellcheck disable=SC1091,SC2015,SC2016 # test doubles: sourced helper, guard-or-fail lines, literal sh -c
# The fleet's fake Elasticsearch cluster formation, run under the fleet lock by the systemctl stub:
#   _es-cluster.sh WORLD INSTANCE_ID ROLE BOOTSTRAP_LIST(comma-separated, or -)
# es/started: one line per started node "id role list". A cluster forms when the masters running include a majority
# of a bootstrap list; es/formations gets one line per formation ("uuid list"), es/cluster_uuid the first one.
set -euo pipefail
world="$1" id="$2" role="$3" list="$4"
mkdir -p "$world/es"
echo "$id $role $list" >>"$world/es/started"
running="$(awk '$2 == "master" { print $1 }' "$world/es/started" | sort -u)"
while read -r _ r l; do
  if [ "$r" != master ] || [ "$l" = - ]; then continue; fi
  grep -q " $l\$" "$world/es/formations" 2>/dev/null && continue
  IFS=, read -r -a want <<<"$l"
  have=0
  for w in "${want[@]}"; do grep -qx "$w" <<<"$running" && have=$((have + 1)); done
  if [ $((have * 2)) -gt "${#want[@]}" ]; then
    uuid="$(printf '%s' "$l" | sha256sum | cut -c1-22)"
    echo "$uuid $l" >>"$world/es/formations"
    [ -f "$world/es/cluster_uuid" ] || echo "$uuid" >"$world/es/cluster_uuid"
  fi
done <"$world/es/started"
