#!/usr/bin/env bash
# Boot of an alerter instance (user data): installs the deploy script and deploys the current rule bundle, so an
# instance that the Auto Scaling group starts to replace a lost one runs the rules without anyone deploying.
#
#   boot.sh --parameter NAME [--region REGION] [--credentials-secret ARN] [--ca-parameter NAME]
#
# NAME is the SSM parameter the rule-deploy custom resource writes after every successful deployment:
#   {"bundle":"s3://…","sha256":"…","script":"s3://…","esHost":"…"}
# When it does not exist yet (the stack's first deployment is still running), boot.sh only installs Docker and
# returns: that deployment's SSM command deploys the bundle a moment later.
set -euo pipefail

ROOT="${ELK_ALERTER_ROOT:-/opt/elk-alerter}"
PARAM="" REGION_ARGS=() PASS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --parameter) PARAM="$2"; shift 2 ;;
    --region) REGION_ARGS=(--region "$2"); PASS+=(--region "$2"); shift 2 ;;
    --credentials-secret | --ca-parameter) PASS+=("$1" "$2"); shift 2 ;;
    *) echo "boot.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$PARAM" ] || { echo "boot.sh: --parameter is required" >&2; exit 2; }

mkdir -p "$ROOT/bin"
if ! value="$(aws "${REGION_ARGS[@]}" ssm get-parameter --name "$PARAM" --query Parameter.Value --output text 2>/dev/null)"; then
  echo "boot.sh: no deployed bundle recorded in $PARAM yet; the running deployment will install it"
  exit 0
fi
bundle="$(jq -r '.bundle' <<<"$value")"
sha="$(jq -r '.sha256' <<<"$value")"
script="$(jq -r '.script' <<<"$value")"
es_host="$(jq -r '.esHost // empty' <<<"$value")"
aws "${REGION_ARGS[@]}" s3 cp --only-show-errors "$script" "$ROOT/bin/deploy-rules.sh.new"
chmod 755 "$ROOT/bin/deploy-rules.sh.new"
mv -f "$ROOT/bin/deploy-rules.sh.new" "$ROOT/bin/deploy-rules.sh"
args=(--bundle "$bundle" --sha256 "$sha" "${PASS[@]}")
[ -z "$es_host" ] || args+=(--es-host "$es_host")
exec "$ROOT/bin/deploy-rules.sh" "${args[@]}"
