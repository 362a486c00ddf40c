#!/usr/bin/env bash
# Builds the ringside .deb and .rpm (docs/packaging.md):
#
#   scripts/package-deb.sh [OUT_DIR]        # default dist/
#
# RINGSIDE_VERSION overrides the version (default: from git, see below);
# GOARCH picks the architecture (default: the Go toolchain's).
# RINGSIDE_PACKAGERS="deb" skips the .rpm. Prints the paths of the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

out=${1:-dist}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# nfpm through `go run module@version`, not a go.mod requirement nor a tools
# file: packaging is a release step, and nfpm's ~90 modules would otherwise
# enter go.sum and `go mod download` for every build and test of the sidecar.
# The version is pinned for reproducible packages; v2.48.0 builds with Go
# 1.26.8 (v2.45.2 is the fallback if a dependency of it cannot be fetched).
# The first run downloads and builds it (~40 s on 2 cores), later ones come
# from the Go build cache.
NFPM=${NFPM:-github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0}

# Without a tag to build from: 0.0.0~git<commit date>.<short hash>, which
# sorts below any 0.0.0 or later release in dpkg and rpm alike.
if [ -z "${RINGSIDE_VERSION:-}" ]; then
  if git rev-parse --git-dir >/dev/null 2>&1; then
    RINGSIDE_VERSION="0.0.0~git$(TZ=UTC git log -1 --date=format-local:%Y%m%d --format=%cd).$(git rev-parse --short=7 HEAD)"
  else
    RINGSIDE_VERSION=0.0.0~dev
  fi
fi
case "$RINGSIDE_VERSION" in
  [0-9]*) ;;
  *) echo "RINGSIDE_VERSION must start with a digit (dpkg, rpm): $RINGSIDE_VERSION" >&2; exit 2 ;;
esac
export RINGSIDE_VERSION
export RINGSIDE_ARCH=${GOARCH:-$(go env GOARCH)}
# The commit's time in every file's mtime: the same commit gives the same package.
if [ -z "${SOURCE_DATE_EPOCH:-}" ] && git rev-parse --git-dir >/dev/null 2>&1; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
  export SOURCE_DATE_EPOCH
fi

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
export RINGSIDE_BUILD=$build

# Static (no cgo: no libc dependency in the package), no local paths.
CGO_ENABLED=0 GOOS=linux GOARCH=$RINGSIDE_ARCH go build -trimpath \
  -ldflags "-s -w -X main.version=$RINGSIDE_VERSION" -o "$build/ringside" ./cmd/ringside

# The packaged unit is packaging/ringside.service (the one docs/real-node.md
# installs by hand) with the package's binary path and its own user; each
# edit must hit exactly once, so a changed source unit fails here.
unit=packaging/ringside.service
for want in '^ExecStart=/usr/local/bin/ringside ' '^User=cassandra$'; do
  n=$(grep -c "$want" "$unit" || true)
  if [ "$n" != 1 ]; then
    echo "$unit: expected one line matching $want, found $n" >&2; exit 1
  fi
done
{
  echo "# ringside.service, installed by the ringside package (docs/packaging.md)."
  echo "# Local changes: systemctl edit ringside (a drop-in survives upgrades)."
  sed -n '/^\[Unit\]/,$p' "$unit" |
    sed -e 's|^ExecStart=/usr/local/bin/ringside |ExecStart=/usr/bin/ringside |' \
      -e 's|^User=cassandra$|User=ringside|'
} >"$build/ringside.service"

for packager in ${RINGSIDE_PACKAGERS:-deb rpm}; do
  go run "$NFPM" package --config packaging/nfpm.yaml --packager "$packager" --target "$out/" >&2
done
ls -1 "$out"/ringside[-_]"$RINGSIDE_VERSION"[-_]*
