#!/usr/bin/env bash
# Installs one pinned package of the Elastic stack from Elastic's package repository (artifacts.elastic.co),
# signature checked with Elastic's key. The repository is enabled only for this command, so a later
# `dnf upgrade` never moves the node to another version.
#
#   elastic-install.sh <elasticsearch|kibana|logstash> <version, e.g. 8.19.3>
set -euo pipefail
R="${ELK_ROOT:-}" # root prefix: empty on an instance, a sandbox in the boot rehearsal

PACKAGE="${1:?usage: elastic-install.sh <package> <version>}"
VERSION="${2:?usage: elastic-install.sh <package> <version>}"
case "$PACKAGE" in elasticsearch | kibana | logstash) ;; *)
  echo "elastic-install: unknown package '$PACKAGE'" >&2
  exit 1
  ;;
esac
if ! [[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "elastic-install: '$VERSION' is not a release version" >&2
  exit 1
fi
MAJOR="${VERSION%%.*}"
REPO="elastic-${MAJOR}.x"

rpm --import https://artifacts.elastic.co/GPG-KEY-elasticsearch
mkdir -p "$R/etc/yum.repos.d"
cat >"$R/etc/yum.repos.d/${REPO}.repo" <<REPOFILE
[${REPO}]
name=Elastic ${MAJOR}.x packages
baseurl=https://artifacts.elastic.co/packages/${MAJOR}.x/yum
gpgcheck=1
gpgkey=https://artifacts.elastic.co/GPG-KEY-elasticsearch
enabled=0
autorefresh=1
type=rpm-md
REPOFILE

for attempt in 1 2 3 4 5; do
  if dnf install -y -q --enablerepo="$REPO" "${PACKAGE}-${VERSION}"; then
    installed="$(rpm -q --qf '%{VERSION}' "$PACKAGE")"
    if [ "$installed" != "$VERSION" ]; then
      echo "elastic-install: installed $PACKAGE $installed, expected $VERSION" >&2
      exit 1
    fi
    echo "elastic-install: $PACKAGE $VERSION installed"
    exit 0
  fi
  echo "elastic-install: attempt $attempt failed, retrying" >&2
  sleep $((attempt * 10))
done
echo "elastic-install: could not install $PACKAGE $VERSION" >&2
exit 1
