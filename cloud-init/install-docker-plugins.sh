#!/bin/sh
# Installs the docker compose and buildx CLI plugins at pinned versions, each verified
# against its release sha256 before it is made executable. A plugin already in place with
# the right checksum is kept; a download is retried with back-off (curl's --retry doubles
# its wait from 1 s; --retry-all-errors covers refused connections and 403s from the CDN
# too), and a failure names the download.
set -eu
PLUGINS=/usr/local/lib/docker/cli-plugins
COMPOSE_VERSION=v5.1.0
COMPOSE_SHA256=5633cb21e06a7c88c7ca48a9334d3d0f7f892e9605ae9e9a45f9a095d4ffceb8
BUILDX_VERSION=v0.32.1
BUILDX_SHA256=2bbc1b8ebc9a05287b01bc2fe6633ec5e2f53d58ee955ae69756d668e7098e5e

install_plugin() { # name url sha256
  if [ -f "$PLUGINS/$1" ] && echo "$3  $PLUGINS/$1" | sha256sum --check --quiet --status; then
    return 0
  fi
  tmp=$(mktemp)
  trap 'rm -f "$tmp"' EXIT
  if ! curl --fail --silent --show-error --location --retry 5 --retry-all-errors --retry-max-time 300 --output "$tmp" "$2"; then
    echo "download of $1 failed: $2 (retried 5 times); check the box's outbound HTTPS to github.com" >&2
    exit 1
  fi
  if ! echo "$3  $tmp" | sha256sum --check --quiet --status; then
    echo "download of $1 does not match its pinned sha256 $3: $2" >&2
    exit 1
  fi
  install -D -m 0755 "$tmp" "$PLUGINS/$1"
  rm -f "$tmp"
}

install_plugin docker-compose "https://github.com/docker/compose/releases/download/$COMPOSE_VERSION/docker-compose-linux-x86_64" "$COMPOSE_SHA256"
install_plugin docker-buildx "https://github.com/docker/buildx/releases/download/$BUILDX_VERSION/buildx-$BUILDX_VERSION.linux-amd64" "$BUILDX_SHA256"
docker compose version
docker buildx version
