#!/bin/sh
# Puts the repository at /opt/pillbox on the exact commit (detached), fetching only it.
# Usage: pillbox-checkout [sha]   (default: PILLBOX_GIT_SHA from /etc/pillbox/pillbox.env)
set -eu
. /etc/pillbox/pillbox.env
sha=${1:-$PILLBOX_GIT_SHA}
if [ ! -d /opt/pillbox/.git ]; then
  git init --quiet /opt/pillbox
  git -C /opt/pillbox remote add origin "$PILLBOX_REPO_URL"
fi
git -C /opt/pillbox fetch --quiet --depth 1 origin "$sha"
git -C /opt/pillbox checkout --quiet --force --detach "$sha"
